package jmglu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * Every decode op of SimdBackend against the composition of primitives in HostBackend over
 * ReferenceKernels, on awkward sizes (h 33, 70 and the in-register BF16 widths 64, 96, 128; d 17,
 * 45, 130; B 1, 3, 5, 8), every weight dtype and storage (heap, off-heap confined, mapped at an odd
 * offset), activations at non-zero offsets in their arrays. SimdBackend runs on 3 threads, and the
 * larger shapes pass the split threshold, so the chunked regions are exercised too.
 * Weights are scaled by 1/√h, so every dot product is O(1) and the tolerances mean something:
 * GEMV-like ops (linear, linearQkv, glu, flashMglu, mgluTopK) 1e-4 abs + 1e-4 rel (the same BF16/F16 values,
 * float sums in another order; g by the VecAct polynomial vs float64); rmsnorm, attention 1e-5 +
 * 1e-4; act 1e-5 + 1e-5; rope and embedding exact (the same float formula). 1 and 3 threads give
 * the same bits.
 */
class SimdBackendTest {
    final SimdBackend simd = new SimdBackend(new SimdKernels(SimdSettings.defaults().withThreads(3)));
    final Backend ref = new HostBackend(new ReferenceKernels(), "reference");

    /** A (B, n) activation at offset n in a larger array (one spare row each side), random values. */
    static Tensor act(Rng rng, int B, int n) {
        Tensor t = Tensor.zeros(B + 2, n).rows(1, B + 1);
        rng.fillGaussian(t.data(), t.offset(), B * n, 1.0);
        return t;
    }

    /** The same shape and values in a fresh view (the reference's copy). */
    static Tensor same(Tensor t) {
        int n = t.dim(t.rank() - 1), B = t.size() / n;
        Tensor c = Tensor.zeros(B + 2, n).rows(1, B + 1);
        System.arraycopy(t.data(), t.offset(), c.data(), c.offset(), t.size());
        return c;
    }

    static WeightMatrix weights(Rng rng, DType dt, int d, int h) {
        float[] w = Check.random(rng, d * h);
        for (int i = 0; i < w.length; i++) w[i] /= (float) Math.sqrt(h);
        return WeightMatrix.of(dt, w, d, h);
    }

