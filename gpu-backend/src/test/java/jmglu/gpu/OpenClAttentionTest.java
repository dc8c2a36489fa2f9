package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.attentionOverHalves;
import static jmglu.gpu.OpenClTesting.halves;
import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;

import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fused attention op of {@link OpenClBackend} (one GEMV over [Wq; Wk; Wv], RoPE + cache write +
 * attention split over the KV length in SK-key splits, the merge) against the composition of
 * primitives on {@link HostBackend} over {@link ReferenceKernels}: awkward sizes (h 33, 70, 40; hd 6, 10, 12),
 * grouped heads (nH 4 with nKv 4, 2, 1), rows of 1, 3 and 19 (past one 16-row launch), positions
 * 0..150 (one split, several, and rows of different lengths in one launch), one dtype for the three
 * matrices (the stacked copy) and mixed (three GEMVs). The caches must hold exactly what the
 * composition wrote (the rotated k); out 1e-5 + 1e-4 (splits sum in another order).
 * Then several steps in a row on the same caches, so later steps read what earlier ones wrote (and
 * the merge's tickets are reused); then lengths at the split size ± 1 and long contexts (more splits than
 * a work-group has threads: the merge in chunks), hd past two blocks of the merge (130). Then the steps in a row and the
 * prefill (rope_kv, rope_attn; attn_prefill.cl with the GEMMs on) over F16 caches, against the reference over the same halves.
 */
class OpenClAttentionTest {
    static OpenClBackend gpu;
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");

