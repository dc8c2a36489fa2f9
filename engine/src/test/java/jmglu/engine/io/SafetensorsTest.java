package jmglu.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.engine.DType;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing and reading safetensors: every dtype from every kind of storage, byte for byte. */
class SafetensorsTest {
    @TempDir Path dir;

    /** One tensor of each dtype, on the heap. */
    static Map<String, Tensor> sample(long seed) {
        Rng rng = new Rng(seed);
        Tensor f = Tensor.randn(rng, 1, 3, 5);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a.weight", f);
        t.put("b.bf16", f.to(DType.BF16));
        t.put("c.f16", f.to(DType.F16).reshape(5, 3));
        t.put("d.masks", Tensor.ofInts(new int[] {1, -1, 0x80000000, 7, 0, 9}, 2, 1, 3));
        t.put("e.odd", Tensor.randn(rng, 1, 7).to(DType.F16));          // 14 bytes: the next tensor is unaligned
        t.put("f.after", Tensor.randn(rng, 1, 2, 2));
        return t;
    }

    static void assertSame(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (var e : expected.entrySet()) {
            Tensor a = actual.get(e.getKey()), x = e.getValue();
            assertEquals(x.dtype(), a.dtype(), e.getKey());
            assertArrayEquals(x.shape(), a.shape(), e.getKey());
            assertEquals(-1, x.segment().mismatch(a.segment()), e.getKey() + ": bytes differ");
        }
    }