    @Test void linearEveryDtypeStorageAndBatch() {
        long seed = 1;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int[] dh : new int[][] {{17, 33}, {45, 70}, {130, 64}, {45, 96}, {600, 128}})
                    for (int B : new int[] {1, 3, 5, 8})
                        for (boolean acc : new boolean[] {false, true}) {
                            Rng rng = new Rng(seed++);
                            int d = dh[0], h = dh[1];
                            WeightMatrix w = weights(rng, dt, d, h);
                            Tensor x = act(rng, B, h), y0 = act(rng, B, d);
                            Tensor ye = same(y0);
                            ref.linear(ye, same(x), w.tensor(), acc);
                            for (Stores.Kind kind : Stores.Kind.values()) {
                                Tensor ya = same(y0);
                                simd.linear(ya, x, st.weights(kind, w).tensor(), acc);
                                Check.close(ye.toArray(), ya.toArray(), 1e-4, 1e-4, "linear " + dt + " " + kind + " d=" + d + " h=" + h + " B=" + B + " acc=" + acc);
                            }
                        }
        }
    }

    /** The three projections in one region (BF16 rows) or as three linears (others), against the default composition. */
    @Test void linearQkvEveryDtypeAndBatch() {
        long seed = 50;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int[] dims : new int[][] {{33, 17, 17}, {64, 130, 45}, {96, 96, 33}, {128, 600, 130}})
                    for (int B : new int[] {1, 3, 8}) {
                        Rng rng = new Rng(seed++);
                        int h = dims[0], dq = dims[1], dk = dims[2];
                        WeightMatrix wq = weights(rng, dt, dq, h), wk = weights(rng, dt, dk, h), wv = weights(rng, dt, dk, h);
                        Tensor x = act(rng, B, h), qe = act(rng, B, dq), ke = act(rng, B, dk), ve = act(rng, B, dk);
                        ref.linearQkv(qe, ke, ve, same(x), wq.tensor(), wk.tensor(), wv.tensor());
                        for (Stores.Kind kind : new Stores.Kind[] {Stores.Kind.HEAP, Stores.Kind.MAPPED}) {
                            Tensor qa = act(rng, B, dq), ka = act(rng, B, dk), va = act(rng, B, dk);
                            simd.linearQkv(qa, ka, va, x, st.weights(kind, wq).tensor(), st.weights(kind, wk).tensor(), st.weights(kind, wv).tensor());
                            String what = dt + " " + kind + " h=" + h + " dq=" + dq + " dk=" + dk + " B=" + B;
                            Check.close(qe.toArray(), qa.toArray(), 1e-4, 1e-4, "linearQkv q " + what);
                            Check.close(ke.toArray(), ka.toArray(), 1e-4, 1e-4, "linearQkv k " + what);
                            Check.close(ve.toArray(), va.toArray(), 1e-4, 1e-4, "linearQkv v " + what);
                        }
                    }
        }
    }

    @Test void gluEveryDtypeStorageAndBatch() {
        long seed = 100;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int[] dh : new int[][] {{17, 33}, {45, 70}, {17, 64}, {130, 96}, {501, 128}})
                    for (int B : new int[] {1, 3, 5, 8})
                        for (Act g : Act.values()) {
                            Rng rng = new Rng(seed++);
                            int d = dh[0], h = dh[1];
                            WeightMatrix wg = weights(rng, dt, d, h), wv = weights(rng, dt, d, h);
                            Tensor x = act(rng, B, h), ye = act(rng, B, d);
                            ref.glu(ye, same(x), wg.tensor(), wv.tensor(), g);
                            for (Stores.Kind kind : Stores.Kind.values()) {
                                Tensor ya = act(rng, B, d);
                                simd.glu(ya, x, st.weights(kind, wg).tensor(), st.weights(kind, wv).tensor(), g);
                                Check.close(ye.toArray(), ya.toArray(), 1e-4, 1e-4, "glu " + g + " " + dt + " " + kind + " d=" + d + " h=" + h + " B=" + B);
                            }
                        }
        }
    }

    @Test void flashMgluAndTopKEveryStorage() {
        long seed = 200;
        try (Stores st = new Stores()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16})
                for (int[] dh : new int[][] {{17, 33}, {45, 70}, {130, 64}})
                    for (int nm : new int[] {1, 3, 4})
                        for (int B : new int[] {1, 3, 8}) {
                            Rng rng = new Rng(seed++);
                            int d = dh[0], h = dh[1];
                            WeightMatrix w = weights(rng, dt, d, h);
                            MaskPlanes m = MaskPacker.pack(Check.random(rng, nm * d * h), nm, d, h);
                            Tensor x = act(rng, B, h), router = Tensor.of(Check.random(rng, nm * h), nm, h);
                            Tensor ye = act(rng, B, d), te = act(rng, B, d);
                            ref.flashMglu(ye, same(x), w.tensor(), m.tensor(), Act.SILU);
                            ref.mgluTopK(te, same(x), w.tensor(), m.tensor(), router, Math.min(2, nm), Act.GELU);
                            for (Stores.Kind kind : Stores.Kind.values()) {
                                Tensor ya = act(rng, B, d), ta = act(rng, B, d);
                                Tensor wk = st.weights(kind, w).tensor(), mk = st.masks(kind, m).tensor();
                                simd.flashMglu(ya, x, wk, mk, Act.SILU);
                                simd.mgluTopK(ta, x, wk, mk, router, Math.min(2, nm), Act.GELU);
                                String what = dt + " " + kind + " nm=" + nm + " d=" + d + " h=" + h + " B=" + B;
                                Check.close(ye.toArray(), ya.toArray(), 1e-4, 1e-4, "flashMglu " + what);
                                Check.close(te.toArray(), ta.toArray(), 1e-4, 1e-4, "mgluTopK " + what);
                            }
                        }
        }
    }

    @Test void attentionStepRopeGqaAndPositionsPerRow() {
        long seed = 300;
        for (Rope rope : new Rope[] {Rope.interleaved(10000f), Rope.halves(500000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 16)),
                Rope.halves(10000f, new Rope.Scaling.Linear(2f))})
        for (int[] heads : new int[][] {{4, 2}, {4, 4}, {3, 1}})
            for (int hd : new int[] {6, 34, 16})
                for (int B : new int[] {1, 3}) {
                    Rng rng = new Rng(seed++);
                    int nH = heads[0], nKv = heads[1], kv = nKv * hd, maxT = 11;
                    Tensor kcE = Tensor.zeros(B, maxT, kv), vcE = Tensor.zeros(B, maxT, kv), kcA = Tensor.zeros(B, maxT, kv), vcA = Tensor.zeros(B, maxT, kv);
                    for (int step = 0; step < 8; step++) {
                        int[] pos = new int[B];
                        for (int b = 0; b < B; b++) pos[b] = Math.min(maxT - 1, Math.max(0, step - b) + (b == 2 ? 3 : 0)); // rows at other positions
                        Tensor q = act(rng, B, nH * hd), k = act(rng, B, kv), v = act(rng, B, kv);
                        Tensor qe = same(q), ke = same(k), ve = same(v);
                        ref.rope(qe, nH, hd, pos, rope);
                        ref.rope(ke, nKv, hd, pos, rope);
                        simd.rope(q, nH, hd, pos, rope);
                        simd.rope(k, nKv, hd, pos, rope);
                        String what = rope.label() + " nH=" + nH + " nKv=" + nKv + " hd=" + hd + " B=" + B + " step " + step;
                        Check.close(qe.toArray(), q.toArray(), 0, 0, "rope q " + what);
                        Check.close(ke.toArray(), k.toArray(), 0, 0, "rope k " + what);
                        Tensor oe = act(rng, B, nH * hd), oa = act(rng, B, nH * hd);
                        ref.attentionStep(oe, qe, ke, ve, kcE, vcE, pos, nH, nKv, hd);
                        simd.attentionStep(oa, q, k, v, kcA, vcA, pos, nH, nKv, hd);
                        Check.close(oe.toArray(), oa.toArray(), 1e-5, 1e-4, "attentionStep " + what);
                        Check.close(kcE.toArray(), kcA.toArray(), 0, 0, "k cache " + what);
                        Check.close(vcE.toArray(), vcA.toArray(), 0, 0, "v cache " + what);
                    }
                }
    }

    /** Long contexts and many heads: the step is split over threads. */
    @Test void attentionStepLargeIsSplit() {
        Rng rng = new Rng(400);
        int B = 2, nH = 8, nKv = 2, hd = 64, kv = nKv * hd, maxT = 300;
        Tensor kcE = Tensor.randn(rng, 1, B, maxT, kv), vcE = Tensor.randn(rng, 1, B, maxT, kv), kcA = kcE.copy(), vcA = vcE.copy();
        int[] pos = {299, 150};
        Tensor q = act(rng, B, nH * hd), k = act(rng, B, kv), v = act(rng, B, kv), oe = act(rng, B, nH * hd), oa = act(rng, B, nH * hd);
        ref.attentionStep(oe, same(q), same(k), same(v), kcE, vcE, pos, nH, nKv, hd);
        simd.attentionStep(oa, q, k, v, kcA, vcA, pos, nH, nKv, hd);
        Check.close(oe.toArray(), oa.toArray(), 1e-5, 1e-4, "attentionStep B=2 len 300/151");
    }

    @Test void rmsnormActEmbedding() {
        Rng rng = new Rng(500);
        for (int C : new int[] {1, 17, 33, 70, 256})
            for (int B : new int[] {1, 3}) {
                Tensor x = act(rng, B, C), w = Tensor.of(Check.random(rng, C), C), oe = act(rng, B, C), oa = act(rng, B, C);
                ref.rmsnorm(oe, same(x), w, 1e-5f);
                simd.rmsnorm(oa, x, w, 1e-5f);
                Check.close(oe.toArray(), oa.toArray(), 1e-5, 1e-4, "rmsnorm C=" + C + " B=" + B);
                for (Act g : Act.values()) {
                    Tensor ae = same(x), aa = same(x);
                    ref.act(g, ae);
                    simd.act(g, aa);
                    Check.close(ae.toArray(), aa.toArray(), 1e-5, 1e-5, "act " + g + " C=" + C);
                }
                for (DType dt : DType.floats()) {
                    Tensor table = Tensor.of(Check.random(rng, 5 * C), 5, C).to(dt);
                    int[] ids = B == 1 ? new int[] {4} : new int[] {2, 0, 2};
                    Tensor ee = act(rng, B, C), ea = act(rng, B, C);
                    ref.embedding(ee, table, ids);
                    simd.embedding(ea, table, ids);
                    Check.close(ee.toArray(), ea.toArray(), 0, 0, "embedding " + dt + " C=" + C);
                }
            }
    }

    /** 1 and 3 threads give the same bits: the index space of every op is fixed, only which thread takes a chunk varies. */
    @Test void threadCountsAgree() {
        SimdBackend one = new SimdBackend(new SimdKernels(SimdSettings.defaults().withThreads(1)));
        Rng rng = new Rng(600);
        int B = 5, h = 256, d = 1030, nm = 4;
        WeightMatrix w = weights(rng, DType.BF16, d, h), w2 = weights(rng, DType.BF16, d, h);
        MaskPlanes m = MaskPacker.pack(Check.random(rng, nm * d * h), nm, d, h);
        Tensor x = act(rng, B, h);
        Tensor[] a = {act(rng, B, d), act(rng, B, d), act(rng, B, d)}, b = {same(a[0]), same(a[1]), same(a[2])};
        SimdBackend[] be = {one, simd};
        Tensor[][] out = {a, b};
        for (int i = 0; i < 2; i++) {
            be[i].linear(out[i][0], x, w.tensor(), true);
            be[i].glu(out[i][1], x, w.tensor(), w2.tensor(), Act.SILU);
            be[i].flashMglu(out[i][2], x, w.tensor(), m.tensor(), Act.SILU);
        }
        for (int k = 0; k < 3; k++) Check.close(a[k].toArray(), b[k].toArray(), 0, 0, "op " + k + ": 1 vs 3 threads");
    }

    @Test void opsAndName() {
        assertEquals(ref.ops(), simd.ops());
        assertEquals("simd", simd.name());
    }
}
