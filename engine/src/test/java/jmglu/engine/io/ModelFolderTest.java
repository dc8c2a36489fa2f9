package jmglu.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint folders replaced as a unit, one writer at a time, and cleaned up after crashes. */
class ModelFolderTest {
    @TempDir Path root;


    private static Map<String, Tensor> version(int v) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) t.put("w" + i, Tensor.of(new float[] {v, v, v, v}, 2, 2));
        return t;
    }

    private List<String> names(Path d) throws IOException {
        try (var s = Files.list(d)) { return s.map(p -> p.getFileName().toString()).sorted().toList(); }
    }

    private void commitVersion1(Path ck) throws IOException {
        try (var lock = ModelFolder.lock(ck); var w = ModelFolder.beginWrite(ck, lock)) {
            w.writeString("config.json", "{\"v\":1}");
            w.writeSafetensors("model.safetensors", version(1), Map.of());
            assertFalse(Files.exists(ck), "nothing is visible before commit");
            w.commit();
        }
    }

    @Test void commitReplacesTheFolderAsAUnit() throws IOException { replace(false); }

    @Test void commitByTwoRenamesWhereExchangeIsUnavailable() throws IOException { replace(true); }

    private void replace(boolean fallback) throws IOException {
        assertTrue(Renameat2.available(), "the tests run on Linux with renameat2");
        Path ck = root.resolve("ck");
        commitVersion1(ck);
        assertEquals(List.of("config.json", "model.safetensors"), names(ck));
        Path tokenizer = root.resolve("tokenizer.json");
        Files.writeString(tokenizer, "{}");
        try (var lock = ModelFolder.lock(ck); var w = ModelFolder.beginWrite(ck, lock, !fallback)) {
            w.writeString("config2.json", "{\"v\":2}");
            w.writeSharded(version(2), Map.of(), 20);
            w.copyFrom(tokenizer);
            w.copyFrom(ck.resolve("config.json"), "config.old.json");
            try (SafetensorsModel m = Safetensors.openModel(ck)) { assertEquals(1f, m.get("w0").getFlat(0), "readers see v1 until commit"); }
            w.commit();
            assertThrows(IllegalStateException.class, () -> w.writeString("late.txt", ""));
        }
        assertEquals(List.of("config.old.json", "config2.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", Safetensors.INDEX, "tokenizer.json"), names(ck), "the old files are gone");
        assertEquals("{\"v\":1}", Files.readString(ck.resolve("config.old.json")));
        try (SafetensorsModel m = Safetensors.openModel(ck)) {
            SafetensorsTest.assertSame(version(2), m.tensors());
            m.verify();
        }
        assertEquals(List.of(".ck.lock", "ck", "tokenizer.json"), names(root), "no staging or .old folder is left");
    }

    @Test void readersSeeOneCompleteVersionWhileCommitsRun() throws Exception {
        Path ck = root.resolve("ck");
        commitVersion1(ck);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!done.get() && failure.get() == null) {
                try (SafetensorsModel m = Safetensors.openModel(ck)) {
                    float v = m.get("w0").getFlat(0);
                    for (Tensor t : m.tensors().values()) for (int i = 0; i < 4; i++) assertEquals(v, t.getFlat(i), "a mixed checkpoint");
                    reads.incrementAndGet();
                } catch (Throwable e) {
                    failure.set(e);
                }
            }
        });
        reader.start();
        for (int v = 2; v <= 25; v++) {
            try (var lock = ModelFolder.lock(ck); var w = ModelFolder.beginWrite(ck, lock)) {
                w.writeSharded(version(v), Map.of(), 16);                 // one tensor per shard: same file names every version
                w.commit();
            }
        }
        done.set(true);
        reader.join();
        if (failure.get() != null) throw new AssertionError("a reader failed after " + reads.get() + " reads", failure.get());
        assertTrue(reads.get() > 0);
    }

    @Test void anAbandonedWriterLeavesTheTargetAndNoStaging() throws IOException {
        Path ck = root.resolve("ck");
        commitVersion1(ck);
        try (var lock = ModelFolder.lock(ck)) {
            Path staging;
            try (var w = ModelFolder.beginWrite(ck, lock)) {
                staging = w.staging();
                w.writeString("config.json", "{\"v\":2}");
                assertThrows(IllegalArgumentException.class, () -> w.writeString("../escape.txt", "x"));
                assertThrows(IllegalArgumentException.class,
                        () -> w.writeSafetensors("bad.safetensors", Map.of("w", Tensor.of(new float[] {Float.NaN}, 1)), Map.of()));
            }
            assertFalse(Files.exists(staging));
            assertThrows(IllegalArgumentException.class, () -> ModelFolder.beginWrite(root.resolve("other"), lock));
        }
        assertEquals("{\"v\":1}", Files.readString(ck.resolve("config.json")));
        assertEquals(List.of(".ck.lock", "ck"), names(root));
    }

    @Test void aSecondLockInThisJvmFailsNamingTheHolder() {
        Path ck = root.resolve("ck");
        try (var first = ModelFolder.lock(ck)) {
            var e = assertThrows(IllegalStateException.class, () -> ModelFolder.lock(root.resolve("x/../ck")));
            assertTrue(e.getMessage().contains("is being written by another writer (pid " + ProcessHandle.current().pid() + ", started "), e.getMessage());
            assertTrue(e.getMessage().contains(", command "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(first.isHeld());
        }
        ModelFolder.lock(ck).close();                                      // released: it can be taken again
    }

    @Test void aLockHeldByAnotherProcessFailsNamingItsPid() throws Exception {
        Path ck = root.resolve("ck");
        Process child = child("hold", ck);
        try (var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("LOCKED", out.readLine());
            var e = assertThrows(IllegalStateException.class, () -> ModelFolder.lock(ck));
            assertTrue(e.getMessage().contains("(pid " + child.pid() + ", started "), e.getMessage());
            assertTrue(e.getMessage().contains("ModelFolderChild hold"), e.getMessage());
            assertTrue(e.getMessage().contains("-cp ..."), "the class path is left out: " + e.getMessage());
            assertTrue(e.getMessage().length() < 600, e.getMessage());
            child.getOutputStream().close();                               // the child lets go and exits
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        ModelFolder.lock(ck).close();
    }

    @Test void lockDeletesWhatDeadWritersLeft() throws Exception {
        Path ck = root.resolve("ck");
        commitVersion1(ck);
        long dead = deadPid();
        Path staging = Files.createDirectories(root.resolve(".ck.new-" + dead + "-0123abcd"));
        Files.writeString(staging.resolve("half.safetensors"), "partial");
        Path old = Files.createDirectories(root.resolve(".ck.old-" + dead));
        Files.writeString(ck.resolve(".model.safetensors.tmp-" + dead + "-deadbeef"), "partial");
        Path alive = Files.createDirectories(root.resolve(".ck.new-1-0123abcd"));   // pid 1 lives: not ours to delete
        Path other = Files.createDirectories(root.resolve(".other.new-" + dead + "-0123abcd"));
        ModelFolder.lock(ck).close();
        assertFalse(Files.exists(staging));
        assertFalse(Files.exists(old));
        assertEquals(List.of("config.json", "model.safetensors"), names(ck));
        assertTrue(Files.exists(alive) && Files.exists(other));
    }

    @Test void lockRestoresAFolderCutBetweenTheTwoRenames() throws Exception {
        Path ck = root.resolve("ck");
        commitVersion1(ck);
        long dead = deadPid();
        Files.move(ck, root.resolve(".ck.old-" + dead));                   // the fallback died after its first rename
        Files.createDirectories(root.resolve(".ck.new-" + dead + "-00000000"));
        ModelFolder.lock(ck).close();
        assertEquals(List.of(".ck.lock", "ck"), names(root));
        try (SafetensorsModel m = Safetensors.openModel(ck)) { SafetensorsTest.assertSame(version(1), m.tensors()); }
    }

    @Test void aWriterKilledMidwayLeavesThePreviousFolder() throws Exception {
        Path ck = root.resolve("ck");
        commitVersion1(ck);
        Process child = child("write", ck);
        Path staging;
        try (var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertNotNull(line, "the child said nothing");
            assertTrue(line.startsWith("STAGING "), line);
            staging = Path.of(line.substring("STAGING ".length()));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (names(staging).stream().filter(n -> n.startsWith("part-")).count() < 3 && System.nanoTime() < until) Thread.sleep(10);
            child.destroyForcibly();                                       // kill -9, in the middle of the shards
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        assertTrue(Files.isDirectory(staging), "the killed writer left its staging folder");
        int parts = (int) names(staging).stream().filter(n -> n.startsWith("part-")).count();
        assertTrue(parts >= 3 && parts < 50, parts + " parts");
        assertEquals(List.of("config.json", "model.safetensors"), names(ck));
        try (SafetensorsModel m = Safetensors.openModel(ck)) {
            SafetensorsTest.assertSame(version(1), m.tensors());
            m.verify();
        }
        ModelFolder.lock(ck).close();                                      // the next writer cleans up
        assertFalse(Files.exists(staging));
        assertEquals(List.of(".ck.lock", "ck"), names(root));
    }

    /** A child JVM running ModelFolderChild with this test's class path. */
    private static Process child(String mode, Path dir) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ModelFolderChild.class.getName(), mode, dir.toString()));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The pid of a process that has exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        assertTrue(ProcessHandle.of(p.pid()).isEmpty() || !ProcessHandle.of(p.pid()).get().isAlive());
        return p.pid();
    }
}
