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

    /** A plugin command (bench) may have its own --device: the global one must not collide with it. */
    @picocli.CommandLine.Command(name = "fake")
    static final class Fake implements Runnable {
        @picocli.CommandLine.Option(names = "--device") String device;
        public void run() {}
    }

    @Test void pluginsKeepTheirOwnDeviceOption() {
        var cl = Main.commandLine();
        cl.addSubcommand("fake", new Fake());
        assertEquals(0, cl.execute("fake", "--device", "cpu"));
        assertEquals("cpu", ((Fake) cl.getSubcommands().get("fake").getCommand()).device);
    }

    @Test void badValuesAreUserErrors() throws Exception {
        Path data = text();
        assertOneLineError(run("train", "--data", data.toString(), "--ffn", "moe", "--out", dir.resolve("o").toString()), Main.USER_ERROR, "ffn must be one of");
        assertOneLineError(run("train", "--data", dir.resolve("none.txt").toString()), Main.USER_ERROR, "no such data file");
        assertOneLineError(run("--device", "warp-drive", "train"), Main.USER_ERROR, "backend 'warp-drive'");
        assertOneLineError(run("train", "--device", "warp-drive"), Main.USER_ERROR, "backend 'warp-drive'");
        assertOneLineError(run("generate", "--model", dir.resolve("nothing").toString()), Main.USER_ERROR, "no such model");
        assertOneLineError(run("pack", "--model", dir.toString(), "--dtype", "f64"), Main.USER_ERROR, "");
    }

    @Test void malformedCheckpointsAreUserErrors() throws Exception {
        Path m = dir.resolve("m");
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), tinyConfigJson());
        Files.write(m.resolve(Checkpoint.WEIGHTS), new byte[] {1, 2, 3});
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "truncated file");
        Files.write(m.resolve(Checkpoint.WEIGHTS), new byte[] {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "larger than the file");
        Files.writeString(m.resolve("config.json"), "{\"vocab\": 256}");
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "config has no 'dim'");
        Files.writeString(m.resolve("config.json"), tinyConfigJson());
        byte[] header = "{\"tok_emb.weight\":{\"dtype\":\"F32\",\"shape\":[256,16],\"data_offsets\":[0,16384]}}".getBytes();
        var b = java.nio.ByteBuffer.allocate(8 + header.length + 16384).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(m.resolve(Checkpoint.WEIGHTS), b.array());
        assertOneLineError(run("generate", "--model", m.toString()), Main.USER_ERROR, "model file has no tensor 'layers.0.");
    }

    @Test void trainPackGenerateResumeEndToEnd() throws Exception {
        Path data = text(), out = dir.resolve("run");
        String[] train = {"train", "--data", data.toString(), "--out", out.toString(), "--dim", "16", "--layers", "1", "--heads", "2",
                "--hidden", "32", "--seq-len", "16", "--batch", "2", "--eval-batches", "1", "--ffn", "mglu", "--nm", "2", "--quiet",
                "--tokenizer", "bpe:280", "--steps", "4", "--checkpoint-every", "2"};
        assertEquals(0, run(train).code);
        assertTrue(Files.size(out.resolve("loss.png")) > 1000, "loss curve written");
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        assertEquals("4", Checkpoint.load(out).meta("step"));
        // a finished run cannot resume without a larger budget; with one it continues from step 4
        String[] resume = {"train", "--data", data.toString(), "--out", out.toString(), "--resume", "--quiet"};
        assertOneLineError(run(resume), Main.USER_ERROR, "already at step 4 of 4");
        String[] more = {"train", "--data", data.toString(), "--out", out.toString(), "--resume", "--quiet", "--steps", "6"};
        assertEquals(0, run(more).code);
        assertEquals("6", Checkpoint.load(out).meta("step"));
        assertEquals(6, Checkpoint.history(Checkpoint.load(out)).train.size());
        Path packed = dir.resolve("packed");
        assertEquals(0, run("pack", "--model", out.toString(), "--out", packed.toString()).code);
        assertTrue(Checkpoint.load(packed).packed());
        assertTrue(Files.size(packed.resolve(Checkpoint.WEIGHTS)) < Files.size(out.resolve(Checkpoint.WEIGHTS)) / 3,
                "packed file (bf16, bit-planes, no logits or optimizer) is much smaller");
        assertEquals(0, run("generate", "--model", packed.toString(), "-n", "5", "--prompt", "int ").code);
        assertEquals(0, run("generate", "--model", out.toString(), "-n", "5", "--weights", "f32", "--temperature", "0").code);
        assertEquals(0, run("info").code);
    }

    private Path text() throws Exception {
        Path f = dir.resolve("data.txt");
        Files.writeString(f, "public int size() { return size; }\n".repeat(40));
        return f;
    }

    private static String tinyConfigJson() {
        return new jmglu.model.Config(256, 16, 1, 2, 32, 16, "mglu", 2, "swish", 0, true, 10000f, 1e-5f).toJson();
    }
}
