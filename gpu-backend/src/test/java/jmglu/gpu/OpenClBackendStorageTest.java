package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage and contract of {@link OpenClBackend}: adopt / zeros / read / release on heap, off-heap and
 * memory-mapped host tensors and on views; clear errors for host tensors, training and bad shapes;
 * the provider found through ServiceLoader and never picked implicitly.
 */
class OpenClBackendStorageTest {
    static OpenClBackend gpu;

    @BeforeAll static void open() {
        gpu = OpenClTesting.backend();
    }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    @Test void adoptReadZerosAndViews() {
        Tensor x = Tensor.randn(new Rng(1), 1, 5, 7), d = gpu.adopt(x);
        assertFalse(d.isHost());
        assertSame(d, gpu.adopt(d));
        assertArrayEquals(x.toArray(), OpenClTesting.read(gpu, d));
        assertArrayEquals(x.rows(2, 4).toArray(), OpenClTesting.read(gpu, d.rows(2, 4)));
        assertArrayEquals(x.row(3).toArray(), OpenClTesting.read(gpu, d.row(3)));
        assertArrayEquals(new float[6], OpenClTesting.read(gpu, gpu.zeros(2, 3)));
        gpu.release(d);
        gpu.release(d);                                                   // idempotent
        assertThrows(IllegalStateException.class, () -> OpenClTesting.read(gpu, d));
    }

    /** A scratch slot whose growth the device refused is allocated afresh by the next request, never handed out as null. */
    @Test void aScratchSlotThatFailedToGrowIsAllocatedAgain() {
        synchronized (gpu) {                                              // ClScratch runs under the backend's lock
            assertNotNull(gpu.scratch.slot(ClScratch.GATE, 64));
            assertThrows(IllegalStateException.class, () -> gpu.scratch.slot(ClScratch.GATE, Long.MAX_VALUE / 4));
            assertNotNull(gpu.scratch.slot(ClScratch.GATE, 64));
        }
    }

    /** The KV caches' storage: F16 by default, zeros of any float type (odd sizes), F16 tensors and their views read back widened. */
    @Test void halfCachesZerosAndReadsBack() {
        assertEquals(DType.F16, gpu.kvCacheType());
        Tensor z = gpu.zeros(DType.F16, 3, 1, 5);                        // 15 halves: 30 bytes
        assertEquals(DType.F16, z.dtype());
        assertArrayEquals(new float[15], OpenClTesting.read(gpu, z));
        Tensor x = Tensor.randn(new Rng(3), 1, 3, 4, 5), h = x.to(DType.F16), d = gpu.adopt(h);
        assertArrayEquals(h.toArray(), OpenClTesting.read(gpu, d));
        assertArrayEquals(h.rows(1, 3).toArray(), OpenClTesting.read(gpu, d.rows(1, 3)));
        assertThrows(IllegalArgumentException.class, () -> gpu.zeros(DType.I32, 2));
        gpu.release(z);
        gpu.release(d);
    }

    @Test void adoptsOffHeapAndMappedHalfWeights(@TempDir Path dir) throws IOException {
        short[] bits = Tensor.randn(new Rng(2), 1, 9, 13).to(DType.BF16).toShorts();
        Tensor heap = Tensor.ofHalf(DType.BF16, bits, 9, 13);
        try (Arena arena = Arena.ofConfined()) {
            Tensor off = Tensor.allocate(arena, DType.BF16, 9, 13);
            off.segment().copyFrom(heap.segment());
            Path f = dir.resolve("w.bin");
            Files.write(f, new byte[8]);                                  // 8 bytes of header, then the weights
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ch.write(off.segment().asByteBuffer());
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                Tensor mapped = Tensor.wrap(DType.BF16, map.asSlice(8, heap.byteSize()), 9, 13);
                assertTrue(mapped.isReadOnly());
                int[] ids = {8, 0, 4};
                float[] expected = null;
                for (Tensor t : new Tensor[] {heap, off, mapped}) {                    // embedding reads the table back widened
                    Tensor out = gpu.zeros(3, 13);
                    gpu.embedding(out, gpu.adopt(t), ids);
                    float[] got = OpenClTesting.read(gpu, out);
                    if (expected == null) expected = got;
                    assertArrayEquals(expected, got);
                }
                for (int i = 0; i < 13; i++) assertEquals(heap.get(4, i), expected[2 * 13 + i]);
            }
        }
    }

    @Test void clearErrors() {
        assertFalse(gpu.canTrain());
        var e = assertThrows(UnsupportedOperationException.class, gpu::kernels);
        assertEquals("backend 'opencl' runs inference only (no training kernels); train with --device simd", e.getMessage());
        Tensor host = Tensor.zeros(2, 8), dev = gpu.zeros(2, 8);
        var a = assertThrows(IllegalArgumentException.class, () -> gpu.act(Act.SILU, host));
        assertTrue(a.getMessage().startsWith("act: x") && a.getMessage().contains("adopt"), a.getMessage());
        Tensor w = gpu.adopt(Tensor.zeros(5, 7));
        var l = assertThrows(IllegalArgumentException.class, () -> gpu.linear(gpu.zeros(2, 5), dev, w, false));
        assertTrue(l.getMessage().startsWith("linear"), l.getMessage());
        var m = assertThrows(IllegalArgumentException.class, () -> gpu.flashMglu(gpu.zeros(1, 5), gpu.zeros(1, 7), w,
                gpu.adopt(Tensor.ofInts(new int[5 * 2 * 2], 5, 2, 2)), Act.SILU));
        assertTrue(m.getMessage().startsWith("flashMglu: masks"), m.getMessage());
        var p = assertThrows(IllegalArgumentException.class, () -> gpu.attentionStep(dev, dev, dev, dev, gpu.zeros(2, 3, 8), gpu.zeros(2, 3, 8),
                new int[] {0, 3}, 2, 2, 4));
        assertTrue(p.getMessage().contains("position 3"), p.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gpu.embedding(gpu.zeros(1, 7), w, new int[] {5}));
    }

    @Test void theProviderIsFoundAndNeverImplicit() {
        assertTrue(Backends.available().contains("opencl"));
        try (Backend b = Backends.open("opencl:0")) {
            assertEquals("opencl", b.name());
            assertTrue(b.describe().startsWith("opencl: "), b.describe());
            assertTrue(b.ops().containsAll(java.util.List.of("embedding", "rmsnorm", "linear", "rope", "attentionStep", "act", "glu", "flashMglu", "mgluTopK")));
        }
        try (Backend b = Backends.open("")) {
            assertNotEquals("opencl", b.name());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("opencl:x"));
        assertTrue(e.getMessage().contains("device number"), e.getMessage());
    }
}
