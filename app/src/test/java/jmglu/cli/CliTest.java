package jmglu.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import jmglu.model.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: user errors give one "jmglu: ..." line and a non-zero exit; train → pack → generate works end to end. */
class CliTest {
    @TempDir Path dir;

    record Result(int code, String err) {}

    static Result run(String... args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, err.toString());
    }

    static void assertOneLineError(Result r, int code, String fragment) {
        assertEquals(code, r.code, "exit code; stderr: " + r.err);
        String[] lines = r.err.strip().split("\n");
        assertEquals(1, lines.length, "exactly one line, no stack trace: " + r.err);
        assertTrue(lines[0].startsWith("jmglu: "), lines[0]);
        assertTrue(lines[0].contains(fragment), "'" + lines[0] + "' should contain '" + fragment + "'");
    }

    @Test void badFlagsAreUsageErrors() {
        assertOneLineError(run("train", "--bogus"), Main.USAGE, "Unknown option: '--bogus'");
        assertOneLineError(run("train", "--steps", "many"), Main.USAGE, "--steps");
        assertOneLineError(run("nosuchcommand"), Main.USAGE, "nosuchcommand");
    }

    @Test void benchKeepsItsOwnDeviceOption() {
        assertEquals(0, run("--device", "simd", "bench", "kernel", "--device", "cpu", "--help").code);
        assertEquals(0, run("bench", "decode", "--device", "cpu", "--help").code);
    }

    @Test void badValuesAreUserErrors() throws Exception {
        Path data = text();
        assertOneLineError(run("train", "--data", data.toString(), "--ffn", "moe", "--out", dir.resolve("o").toString()), Main.USER_ERROR, "ffn must be gelu, swiglu or mglu");
        assertOneLineError(run("train", "--data", dir.resolve("none.txt").toString()), Main.USER_ERROR, "no such data file");
        assertOneLineError(run("--device", "warp-drive", "train"), Main.USER_ERROR, "backend 'warp-drive'");
        assertOneLineError(run("train", "--device", "warp-drive"), Main.USER_ERROR, "backend 'warp-drive'");
        assertOneLineError(run("generate", "--model", dir.resolve("nothing").toString()), Main.USER_ERROR, "no such model folder");
        assertOneLineError(run("pack", "--model", dir.toString(), "--dtype", "f64"), Main.USER_ERROR, "");
    }

    @Test void malformedCheckpointsAreUserErrors() throws Exception {
        Path m = dir.resolve("m");
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), tinyConfigJson());
        Files.write(m.resolve(Checkpoint.WEIGHTS), new byte[] {1, 2, 3});
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "truncated file");
        Files.write(m.resolve(Checkpoint.WEIGHTS), new byte[] {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "larger than the rest of the file");
        Files.writeString(m.resolve("config.json"), "{\"vocab\": 256}");
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "config has no 'nHeads'");
        Files.writeString(m.resolve("config.json"), tinyConfigJson());
        byte[] header = "{\"tok_emb.weight\":{\"dtype\":\"F32\",\"shape\":[256,16],\"data_offsets\":[0,16384]}}".getBytes();
        var b = java.nio.ByteBuffer.allocate(8 + header.length + 16384).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(m.resolve(Checkpoint.WEIGHTS), b.array());
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "the model has no tensor 'layers.0.");
    }

    @Test void trainPackGenerateResumeEndToEnd() throws Exception {
        Path data = text(), out = dir.resolve("run");
        String[] train = {"train", "--data", data.toString(), "--out", out.toString(), "--dim", "16", "--layers", "1", "--heads", "2",
                "--hidden", "32", "--seq-len", "16", "--batch", "2", "--eval-batches", "1", "--ffn", "mglu", "--nm", "2", "--quiet",
                "--tokenizer", "bpe:280", "--steps", "4", "--checkpoint-every", "2"};
        assertEquals(0, run(train).code);
        assertTrue(Files.size(out.resolve("loss.png")) > 1000, "loss curve written");
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        assertEquals(4, step(out));
        // a finished run cannot resume without a larger budget; with one it continues from step 4
        String[] resume = {"train", "--data", data.toString(), "--out", out.toString(), "--resume", "--quiet"};
        assertOneLineError(run(resume), Main.USER_ERROR, "already at step 4 of 4");
        String[] more = {"train", "--data", data.toString(), "--out", out.toString(), "--resume", "--quiet", "--steps", "6"};
        assertEquals(0, run(more).code);
        assertEquals(6, step(out));
        try (var l = Checkpoint.load(out)) { assertEquals(6, Checkpoint.history(l).train.size()); }
        Path packed = dir.resolve("packed");
        assertEquals(0, run("pack", "--model", out.toString(), "--out", packed.toString()).code);
        try (var l = Checkpoint.load(packed)) { assertTrue(l.packed()); }
        assertOneLineError(run("pack", "--model", out.toString(), "--out", out.toString()), Main.USER_ERROR, "refuses to write over its input");
        assertOneLineError(run(train), Main.USER_ERROR, "already holds a checkpoint; continue it with --resume or overwrite it with --force");
        assertTrue(Files.size(packed.resolve(Checkpoint.WEIGHTS)) < Files.size(out.resolve(Checkpoint.WEIGHTS)) / 3,
                "packed file (bf16, bit-planes, no logits or optimizer) is much smaller");
        assertEquals(0, run("generate", "--model", packed.toString(), "-n", "5", "--prompt", "int ").code);
        assertEquals(0, run("generate", "--model", out.toString(), "-n", "5", "--weights", "f32", "--temperature", "0").code);
        assertEquals(0, run("info").code);
    }

    @Test void hostileNumbersAreRefusedBeforeAnyWork() throws Exception {
        Path data = text(), out = dir.resolve("h");
        String[] base = {"train", "--data", data.toString(), "--out", out.toString(), "--seq-len", "16", "--quiet", "--steps", "2"};
        String[] small = concat(base, "--dim", "16", "--layers", "1", "--heads", "2", "--hidden", "32");
        assertOneLineError(run(concat(small, "--lr", "Infinity")), Main.USER_ERROR, "--lr must be a finite number");
        assertOneLineError(run(concat(small, "--lr", "1e30")), Main.USER_ERROR, "--lr must be a finite number in (0, 10]");
        assertOneLineError(run(concat(small, "--eval-batches", "2000000000")), Main.USER_ERROR, "--eval-batches must be in 1..");
        assertOneLineError(run(concat(small, "--batch", "2e9")), Main.USAGE, "--batch");
        assertOneLineError(run(concat(base, "--layers", "1e8")), Main.USAGE, "--layers");
        assertOneLineError(run(concat(base, "--dim", "16", "--heads", "2", "--hidden", "32", "--layers", "100000")), Main.USER_ERROR, "beyond jmglu's limits");
        Result big = run(concat(base, "--dim", "40000", "--hidden", "60000", "--heads", "8", "--layers", "4"));
        assertOneLineError(big, Main.OUT_OF_MEMORY, "give more heap");
        assertFalse(Files.exists(out.resolve("model.safetensors")), "nothing was written");
        assertOneLineError(run("generate", "--model", dir.resolve("nothing").toString(), "-n", "2147483647"), Main.USER_ERROR, "maxTokens must be in 0..");
    }

    @Test void hostileConfigsAreRefusedWithOneLine() throws Exception {
        Path m = dir.resolve("m");
        Files.createDirectories(m);
        String ok = tinyConfigJson();
        String[][] cases = {
                {"\"seqLen\": 16", "\"seqLen\": 134217728", "beyond jmglu's limits"},
                {"\"seqLen\": 16", "\"seqLen\": 6e7", "beyond jmglu's limits"},
                {"\"nLayers\": 1", "\"nLayers\": -3", "sizes must be positive"},
                {"\"dim\": 16", "\"dim\": 32.5", "'dim' must be an integer"},
                {"\"tiedEmbeddings\": true", "\"tiedEmbeddings\": \"yes\"", "'tiedEmbeddings' must be true or false"},
        };
        for (String[] c : cases) {
            assertTrue(ok.contains(c[0]), "the config has " + c[0] + ": " + ok);
            Files.writeString(m.resolve("config.json"), ok.replace(c[0], c[1]));
            assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, c[2]);
        }
    }

    @Test void nonFiniteWeightsAreNotServed() throws Exception {
        Path m = dir.resolve("nan");
        jmglu.model.Config c = jmglu.model.Config.of(256, 16, 1, 2, 32, 16, jmglu.model.Config.FfnKind.GLU, 0, jmglu.engine.Act.SILU, 0, true);
        try (var lock = jmglu.engine.io.ModelFolder.lock(m)) {
            Checkpoint.writeFolder(m, lock, c, new jmglu.model.data.ByteTokenizer(), new jmglu.model.Transformer(c, 1).pack(jmglu.engine.DType.F32),
                    java.util.Map.of("format", Checkpoint.PACKED));
        }
        // poison the last float of the file (the last tensor written) with a NaN
        Path f = m.resolve(Checkpoint.WEIGHTS);
        byte[] b = Files.readAllBytes(f);
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(b.length - 4, Float.NaN);
        Files.write(f, b);
        Result r = run("generate", "--model", m.toString(), "-n", "3");
        assertOneLineError(r, Main.USER_ERROR, "holds NaN or Inf");
    }

    @Test void trainingOnAnInferenceOnlyBackendIsRefusedUpFront() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(jmglu.engine.Backends.available().contains("opencl") || System.getenv("CI") != null,
                "no OpenCL platform here (CI installs PoCL)");
        Result r = run("train", "--device", "opencl", "--data", text().toString(), "--out", dir.resolve("cl").toString(), "--dim", "16",
                "--layers", "1", "--heads", "2", "--hidden", "32", "--seq-len", "16", "--quiet", "--steps", "2");
        assertOneLineError(r, Main.USER_ERROR, "--device opencl cannot train (it implements inference only)");
        assertFalse(Files.exists(dir.resolve("cl")), "nothing was started");
    }

    @Test void anUnwritableOutIsFoundBeforeTraining() throws Exception {
        Path data = text(), file = dir.resolve("a-file");
        Files.writeString(file, "x");
        Result r = run("train", "--data", data.toString(), "--out", file.resolve("run").toString(), "--dim", "16", "--layers", "1", "--heads", "2",
                "--hidden", "32", "--seq-len", "16", "--quiet", "--steps", "2000");
        assertOneLineError(r, Main.USER_ERROR, "a-file");
    }

    @Test void tinyRunsOfEveryCommandPrintWhatTheySay() throws Exception {
        Path data = text();
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        var old = System.out;
        var oldErr = System.err;
        System.setOut(new java.io.PrintStream(out, true));
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertEquals(0, run("demo", "--data", data.toString(), "--out", dir.resolve("demo").toString(), "--steps", "3", "--quiet", "-n", "5").code);
            assertEquals(0, run("compare", "--data", data.toString(), "--out", dir.resolve("cmp").toString(), "--steps", "2", "--seeds", "1",
                    "--variants", "swiglu,mglu2", "--eval-batches", "1").code);
            assertEquals(0, run("init", "--dim", "32", "--layers", "1", "--heads", "2", "--hidden", "64", "--seq-len", "16", "--out", dir.resolve("init").toString()).code);
            assertEquals(0, run("bench", "decode", "--model", dir.resolve("init").toString(), "--batch", "1,2", "--prompt", "2", "--tokens", "3",
                    "--csv", dir.resolve("d.csv").toString()).code);
            assertEquals(0, run("info").code);
            assertEquals(0, run("generate", "--model", dir.resolve("demo/packed").toString(), "-n", "7", "--prompt", "return ", "--temperature", "0").code);
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        String o = out.toString(), e = err.toString();
        assertTrue(o.contains("return "), "the prompt is echoed before the streamed text: " + o);
        assertTrue(e.contains("generated 7 tokens") && e.contains("tokens/s") && e.contains("stopped: max_tokens") && e.contains("KV cache 64"), e);
        assertTrue(o.contains("packed (bf16 W + mask bit-planes)") && o.contains("demo finished in"), o);
        assertTrue(o.contains("SwiGLU") && o.contains("SwiMGLU nm=2") && Files.exists(dir.resolve("cmp/compare.csv")), o);
        assertTrue(o.contains("wrote " + dir.resolve("init")), o);
        assertTrue(o.contains("B=1 ") && o.contains("B=2 ") && o.contains("% of floor"), o);
        java.util.List<String> csv = Files.readAllLines(dir.resolve("d.csv"));
        assertEquals(jmglu.bench.DecodeBench.CSV_HEADER, csv.get(0));
        assertEquals(3, csv.size(), "a row per batch size");
        assertTrue(o.contains("backends") && o.contains("simd") && o.contains("selected  simd"), o);
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static int step(Path out) {
        try (var l = Checkpoint.load(out)) { return Checkpoint.step(l); }
    }

    private Path text() throws Exception {
        Path f = dir.resolve("data.txt");
        Files.writeString(f, "public int size() { return size; }\n".repeat(40));
        return f;
    }

    private static String tinyConfigJson() {
        return jmglu.model.Config.of(256, 16, 1, 2, 32, 16, jmglu.model.Config.FfnKind.MGLU, 2, jmglu.engine.Act.SILU, 0, true).toJson();
    }
}
