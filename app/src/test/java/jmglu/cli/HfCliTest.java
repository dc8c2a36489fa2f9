package jmglu.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jmglu.api.Model;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.io.Safetensors;
import jmglu.engine.io.SafetensorsFile;
import jmglu.model.DecodeState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hugging Face commands end to end: tokenize, logits, generate on an HF folder, export, mglu-init, train --init. */
class HfCliTest {
    static final Path HF = Path.of("../model/src/test/resources/hf");
    @TempDir Path dir;

    record Out(int code, String out, String err) {}

    static synchronized Out run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            CliTest.Result r = CliTest.run(args);
            return new Out(r.code(), buf.toString(StandardCharsets.UTF_8), r.err());
        } finally {
            System.setOut(old);
        }
    }

    static String joined(JsonArray a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.size(); i++) sb.append(i == 0 ? "" : ",").append(a.get(i).getAsInt());
        return sb.toString();
    }

    @Test void tokenizeMatchesTheTokenizersLibrary() throws Exception {
        Path m = HF.resolve("models/trained-llama3tok");
        JsonArray cases = JsonParser.parseString(Files.readString(HF.resolve("tokenizers/llama3-bytelevel/cases.json"))).getAsJsonArray();
        for (int i = 0; i < 6; i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            String text = c.get("text").getAsString();
            if (text.isEmpty()) continue;
            Out r = run("tokenize", "--model", m.toString(), "--text", text);
            assertEquals(0, r.code, r.err);
            assertEquals(joined(c.getAsJsonArray("ids_special")), r.out.strip(), text);
            r = run("tokenize", "--model", m.toString(), "--text", text, "--no-special-tokens");
            assertEquals(joined(c.getAsJsonArray("ids")), r.out.strip(), text);
            r = run("tokenize", "--model", m.toString(), "--decode", joined(c.getAsJsonArray("ids")));
            assertEquals(c.get("decoded").getAsString() + "\n", r.out.replace(System.lineSeparator(), "\n"), text);
        }
        CliTest.assertOneLineError(CliTest.run("tokenize", "--model", m.toString(), "--decode", "1,x"), Main.USER_ERROR, "'x' is not a token id");
        CliTest.assertOneLineError(CliTest.run("tokenize", "--model", m.toString(), "--decode", "99999999"), Main.USER_ERROR, "outside the vocabulary");
    }

    @Test void logitsRowsMatchTransformers() throws Exception {
        Path m = HF.resolve("models/gqa-f32-untied"), csv = dir.resolve("l.csv");
        try (SafetensorsFile exp = Safetensors.open(m.resolve("expected.safetensors"))) {
            int[] ids = exp.get("ids").toInts();
            float[] want = exp.get("logits").toArray();
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 5; i++) s.append(i == 0 ? "" : ",").append(ids[i]);
            Out r = run("logits", "--model", m.toString(), "--ids", s.toString(), "--csv", csv.toString());
            assertEquals(0, r.code, r.err);
            List<String> rows = Files.readAllLines(csv);
            assertEquals(5, rows.size());
            int V = 301;
            for (int p = 0; p < 5; p++) {
                String[] f = rows.get(p).split(",");
                assertEquals(V + 1, f.length);
                assertEquals(Integer.toString(p), f[0]);
                for (int v = 0; v < V; v++) assertEquals(want[p * V + v], Float.parseFloat(f[v + 1]), 1e-4 * (1 + Math.abs(want[p * V + v])));
            }
        }
    }

    @Test void generatesTheGreedyTextTransformersGenerated() throws Exception {
        Path m = HF.resolve("models/trained-llama3tok");
        String want = JsonParser.parseString(Files.readString(m.resolve("train_log.json"))).getAsJsonObject().get("greedy_text").getAsString();
        String prompt = "public static void main(String[] args) {";
        Out r = run("generate", "--model", m.toString(), "--prompt", prompt, "-n", "24", "--temperature", "0");
        assertEquals(0, r.code, r.err);
        assertEquals(prompt + want, r.out.replace(System.lineSeparator(), "\n").stripTrailing().replaceAll("\n$", ""),
                "greedy text of the HF model through jmglu generate");
    }

    /** A jmglu SwiGLU (interleaved RoPE) and MGLU model export, reload and give the same logits. */
    @Test void exportRoundTrips() throws Exception {
        Path data = dir.resolve("data.txt");
        Files.writeString(data, "the quick brown fox jumps over the lazy dog. ".repeat(200));
        for (String ffn : new String[] {"swiglu", "mglu"}) {
            Path run = dir.resolve(ffn), out = dir.resolve(ffn + "-hf");
            Out r = run("train", "--data", data.toString(), "--out", run.toString(), "--steps", "3", "--batch", "2", "--seq-len", "16", "--dim", "32",
                    "--heads", "4", "--kv-heads", "2", "--hidden", "48", "--layers", "2", "--ffn", ffn, "--untied", "--quiet", "--eval-every", "3");
            assertEquals(0, r.code, r.err);
            r = run("export", "--model", run.toString(), "--out", out.toString());
            assertEquals(0, r.code, r.err);
            String cfg = Files.readString(out.resolve("config.json"));
            assertEquals(ffn.equals("swiglu"), cfg.contains("LlamaForCausalLM"), cfg);
            assertEquals(ffn.equals("mglu"), Files.exists(out.resolve("jmglu_mglu.py")));
            float[][] a = logits(run, new int[] {3, 70, 104, 101, 32}), b = logits(out, new int[] {3, 70, 104, 101, 32});
            for (int p = 0; p < a.length; p++)
                for (int v = 0; v < a[p].length; v++) assertEquals(a[p][v], b[p][v], 1e-4 * (1 + Math.abs(a[p][v])), ffn + " position " + p);
        }
        CliTest.assertOneLineError(CliTest.run("export", "--model", dir.resolve("swiglu").toString(), "--out", dir.resolve("x").toString(), "--format", "onnx"),
                Main.USER_ERROR, "--format must be hf");
    }

    /** mglu-init from the HF SwiGLU fixture, then a short fine-tune with train --init and a generation. */
    @Test void mgluInitThenFineTune() throws Exception {
        Path data = dir.resolve("data.txt"), init = dir.resolve("init"), ft = dir.resolve("ft");
        Files.writeString(data, "public static void main(String[] args) { System.out.println(args.length); }\n".repeat(100));
        Out r = run("mglu-init", "--from", HF.resolve("models/trained-llama3tok").toString(), "--nm", "2", "--out", init.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("SwiMGLU nm=2"), r.out);
        r = run("train", "--init", init.toString(), "--data", data.toString(), "--out", ft.toString(), "--steps", "2", "--batch", "2", "--seq-len", "32",
                "--quiet", "--eval-every", "2");
        assertEquals(0, r.code, r.err);
        r = run("generate", "--model", ft.toString(), "--prompt", "public", "-n", "5");
        assertEquals(0, r.code, r.err);
        CliTest.assertOneLineError(CliTest.run("mglu-init", "--from", ft.toString(), "--out", dir.resolve("again").toString()), Main.USER_ERROR, "needs a SwiGLU");
    }

    static float[][] logits(Path model, int[] ids) {
        try (Backend be = Backends.open("simd"); Model m = Model.load(model, be, jmglu.engine.DType.F32, false);
             DecodeState s = m.transformer().newState(1, ids.length)) {
            float[][] out = new float[ids.length][];
            for (int p = 0; p < ids.length; p++) out[p] = m.transformer().decode(s, new int[] {ids[p]}, new int[] {p}).clone();
            return out;
        }
    }
}
