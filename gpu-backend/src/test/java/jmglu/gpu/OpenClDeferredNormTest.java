package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.masks;
import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * The deferred norm ({@link ClNorms}): after linearRmsnorm / embeddingRmsnorm the OpenCL backend owes n = rmsnorm(y)
 * and its consumers normalise as they load (mglu.cl and flash_tc.cl NORMIN; the fast kernel reads a normed copy).
 * Each case runs the producer and then one consumer of n on {@link OpenClBackend} and on HostBackend(ReferenceKernels)
 * and checks: the norm is still owed after the consumer (it took the NORMIN path, n was not written), the consumer's
 * output, and n itself when read (written then). Settings: the defaults (row kernels, fast kernel at nm ≥ 5), the
 * tensor-core kernel (emulated mma on PoCL) and every fast path off; every B takes the norm in its consumer here (by
 * default only B = 1 does: {@link #largerBatchesWriteTheNorm}), except where the GEMMs ({@link ClGemm}, more than 8 rows)
 * take the rows: they read n, written first. Awkward sizes: h 33, 45 (the tail columns), B 1, 3
 * and 19 (two launches, the second at a row offset). And the other accesses: a write to y, or a read of n, between
 * the producer and the consumer gives the composition's values.
 */
class OpenClDeferredNormTest {
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
    static final float EPS = 1e-5f;
    static final OpenClSettings DEF = OpenClTesting.settings();
    static final OpenClSettings[] SETTINGS = {DEF, DEF.withTc(OpenClSettings.Switch.ON).withFast(false), DEF.withTc(OpenClSettings.Switch.OFF).withFast(false)};

    /** One producer → consumer case: y (B, C) += a Woᵀ, n = rmsnorm(y); out = consumer(n). */
    interface Consumer { void run(jmglu.engine.Backend be, Tensor out, Tensor n, Tensor[] w); }

    static void check(OpenClBackend gpu, Rng rng, int C, int B, int outW, Tensor[] hostW, Consumer op, double abs, String what) {
        check(gpu, rng, C, B, outW, hostW, op, abs, what, true);
    }

    /** owed: whether the consumer takes the norm (else it is written when the consumer reads n). */
    static void check(OpenClBackend gpu, Rng rng, int C, int B, int outW, Tensor[] hostW, Consumer op, double abs, String what, boolean owed) {
        int h0 = 45;
        Tensor a = randn(rng, 1, B, h0), y0 = randn(rng, 1, B, C), wo = weights(rng, DType.F16, C, h0), nw = randn(rng, 1, C);
        Tensor ey = y0.copy(), en = Tensor.zeros(B, C), eo = Tensor.zeros(B, outW);
        ref.linearRmsnorm(ey, a, wo, true, en, nw, EPS);
        op.run(ref, eo, en, hostW);
        Tensor[] dw = new Tensor[hostW.length];
        for (int i = 0; i < hostW.length; i++) dw[i] = gpu.adopt(hostW[i]);
        Tensor y = gpu.adopt(y0), n = poisoned(gpu, B, C), out = poisoned(gpu, B, outW);
        gpu.linearRmsnorm(y, gpu.adopt(a), gpu.adopt(wo), true, n, gpu.adopt(nw), EPS);
        op.run(gpu, out, n, dw);
        assertEquals(owed, gpu.norms.owes(), what + (owed ? ": the consumer wrote n" : ": n not written for its consumer"));
        Check.close(eo.toArray(), read(gpu, out), abs, 1e-3, what);
        Check.close(en.toArray(), read(gpu, n), 1e-4, 1e-4, what + " n");
        assertFalse(gpu.norms.owes(), what + ": n read, still owed");
    }

    /** By default only one row takes the norm in its consumer: more rows have n written first (the composition). */
    @Test void largerBatchesWriteTheNorm() {
        Rng rng = new Rng(64);
        try (OpenClBackend gpu = OpenClTesting.backend()) {
            for (int B : new int[] {1, 3}) {
                int C = 64, d = 45;
                check(gpu, rng, C, B, d, new Tensor[] {weights(rng, DType.F16, d, C)}, (be, out, n, w) -> be.linear(out, n, w[0], false), 2e-5,
                        "default linear B=" + B, B <= gpu.norms.maxRows);
            }
        }
    }

    @Test void consumersNormaliseAsTheyLoad() {
        OpenClTesting.requireOpenCl();
        Rng rng = new Rng(61);
        for (OpenClSettings s : SETTINGS)
            try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), s)) {
                gpu.norms.maxRows = 19;                                 // the kernels' NORMIN at every B
                String set = "tc=" + s.tc() + " fast=" + s.fast();
                for (int[] c : new int[][] {{33, 17, 1}, {64, 45, 3}, {96, 70, 19}}) {          // C, d, B
                    int C = c[0], d = c[1], B = c[2];
                    for (DType dt : new DType[] {DType.F16, DType.BF16}) {
                        String what = set + " " + dt + " C=" + C + " d=" + d + " B=" + B;
                        boolean owed = !gpu.gemm.applies(dt, C, B);                               // the GEMMs read the norm written
                        check(gpu, rng, C, B, d, new Tensor[] {weights(rng, dt, d, C)},
                                (be, out, n, w) -> be.linear(out, n, w[0], false), 2e-5, "linear " + what, owed);
                        check(gpu, rng, C, B, d, new Tensor[] {weights(rng, dt, d, C), weights(rng, dt, d, C)},
                                (be, out, n, w) -> be.glu(out, n, w[0], w[1], Act.SILU), 2e-5, "glu " + what, owed);
                        for (int nm : new int[] {3, 5}) {                                         // nm 5: the fast kernel at B = 1
                            check(gpu, rng, C, B, d, new Tensor[] {weights(rng, dt, d, C), masks(rng, nm, d, C)},
                                    (be, out, n, w) -> be.flashMglu(out, n, w[0], w[1], Act.GELU), dt == DType.BF16 ? 2e-3 : 3e-4,
                                    "flashMglu nm=" + nm + " " + what, owed);
                        }
                    }
                }
            }
    }

    @Test void attentionNormalisesItsInput() {
        Rng rng = new Rng(62);
        int nH = 4, nKv = 2, hd = 6, C = 40, maxT = 32, kv = nKv * hd;
        Rope rope = Rope.interleaved(10000f);
        try (OpenClBackend gpu = OpenClTesting.backend()) {
            gpu.norms.maxRows = 19;
            for (DType[] dt : new DType[][] {{DType.F16, DType.F16, DType.F16}, {DType.F32, DType.F16, DType.BF16}}) {   // stacked; three GEMVs
                int[] pos = {2, 9, 0};
                int B = pos.length;
                Tensor wq = weights(rng, dt[0], nH * hd, C), wk = weights(rng, dt[1], kv, C), wv = weights(rng, dt[2], kv, C);
                Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv);
                Tensor dkc = gpu.adopt(kc), dvc = gpu.adopt(vc);
                check(gpu, rng, C, B, nH * hd, new Tensor[] {wq, wk, wv}, (be, out, n, w) -> {
                    boolean host = be == ref;
                    be.attention(out, n, w[0], w[1], w[2], be.zeros(B, nH * hd), be.zeros(B, kv), be.zeros(B, kv),
                            host ? kc : dkc, host ? vc : dvc, pos, nH, nKv, hd, rope);
                }, 1e-5, "attention " + dt[0] + "/" + dt[1] + "/" + dt[2]);
                Check.close(kc.toArray(), read(gpu, dkc), 1e-5, 1e-4, "attention k cache");
            }
            int P = 19, row = 1, p0 = 3;                                                  // a prefill of two 16-row passes
            Tensor wq = weights(rng, DType.F16, nH * hd, C), wk = weights(rng, DType.F16, kv, C), wv = weights(rng, DType.F16, kv, C);
            Tensor kc = randn(rng, 1, 2, maxT, kv), vc = randn(rng, 1, 2, maxT, kv);
            Tensor dkc = gpu.adopt(kc), dvc = gpu.adopt(vc);
            check(gpu, rng, C, P, nH * hd, new Tensor[] {wq, wk, wv}, (be, out, n, w) -> {
                boolean host = be == ref;
                be.prefillAttention(out, n, w[0], w[1], w[2], be.zeros(P, nH * hd), be.zeros(P, kv), be.zeros(P, kv),
                        host ? kc : dkc, host ? vc : dvc, row, p0, nH, nKv, hd, rope);
            }, 1e-5, "prefill attention", !gpu.gemm.applies(DType.F16, C, P));
        }
    }

    /** Between the producer and the consumer: y overwritten (the consumer must see the old norm), or n read back. */
    @Test void otherAccessesSeeTheComposition() {
        Rng rng = new Rng(63);
        int C = 33, d = 20, B = 3, V = 11;
        try (OpenClBackend gpu = OpenClTesting.backend()) {
            gpu.norms.maxRows = 19;
            Tensor table = randn(rng, 1, V, C), nw = randn(rng, 1, C), w = weights(rng, DType.F16, d, C), w2 = weights(rng, DType.F16, C, d);
            Tensor z = randn(rng, 1, B, d);
            int[] ids = {4, 0, 10};
            for (int variant = 0; variant < 3; variant++) {
                Tensor ex = Tensor.zeros(B, C), en = Tensor.zeros(B, C), eo = Tensor.zeros(B, d);
                Tensor x = poisoned(gpu, B, C), n = poisoned(gpu, B, C), out = poisoned(gpu, B, d);
                ref.embeddingRmsnorm(ex, table, ids, en, nw, EPS);
                gpu.embeddingRmsnorm(x, gpu.adopt(table), ids, n, gpu.adopt(nw), EPS);
                if (variant == 0) {                                         // y written before n is consumed
                    ref.linear(ex, z, w2, true);
                    gpu.linear(x, gpu.adopt(z), gpu.adopt(w2), true);
                } else if (variant == 1) {                                  // n read, then consumed
                    Check.close(en.toArray(), read(gpu, n), 1e-5, 1e-5, "n read before its consumer");
                } else {                                                    // the same (y, n) owed again: the first n is dropped unread
                    ref.embeddingRmsnorm(ex, table, new int[] {1, 2, 3}, en, nw, EPS);
                    gpu.embeddingRmsnorm(x, gpu.adopt(table), new int[] {1, 2, 3}, n, gpu.adopt(nw), EPS);
                }
                ref.linear(eo, en, w, false);
                gpu.linear(out, n, gpu.adopt(w), false);
                Check.close(eo.toArray(), read(gpu, out), 2e-5, 1e-4, "consumer, variant " + variant);
                Check.close(ex.toArray(), read(gpu, x), 2e-5, 1e-4, "y, variant " + variant);
                Check.close(en.toArray(), read(gpu, n), 1e-5, 1e-5, "n, variant " + variant);
            }
        }
    }
}
