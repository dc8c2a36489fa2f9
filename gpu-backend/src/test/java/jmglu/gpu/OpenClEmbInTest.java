package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.jocl.cl_mem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embedding owed into the first GEMV (gemv_b1.cl EMBIN; {@link ClNorms#oweEmbedding}) on PoCL. Kernel: y = rmsnorm(x)
 * Wᵀ with x's row gathered from a (V, h) table of F32, F16, BF16 by an id on the device (in range, −1, V: a row of NaN)
 * or from the host must give the bits of the same GEMV over x = table[id] written first, and leave x = table[id] (NaN
 * rows for the bad ids) over a poisoned x; awkward h 8, 40, 264, 2056 and d 7, 33, 300, and a persistent grid (the
 * group that runs block 0 writes x). Backend: embeddingRmsnorm of one row then the attention (tc on: gemv_b1) launches
 * no embedding of its own and gives HostBackend(ReferenceKernels)'s output, x and n; an access to x first writes it.
 */
class OpenClEmbInTest {
    static OpenClContext cl;
    static final OpenClSettings TC = OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false);
    static final float EPS = 1e-5f;

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        cl = OpenClContext.open();
    }

    @AfterAll static void close() {
        if (cl != null) cl.close();
    }

    /** One gather: the fused launch against the plain GEMV of the row written by the host. */
    static void gather(OpenClMglu mglu, Rng rng, DType tdt, DType wdt, int V, int h, int d, int id, boolean onDevice, String what) {
        Tensor table = Tensor.randn(rng, 1, V, h).to(tdt);
        float[] rows = table.to(DType.F32).toArray(), want = new float[h], nw = new float[3 + h];
        if (id >= 0 && id < V) System.arraycopy(rows, id * h, want, 0, h);
        else java.util.Arrays.fill(want, Float.NaN);
        for (int c = 0; c < h; c++) nw[3 + c] = (float) rng.nextGaussian();
        WeightMatrix w = WeightMatrix.of(wdt, Check.random(rng, d * h), d, h);
        var dw = OpenClMglu.DeviceMatrix.upload(cl, w);
        float[] poison = new float[h];
        java.util.Arrays.fill(poison, 12345f);
        // the table at an offset of 8 elements in its buffer (EmbIn.to), as a view of a larger tensor can have it
        byte[] tb = new byte[(int) table.byteSize() + 8 * tdt.bytes];
        java.lang.foreign.MemorySegment.copy(table.segment(), 0, java.lang.foreign.MemorySegment.ofArray(tb), 8L * tdt.bytes, table.byteSize());
        cl_mem dt = cl.alloc(tb.length), ids = cl.upload(new int[] {id}), dx = cl.upload(poison),
                dxr = cl.upload(want), dn = cl.upload(nw), dy = cl.upload(new float[d]), dy2 = cl.upload(new float[d]);
        cl.write(dt, org.jocl.Pointer.to(tb), tb.length);
        try {
            var norm = new OpenClMglu.NormIn(dn, 3, EPS);
            boolean[] wrote = {false};
            var emb = new GemvExtras.EmbIn(dt, 8, OpenClMglu.wt(tdt), onDevice ? ids : dt, onDevice ? Integer.MIN_VALUE : id, V, () -> wrote[0] = true);
            mglu.gemv(dy, dx, norm, emb, dw, 1, false, null);
            mglu.gemv(dy2, dxr, norm, dw, 1, false, null);
            float[] y = new float[d], y2 = new float[d], x = new float[h];
            cl.read(dy, y, d);
            cl.read(dy2, y2, d);
            cl.read(dx, x, h);
            assertFalse(wrote[0], what + ": gemv_b1 gathered the row (no embedding launch)");
            assertArrayEquals(want, x, what + ": x = table[id] written");
            assertArrayEquals(y2, y, what + ": y, the GEMV of the written row");
        } finally {
            dw.release();
            OpenClContext.release(dt, ids, dx, dxr, dn, dy, dy2);
        }
    }

    @Test void gemvB1GathersTheRowAndWritesX() {
        Rng rng = new Rng(95);
        OpenClMglu mglu = new OpenClMglu(cl, TC);
        try {
            int n = 0;
            for (int[] c : new int[][] {{8, 7}, {40, 33}, {264, 300}, {2056, 33}})     // h, d
                for (DType tdt : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    int h = c[0], d = c[1], V = 11;
                    DType wdt = n++ % 2 == 0 ? DType.F16 : DType.BF16;
                    String what = "table " + tdt + " W " + wdt + " h=" + h + " d=" + d;
                    assertTrue(mglu.b1GemvApplies(wdt, h, 1, true), what);
                    gather(mglu, rng, tdt, wdt, V, h, d, 7, true, what + " id 7 on the device");
                    gather(mglu, rng, tdt, wdt, V, h, d, 3, false, what + " id 3 from the host");
                    if (h == 40) {
                        gather(mglu, rng, tdt, wdt, V, h, d, -1, true, what + " id −1");
                        gather(mglu, rng, tdt, wdt, V, h, d, V, true, what + " id V");
                    }
                }
        } finally {
            mglu.release();
        }
        System.setProperty("jmglu.opencl.b1persist", "1");
        OpenClMglu persistent;
        try {
            persistent = new OpenClMglu(cl, TC);
        } finally {
            System.clearProperty("jmglu.opencl.b1persist");
        }
        try {
            gather(persistent, rng, DType.BF16, DType.F16, 9, 264, 1000, 4, true, "persistent grid");
        } finally {
            persistent.release();
        }
    }

    /**
     * embeddingRmsnorm of one row (ids on the device, and from the host) then the attention, as a decode step's layer 0:
     * no launch for the embedding, the attention's output, x and n as the reference's; an out-of-range id gives NaN.
     * Then embeddingRmsnorm and a plain read of x: written on that access.
     */
    @Test void backendStepGathersInTheAttention() {
        HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
        int V = 13, C = 40, nH = 2, nKv = 1, hd = 8, kv = nKv * hd, maxT = 4;
        Rope rope = Rope.interleaved(10000f);
        try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), TC)) {
            Rng rng = new Rng(96);
            Tensor table = Tensor.randn(rng, 1, V, C).to(DType.BF16), nw = OpenClTesting.randn(rng, 1, C);
            Tensor wq = OpenClTesting.weights(rng, DType.F16, nH * hd, C), wk = OpenClTesting.weights(rng, DType.F16, kv, C),
                    wv = OpenClTesting.weights(rng, DType.F16, kv, C);
            Tensor gt = gpu.adopt(table), gnw = gpu.adopt(nw), gq = gpu.adopt(wq), gk = gpu.adopt(wk), gv = gpu.adopt(wv);
            for (int id : new int[] {5, 12, -1}) {
                for (boolean onDevice : new boolean[] {true, false}) {
                    if (!onDevice && id < 0) continue;                                  // the host's ids are checked
                    String what = "id " + id + (onDevice ? " on the device" : " from the host");
                    Tensor ex = Tensor.zeros(1, C), en = Tensor.zeros(1, C), eo = Tensor.zeros(1, nH * hd);
                    Tensor x = OpenClTesting.poisoned(gpu, 1, C), n = OpenClTesting.poisoned(gpu, 1, C), out = OpenClTesting.poisoned(gpu, 1, nH * hd),
                            kc = gpu.zeros(1, maxT, kv), vc = gpu.zeros(1, maxT, kv);
                    long l0 = gpu.context().launches();
                    if (onDevice) gpu.embeddingRmsnorm(x, gt, gpu.adopt(Tensor.ofInts(new int[] {id}, 1)), n, gnw, EPS);
                    else gpu.embeddingRmsnorm(x, gt, new int[] {id}, n, gnw, EPS);
                    assertEquals(0, gpu.context().launches() - l0, what + ": the embedding is not launched");
                    assertTrue(gpu.norms.owesEmbedding(), what);
                    gpu.attention(out, n, gq, gk, gv, gpu.zeros(1, nH * hd), gpu.zeros(1, kv), gpu.zeros(1, kv), kc, vc, new int[] {0}, nH, nKv, hd, rope);
                    assertFalse(gpu.norms.owesEmbedding(), what + ": the attention's GEMV took it");
                    float[] gx = OpenClTesting.read(gpu, x), go = OpenClTesting.read(gpu, out), gn = OpenClTesting.read(gpu, n);
                    if (id < 0) {
                        for (float v : gx) assertTrue(Float.isNaN(v), what + ": x a row of NaN");
                        for (float v : go) assertTrue(Float.isNaN(v), what + ": the attention of a row of NaN");
                        continue;
                    }
                    ref.embeddingRmsnorm(ex, table, new int[] {id}, en, nw, EPS);
                    ref.attention(eo, en, wq, wk, wv, Tensor.zeros(1, nH * hd), Tensor.zeros(1, kv), Tensor.zeros(1, kv),
                            Tensor.zeros(1, maxT, kv), Tensor.zeros(1, maxT, kv), new int[] {0}, nH, nKv, hd, rope);
                    assertArrayEquals(ex.toArray(), gx, what + ": x");
                    Check.close(en.toArray(), gn, 1e-5, 1e-4, what + ": n");
                    Check.close(eo.toArray(), go, 1e-4, 1e-3, what + ": the attention");
                }
            }
            Tensor x = OpenClTesting.poisoned(gpu, 1, C), n = OpenClTesting.poisoned(gpu, 1, C);
            gpu.embeddingRmsnorm(x, gt, new int[] {2}, n, gnw, EPS);
            Tensor ex = Tensor.zeros(1, C), en = Tensor.zeros(1, C);
            ref.embeddingRmsnorm(ex, table, new int[] {2}, en, nw, EPS);
            assertArrayEquals(ex.toArray(), OpenClTesting.read(gpu, x), "x read: written on the access");
            assertFalse(gpu.norms.owesEmbedding());
        }
    }
}
