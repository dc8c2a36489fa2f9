package jmglu.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.History;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on the default backend (simd) is reproducible across processes and survives kill -9: a
 * run killed in the middle (another JVM, killed hard after a checkpoint) and then resumed gives the
 * uninterrupted run's losses bit for bit; the killed writer's leftovers are cleaned up and a
 * second writer on the same folder is refused while the first holds it.
 */
class KillResumeTest {
    @TempDir Path dir;

    String[] train(Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", out.toString(), "--dim", "32", "--layers", "2",
                "--heads", "2", "--hidden", "64", "--seq-len", "32", "--batch", "4", "--eval-batches", "2", "--eval-every", "10", "--ffn", "mglu",
                "--nm", "4", "--quiet", "--steps", "60", "--seed", "3"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test void killedAndResumedEqualsUninterrupted() throws Exception {
        Path data = dir.resolve("data.txt");
        Files.writeString(data, "static int hash(Object key) { int h; return (key == null) ? 0 : (h = key.hashCode()) ^ (h >>> 16); }\n".repeat(60));
        Path whole = dir.resolve("whole"), killed = dir.resolve("killed");
        assertEquals(0, CliTest.run(train(data, whole)).code());

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "jmglu.cli.Main"));
        cmd.addAll(List.of(train(data, killed, "--checkpoint-every", "1")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int seen = 0;
            while (seen < 5 && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(20);
                if (Files.exists(killed.resolve(Checkpoint.WEIGHTS))) try { seen = CliTest.step(killed); } catch (RuntimeException e) { /* mid-swap */ }
            }
            assertTrue(p.isAlive(), "the child should still be training at step " + seen + "; log: " + Files.readString(dir.resolve("child.log")));
            assertEquals(1, CliTest.run(train(data, killed, "--resume")).code(), "a second writer is refused while the first holds the folder");
            p.destroyForcibly();                                                    // kill -9
            p.waitFor(30, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        int at = CliTest.step(killed);
        assertTrue(at >= 5 && at < 60, "killed mid-run, at step " + at);
        assertEquals(0, CliTest.run(train(data, killed, "--resume")).code());
        try (var a = Checkpoint.load(whole); var b = Checkpoint.load(killed)) {
            History ha = Checkpoint.history(a), hb = Checkpoint.history(b);
            assertEquals(losses(ha.train), losses(hb.train), "training losses, bit for bit");
            assertEquals(losses(ha.val), losses(hb.val), "validation losses, bit for bit");
            for (String name : a.tensors().keySet())
                assertArrayEquals(a.tensors().get(name).toArray(), b.tensors().get(name).toArray(), name + " after the last step");
        }
        try (var s = Files.list(dir)) {
            List<String> left = s.map(f -> f.getFileName().toString()).filter(n -> n.contains(".new-") || n.contains(".old-") || n.contains(".tmp")).toList();
            assertEquals(List.of(), left, "the killed writer's staging folders are gone");
        }
    }

    static List<Double> losses(List<double[]> h) {
        List<Double> out = new ArrayList<>();
        for (double[] p : h) out.add(p[1]);
        return out;
    }
}
