package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One tensor type over heap, off-heap and mapped storage: same values, views without copies, read-only files stay read-only. */
class TensorStorageTest {
    @TempDir Path dir;

    @Test void offHeapAndHeapAgreeAndViewsShareStorage() {
        Rng rng = new Rng(3);
        Tensor heap = Tensor.randn(rng, 1.0, 5, 7);
        try (Arena arena = Arena.ofConfined()) {
            for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                Tensor h = heap.to(d);
                Tensor off = Tensor.allocate(arena, d, 5, 7);
                MemorySegment.copy(h.segment(), 0, off.segment(), 0, h.byteSize());
                assertFalse(off.isHeap());
                assertArrayEquals(h.toArray(), off.toArray(), d + ": off-heap copy reads the same values");
                Tensor view = off.rows(2, 4);
                off.set(42f, 3, 1);
                assertEquals(d == DType.F32 ? 42f : d.decode(d.encode(42f)), view.get(1, 1), "a row view sees writes to its base");
                assertEquals(off.row(4).toArray()[6], off.get(4, 6));
                assertArrayEquals(off.toArray(), off.reshape(35).toArray());
                assertThrows(IllegalStateException.class, off::data, "off-heap tensors have no float[]");
            }
        }
    }

    @Test void heapViewOffsetsIndexTheSharedArray() {
        float[] a = new float[24];
        for (int i = 0; i < a.length; i++) a[i] = i;
        Tensor t = Tensor.of(a, 4, 6);
        Tensor r = t.rows(1, 3);
        assertSame(a, r.data());
        assertEquals(6, r.offset());
        assertEquals(13f, r.get(1, 1));
        assertEquals(18, t.row(3).offset());
    }

    @Test void mappedFileIsZeroCopyAndReadOnly() throws Exception {
        Path f = dir.resolve("w.bin");
        Tensor src = Tensor.of(new float[] {1, -2, 3.5f, 4, 5, 6}, 2, 3).to(DType.BF16);
        Files.write(f, src.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Tensor t = Tensor.wrap(DType.BF16, m, 2, 3);
            assertTrue(t.isReadOnly());
            assertArrayEquals(src.toArray(), t.toArray());
            assertEquals(3.5f, t.asWeights().get(0, 2));
            assertThrows(IllegalStateException.class, () -> t.set(1f, 0, 0), "a read-only mapping refuses writes");
        }
    }

    @Test void nonFiniteIsFoundInEveryDtype() {
        for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Tensor t = Tensor.of(new float[] {1, 2, 3, 4}, 4).to(d);
            assertTrue(t.allFinite());
            Tensor nan = Tensor.of(new float[] {1, 2, Float.NaN, 4}, 4).to(d);
            assertEquals(2, nan.firstNonFinite(), d + " NaN");
            Tensor inf = Tensor.of(new float[] {Float.NEGATIVE_INFINITY, 2, 3, 4}, 4).to(d);
            assertEquals(0, inf.firstNonFinite(), d + " -Inf");
        }
        assertEquals(1, Tensor.of(new float[] {1, 1e30f}, 2).to(DType.F16).firstNonFinite(), "1e30 overflows F16 to Inf");
    }

    @Test void wrongByteCountIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(DType.F16, MemorySegment.ofArray(new byte[10]), 2, 3));
        assertTrue(e.getMessage().contains("needs 12 bytes"), e.getMessage());
    }
}