    @BeforeAll static void open() {
        gpu = OpenClTesting.backend();
    }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    /** interleaved (jmglu), halves with llama3 scaling and halves with linear scaling (HF checkpoints). */
    static final Rope[] ROPES = {Rope.interleaved(10000f), Rope.halves(10000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 64)),
            Rope.halves(10000f, new Rope.Scaling.Linear(2f))};

    @Test void fusedAttentionMatchesTheComposition() {
        Rng rng = new Rng(11);
        DType[][] dts = {{DType.F16, DType.F16, DType.F16}, {DType.F32, DType.F32, DType.F32}, {DType.BF16, DType.F16, DType.BF16}};
        int[][] shapes = {{4, 4, 6, 33}, {4, 2, 10, 70}, {4, 1, 6, 33}, {4, 2, 12, 40}};    // nH, nKv, hd, h (hd 12: the float4 score loads)
        int[][] positions = {{0}, {64, 3, 150}, {2, 70, 1, 0, 5, 128, 3, 3, 63, 4, 2, 1, 7, 0, 65, 5, 4, 6, 2}};
        int n = 0;
        for (int[] c : shapes)
            for (int[] pos : positions) {
                DType[] dt = dts[n++ % dts.length];
                int nH = c[0], nKv = c[1], hd = c[2], h = c[3], B = pos.length, maxT = 151, kv = nKv * hd;
                Rope theta = ROPES[(n - 1) % ROPES.length];
                Tensor x = randn(rng, 1, B, h), wq = weights(rng, dt[0], nH * hd, h), wk = weights(rng, dt[1], kv, h), wv = weights(rng, dt[2], kv, h);
                Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv);
                Tensor dkc = gpu.adopt(kc), dvc = gpu.adopt(vc);
                Tensor e = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
                ref.attention(e, x, wq, wk, wv, Tensor.zeros(B, nH * hd), Tensor.zeros(B, kv), Tensor.zeros(B, kv), kc, vc, pos, nH, nKv, hd, theta);
                gpu.attention(a, gpu.adopt(x), gpu.adopt(wq), gpu.adopt(wk), gpu.adopt(wv), gpu.zeros(B, nH * hd), gpu.zeros(B, kv), gpu.zeros(B, kv),
                        dkc, dvc, pos, nH, nKv, hd, theta);
                String what = "attention " + theta.label() + " " + dt[0] + "/" + dt[1] + "/" + dt[2] + " nH=" + nH + " nKv=" + nKv + " hd=" + hd + " h=" + h + " B=" + B;
                Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, what);
                Check.close(kc.toArray(), read(gpu, dkc), 1e-6, 1e-5, what + " k cache");
                Check.close(vc.toArray(), read(gpu, dvc), 1e-6, 1e-5, what + " v cache");
            }
    }

    /** A prefill of P positions (past one 16-row pass) into cache row 1 against P single-row attention steps of the reference. */
    @Test void prefillMatchesOneStepAtATime() {
        Rng rng = new Rng(13);
        for (int[] c : new int[][] {{4, 2, 10, 45, 0, 21}, {4, 1, 6, 33, 70, 9}, {4, 4, 6, 70, 3, 80}, {4, 2, 8, 40, 5, 30}}) {   // nH, nKv, hd, h, p0, P
            int nH = c[0], nKv = c[1], hd = c[2], h = c[3], p0 = c[4], P = c[5], maxT = 160, kv = nKv * hd, row = 1;
            Rope rope = ROPES[(p0 + P) % ROPES.length];
            Tensor wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
            Tensor x = randn(rng, 1, P, h), kc = randn(rng, 1, 2, maxT, kv), vc = randn(rng, 1, 2, maxT, kv);
            Tensor dkc = gpu.adopt(kc), dvc = gpu.adopt(vc), e = Tensor.zeros(P, nH * hd), a = poisoned(gpu, P, nH * hd);
            Tensor q = Tensor.zeros(1, nH * hd), k = Tensor.zeros(1, kv), v = Tensor.zeros(1, kv);
            for (int i = 0; i < P; i++)
                ref.attention(e.rows(i, i + 1), x.rows(i, i + 1), wq, wk, wv, q, k, v, kc.rows(row, row + 1), vc.rows(row, row + 1),
                        new int[] {p0 + i}, nH, nKv, hd, rope);
            gpu.prefillAttention(a, gpu.adopt(x), gpu.adopt(wq), gpu.adopt(wk), gpu.adopt(wv), gpu.zeros(P, nH * hd), gpu.zeros(P, kv), gpu.zeros(P, kv),
                    dkc, dvc, row, p0, nH, nKv, hd, rope);
            String what = "prefill " + rope.label() + " nH=" + nH + " nKv=" + nKv + " hd=" + hd + " h=" + h + " p0=" + p0 + " P=" + P;
            Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, what);
            Check.close(kc.toArray(), read(gpu, dkc), 1e-6, 1e-5, what + " k cache");
            Check.close(vc.toArray(), read(gpu, dvc), 1e-6, 1e-5, what + " v cache");
            Tensor e2 = Tensor.zeros(P, nH * hd), kc2 = randn(rng, 1, 2, maxT, kv), vc2 = kc2.copy();   // the host composition, the same way
            Tensor kc3 = kc2.copy(), vc3 = vc2.copy();
            for (int i = 0; i < P; i++)
                ref.attention(e2.rows(i, i + 1), x.rows(i, i + 1), wq, wk, wv, q, k, v, kc2.rows(row, row + 1), vc2.rows(row, row + 1),
                        new int[] {p0 + i}, nH, nKv, hd, rope);
            Tensor e3 = Tensor.zeros(P, nH * hd);
            ref.prefillAttention(e3, x, wq, wk, wv, Tensor.zeros(P, nH * hd), Tensor.zeros(P, kv), Tensor.zeros(P, kv), kc3, vc3, row, p0, nH, nKv, hd, rope);
            Check.close(e2.toArray(), e3.toArray(), 1e-6, 1e-5, what + " host composition");
        }
    }

    @Test void stepsInARowReadWhatEarlierStepsWrote() {
        Rng rng = new Rng(12);
        int nH = 4, nKv = 2, hd = 10, h = 45, B = 3, maxT = 80, kv = nKv * hd, steps = 70;
        Rope rope = ROPES[1];
        Tensor wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
        Tensor dwq = gpu.adopt(wq), dwk = gpu.adopt(wk), dwv = gpu.adopt(wv);
        Tensor kc = Tensor.zeros(B, maxT, kv), vc = Tensor.zeros(B, maxT, kv), dkc = gpu.zeros(B, maxT, kv), dvc = gpu.zeros(B, maxT, kv);
        Tensor q = Tensor.zeros(B, nH * hd), k = Tensor.zeros(B, kv), v = Tensor.zeros(B, kv);
        Tensor dq = gpu.zeros(B, nH * hd), dk = gpu.zeros(B, kv), dv = gpu.zeros(B, kv), a = gpu.zeros(B, nH * hd);
        for (int t = 0; t < steps; t++) {
            int[] pos = {t, t + 5 < maxT ? t + 5 : t, t / 2};       // row 2 rewrites positions it has written (as a new sequence would)
            Tensor x = randn(rng, 1, B, h), e = Tensor.zeros(B, nH * hd);
            ref.attention(e, x, wq, wk, wv, q, k, v, kc, vc, pos, nH, nKv, hd, rope);
            gpu.attention(a, gpu.adopt(x), dwq, dwk, dwv, dq, dk, dv, dkc, dvc, pos, nH, nKv, hd, rope);
            Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, "attention step " + t);
        }
        Check.close(kc.toArray(), read(gpu, dkc), 1e-6, 1e-5, "k cache after " + steps + " steps");
    }

    /**
     * F16 caches (gpu.zeros(F16, ...), as a decode state makes them) through 70 steps in a row against the reference over
     * the same halves ({@link OpenClTesting#attentionOverHalves}, given the device's caches for the values at a rounding
     * midpoint): every step's out within the F32 tolerance, the caches exactly the reference's.
     */
    @Test void stepsInARowOverHalves() {
        Rng rng = new Rng(15);
        int nH = 4, nKv = 2, hd = 10, h = 45, B = 3, maxT = 80, kv = nKv * hd, steps = 70;
        Rope rope = ROPES[0];
        Tensor wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
        Tensor dwq = gpu.adopt(wq), dwk = gpu.adopt(wk), dwv = gpu.adopt(wv);
        Tensor kc = Tensor.zeros(B, maxT, kv), vc = Tensor.zeros(B, maxT, kv), dkc = gpu.zeros(DType.F16, B, maxT, kv), dvc = gpu.zeros(DType.F16, B, maxT, kv);
        Tensor dq = gpu.zeros(B, nH * hd), dk = gpu.zeros(B, kv), dv = gpu.zeros(B, kv), a = gpu.zeros(B, nH * hd);
        for (int t = 0; t < steps; t++) {
            int[] pos = {t, t + 5 < maxT ? t + 5 : t, t / 2};
            Tensor x = randn(rng, 1, B, h), e = Tensor.zeros(B, nH * hd);
            gpu.attention(a, gpu.adopt(x), dwq, dwk, dwv, dq, dk, dv, dkc, dvc, pos, nH, nKv, hd, rope);
            attentionOverHalves(ref, e, x, wq, wk, wv, kc, vc, pos, nH, nKv, hd, rope, read(gpu, dkc), read(gpu, dvc));
            Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, "attention over halves step " + t);
        }
        Check.close(kc.toArray(), read(gpu, dkc), 0, 0, "k cache of halves after " + steps + " steps");
        Check.close(vc.toArray(), read(gpu, dvc), 0, 0, "v cache of halves after " + steps + " steps");
    }

    /**
     * A prefill over F16 caches into cache row 1 against P reference steps over the same halves: rope_kv's half stores,
     * then rope_attn per 16 rows (the default here) or attn_prefill.cl in one launch (the GEMMs on: tensor cores,
     * emulated on PoCL; x holds F16 values so that the GEMM's x is exact). out within the F32 tolerance, the caches
     * exactly the reference's (given the device's caches for the values at a rounding midpoint).
     */
    @Test void prefillOverHalvesMatchesTheRoundedReference() {
        Rng rng = new Rng(16);
        try (OpenClBackend tc = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON))) {
            for (OpenClBackend be : new OpenClBackend[] {gpu, tc})
                for (int[] c : new int[][] {{4, 2, 10, 40, 0, 21}, {4, 1, 8, 48, 70, 30}}) {   // nH, nKv, hd, h, p0, P
                    int nH = c[0], nKv = c[1], hd = c[2], h = c[3], p0 = c[4], P = c[5], maxT = 160, kv = nKv * hd, row = 1;
                    Rope rope = ROPES[(p0 + P) % ROPES.length];
                    Tensor wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
                    Tensor x = halves(randn(rng, 1, P, h)), kc = randn(rng, 1, 2, maxT, kv), vc = randn(rng, 1, 2, maxT, kv), kh = halves(kc), vh = halves(vc);
                    Tensor dkc = be.adopt(kc.to(DType.F16)), dvc = be.adopt(vc.to(DType.F16)), e = Tensor.zeros(P, nH * hd), a = poisoned(be, P, nH * hd);
                    be.prefillAttention(a, be.adopt(x), be.adopt(wq), be.adopt(wk), be.adopt(wv), be.zeros(P, nH * hd), be.zeros(P, kv), be.zeros(P, kv),
                            dkc, dvc, row, p0, nH, nKv, hd, rope);
                    float[] gk = read(be, dkc), gv = read(be, dvc);
                    float[] rk = java.util.Arrays.copyOfRange(gk, row * maxT * kv, (row + 1) * maxT * kv), rv = java.util.Arrays.copyOfRange(gv, row * maxT * kv, (row + 1) * maxT * kv);
                    for (int i = 0; i < P; i++)
                        attentionOverHalves(ref, e.rows(i, i + 1), x.rows(i, i + 1), wq, wk, wv, kh.rows(row, row + 1), vh.rows(row, row + 1),
                                new int[] {p0 + i}, nH, nKv, hd, rope, rk, rv);
                    String what = "prefill over halves" + (be == tc ? " (GEMM, attn_prefill)" : "") + " nH=" + nH + " nKv=" + nKv + " hd=" + hd + " P=" + P;
                    Check.close(e.toArray(), read(be, a), 1e-5, 1e-4, what);
                    Check.close(kh.toArray(), gk, 0, 0, what + " k cache");
                    Check.close(vh.toArray(), gv, 0, 0, what + " v cache");
                }
        }
    }

    /**
     * Lengths at the split size ± 1 (8 keys for one row, 16 for more), one position, and long contexts of up to
     * 1024 keys (128 and 64 splits: more than the 64 threads of the merging group), twice on the same caches.
     */
    @Test void splitEdgesAndLongContexts() {
        Rng rng = new Rng(13);
        int[][] positions = {{0}, {6}, {7}, {8}, {15}, {16}, {599}, {1023}, {14, 15, 16, 17, 31, 32, 0, 1023}, {1000, 520, 7}};
        for (int[] c : new int[][] {{4, 2, 6, 33}, {2, 1, 130, 40}})              // nH, nKv, hd, h (130: the merge's second block)
            for (int[] pos : positions) {
                int nH = c[0], nKv = c[1], hd = c[2], h = c[3], B = pos.length, maxT = 1024, kv = nKv * hd;
                Rope rope = ROPES[0];
                Tensor wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
                Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv), dkc = gpu.adopt(kc), dvc = gpu.adopt(vc);
                Tensor dwq = gpu.adopt(wq), dwk = gpu.adopt(wk), dwv = gpu.adopt(wv);
                for (int rep = 0; rep < 2; rep++) {
                    Tensor x = randn(rng, 1, B, h), e = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
                    ref.attention(e, x, wq, wk, wv, Tensor.zeros(B, nH * hd), Tensor.zeros(B, kv), Tensor.zeros(B, kv), kc, vc, pos, nH, nKv, hd, rope);
                    gpu.attention(a, gpu.adopt(x), dwq, dwk, dwv, gpu.zeros(B, nH * hd), gpu.zeros(B, kv), gpu.zeros(B, kv), dkc, dvc, pos, nH, nKv, hd, rope);
                    Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, "attention hd=" + hd + " pos=" + java.util.Arrays.toString(pos) + " call " + rep);
                }
                Check.close(kc.toArray(), read(gpu, dkc), 1e-6, 1e-5, "k cache hd=" + hd);
            }
    }
}