    @Test void roundTripEveryDtypeFromTheHeap() throws IOException {
        Map<String, Tensor> t = sample(3);
        Path p = dir.resolve("x.safetensors");
        Safetensors.write(p, t, Map.of("format", "pt"));
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertSame(t, f.tensors());
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertTrue(f.hasChecksum());
            f.verify();
            assertTrue(f.get("a.weight").isReadOnly());
            assertFalse(f.get("a.weight").isHeap());
            assertEquals(t.get("a.weight").get(2, 4), f.get("a.weight").get(2, 4));
            assertArrayEquals(new int[] {1, -1, 0x80000000, 7, 0, 9}, f.get("d.masks").toInts());
            var e = assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
            assertTrue(e.getMessage().contains("no tensor 'nope'"), e.getMessage());
        }
        long n = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 64, "the data buffer starts 64-byte aligned");
        try (var s = Files.list(dir)) { assertEquals(1, s.count(), "no temporary file is left behind"); }
    }

    @Test void roundTripFromOffHeapAndMappedTensors() {
        Map<String, Tensor> heap = sample(5);
        Path p = dir.resolve("y.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> offHeap = new LinkedHashMap<>();
            for (var e : heap.entrySet()) {
                Tensor o = Tensor.allocate(arena, e.getValue().dtype(), e.getValue().shape());
                o.segment().copyFrom(e.getValue().segment());
                offHeap.put(e.getKey(), o);
            }
            Safetensors.write(p, offHeap, Map.of());
        }
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertSame(heap, f.tensors());
            // the mapped tensors written over the very file they map: the mapping keeps reading the old file
            Safetensors.write(p, f.tensors(), Map.of("again", "yes"));
            assertSame(heap, f.tensors());
        }
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertSame(heap, f.tensors());
            assertEquals(Map.of("again", "yes"), f.metadata());
            f.verify();
        }
    }

    @Test void tensorsLargerThanOneChunkAndViews() {
        Rng rng = new Rng(9);
        int n = SafetensorsWriter.CHUNK / 4 + 12345;                      // > 8 MiB of F32: several chunks, several bounces
        Tensor big = Tensor.randn(rng, 1, n);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("big", big);
        t.put("rows", Tensor.randn(rng, 1, 10, 3).rows(2, 5));           // a view into a larger array
        t.put("bytes", Tensor.wrap(DType.F16, java.lang.foreign.MemorySegment.ofArray(new byte[] {0, 60, 0, 64}), 2));
        try (Arena arena = Arena.ofConfined()) {
            Tensor off = Tensor.allocate(arena, DType.F32, n);
            off.segment().copyFrom(big.segment());
            t.put("offheap", off);
            Path p = dir.resolve("big.safetensors");
            Safetensors.write(p, t, Map.of());
            try (SafetensorsFile f = Safetensors.open(p)) {
                assertSame(t, f.tensors());
                f.verify();
                assertEquals(1.0f, f.get("bytes").getFlat(0));
                assertEquals(2.0f, f.get("bytes").getFlat(1));
            }
        }
    }

    @Test void emptyCheckpointAndUnicodeNames() {
        Path p = dir.resolve("e.safetensors");
        Safetensors.write(p, Map.of(), Map.of("k", "v"));
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertTrue(f.tensors().isEmpty());
            assertEquals(Map.of("k", "v"), f.metadata());
            f.verify();
        }
        Map<String, Tensor> t = Map.of("λ.\"quoted\"\n😀", Tensor.of(new float[] {1, 2}, 2));
        Safetensors.write(p, t, Map.of("ключ", "значение \u2028"));
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertSame(t, f.tensors());
            assertEquals("значение \u2028", f.metadata().get("ключ"));
            f.verify();
        }
    }

    @Test void closeUnmapsAndIsIdempotent() {
        Path p = dir.resolve("c.safetensors");
        Safetensors.write(p, sample(1), Map.of());
        SafetensorsFile f = Safetensors.open(p);
        Tensor a = f.get("a.weight");
        a.getFlat(0);
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> a.getFlat(0));
        assertThrows(IllegalStateException.class, f::verify);
    }

    @Test void noNaNIsSaved() throws IOException {
        Path p = dir.resolve("n.safetensors");
        Safetensors.write(p, Map.of("ok", Tensor.of(new float[] {1}, 1)), Map.of());
        byte[] before = Files.readAllBytes(p);
        float[] v = new float[12];
        v[7] = Float.NaN;
        var e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(p, Map.of("w", Tensor.of(v, 3, 4)), Map.of()));
        assertTrue(e.getMessage().contains("tensor 'w' holds NaN at element 7 (index [1, 3]); no NaN is saved"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p), "the old file is untouched");
        for (DType half : new DType[] {DType.BF16, DType.F16}) {
            Tensor h = Tensor.of(new float[] {0, 1, Float.NEGATIVE_INFINITY}, 3).to(half);
            e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("h", h), Map.of()));
            assertTrue(e.getMessage().contains("'h' holds -Infinity at element 2"), e.getMessage());
            Map<String, Tensor> two = new LinkedHashMap<>(Map.of("first", Tensor.of(new float[] {1}, 1)));
            two.put("h", h);
            assertThrows(IllegalArgumentException.class, () -> Safetensors.writeSharded(dir.resolve("s"), two, Map.of(), 1));
            assertFalse(Files.exists(dir.resolve("s")), "no shard is written when one tensor is not finite");
        }
        assertArrayEquals(before, Files.readAllBytes(p));
        Safetensors.write(p, Map.of("i", Tensor.ofInts(new int[] {0x7FC00000}, 1)), Map.of());   // I32 bits are not floats
    }

    @Test void badArgumentsAreRefused() {
        Path p = dir.resolve("b.safetensors");
        Tensor t = Tensor.of(new float[] {1}, 1);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("__metadata__", t), Map.of()));
        var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("t", t), Map.of(Safetensors.CHECKSUM_KEY, "0")));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, Map.of("bad\ud800", t), Map.of()));
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
        assertFalse(Files.exists(p));
    }

    @Test void verifyNeedsAChecksum() throws IOException {
        Path p = dir.resolve("foreign.safetensors");
        Files.write(p, Raw.file("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertFalse(f.hasChecksum());
            var e = assertThrows(FormatException.class, f::verify);
            assertTrue(e.getMessage().contains("carries no jmglu.crc32c checksum"), e.getMessage());
        }
    }
}
