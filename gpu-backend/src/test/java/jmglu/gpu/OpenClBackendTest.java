package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.masks;
import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;

import jmglu.engine.Act;
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
 * Every decode op of {@link OpenClBackend} against {@link HostBackend} over {@link ReferenceKernels}
 * on the same host tensors (uploaded with adopt, read back after the op), on awkward sizes (h 33, 70;
 * d 17, 45; B 1, 3 and 19 — past one 16-row launch; nH 4 with nKv 1, 2, 4; F32/BF16/F16 weights;
 * nm 1, 3, 8). Outputs start as NaN on the device, so every element must be written.
 * Tolerances |gpu − ref| ≤ abs + rel·|ref|, float32 sums in another order (weights scaled 1/√h,
 * outputs O(1)): gathers and cache writes exact; rmsnorm, rope, act 1e-5 + 1e-5; linear, glu
 * 2e-5 + 1e-4; FlashMGLU and Top-K 1e-4·nm + 1e-4; attention 1e-5 + 1e-4.
 */
class OpenClBackendTest {
    static OpenClBackend gpu;
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");

    @BeforeAll static void open() {
        gpu = OpenClTesting.backend();
    }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    @Test void embeddingGathersRowsOfEveryDtype() {
        Rng rng = new Rng(1);
        for (DType dt : DType.floats())
            for (int[] c : new int[][] {{37, 17, 1}, {37, 45, 3}, {11, 33, 19}}) {          // V, C, B
                int V = c[0], C = c[1], B = c[2];
                Tensor table = randn(rng, 1, V, C).to(dt);
                int[] ids = new int[B];
                for (int b = 0; b < B; b++) ids[b] = (b * 7 + 3) % V;
                Tensor e = Tensor.zeros(B, C), a = poisoned(gpu, B, C);
                ref.embedding(e, table, ids);
                gpu.embedding(a, gpu.adopt(table), ids);
                Check.close(e.toArray(), read(gpu, a), 0, 0, "embedding " + dt + " V=" + V + " C=" + C + " B=" + B);
            }
    }

    @Test void rmsnormMatchesReference() {
        Rng rng = new Rng(2);
        for (int[] c : new int[][] {{1, 17}, {3, 45}, {19, 70}}) {
            int rows = c[0], C = c[1];
            Tensor x = randn(rng, 1, rows, C), w = randn(rng, 1, C), e = Tensor.zeros(rows, C), a = poisoned(gpu, rows, C);
            ref.rmsnorm(e, x, w, 1e-5f);
            gpu.rmsnorm(a, gpu.adopt(x), gpu.adopt(w), 1e-5f);
            Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-5, "rmsnorm rows=" + rows + " C=" + C);
        }
    }

    @Test void linearWithAndWithoutTheResidualAdd() {
        Rng rng = new Rng(3);
        for (DType dt : DType.floats())
            for (int[] c : new int[][] {{33, 17, 1}, {70, 45, 3}, {64, 9, 19}})                // h, d, B
                for (boolean acc : new boolean[] {false, true}) {
                    int h = c[0], d = c[1], B = c[2];
                    Tensor w = weights(rng, dt, d, h), x = randn(rng, 1, B, h), y0 = randn(rng, 1, B, d);
                    Tensor e = y0.copy(), a = acc ? gpu.adopt(y0) : poisoned(gpu, B, d);
                    ref.linear(e, x, w, acc);
                    gpu.linear(a, gpu.adopt(x), gpu.adopt(w), acc);
                    Check.close(e.toArray(), read(gpu, a), 2e-5, 1e-4, "linear " + dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc);
                }
    }

    @Test void ropeAtPerRowPositions() {
        Rng rng = new Rng(4);
        int[][] positions = {{0}, {5, 0, 130}, {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 84}};   // 130: the table grows
        for (int[] pos : positions)
            for (int[] c : new int[][] {{4, 6}, {3, 10}})                                     // nH, hd
            for (Rope theta : OpenClAttentionTest.ROPES) {
                int B = pos.length, nH = c[0], hd = c[1];
                Tensor x = randn(rng, 1, B, nH * hd), e = x.copy(), a = gpu.adopt(x);
                ref.rope(e, nH, hd, pos, theta);
                gpu.rope(a, nH, hd, pos, theta);
                Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-5, "rope " + theta.label() + " B=" + B + " nH=" + nH + " hd=" + hd);
            }
    }

    @Test void attentionStepWritesTheCachesAndAttendsWithGroupedHeads() {
        Rng rng = new Rng(5);
        for (int[] c : new int[][] {{4, 4, 6}, {4, 2, 10}, {4, 1, 6}})                       // nH, nKv, hd
            for (int[] pos : new int[][] {{0}, {8, 3, 0}, {2, 7, 1, 0, 5, 8, 3, 3, 6, 4, 2, 1, 7, 0, 8, 5, 4, 6, 2}}) {
                int nH = c[0], nKv = c[1], hd = c[2], B = pos.length, maxT = 9, kv = nKv * hd;
                Tensor q = randn(rng, 1, B, nH * hd), k = randn(rng, 1, B, kv), v = randn(rng, 1, B, kv);
                Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv);        // earlier positions: history
                Tensor dkc = gpu.adopt(kc), dvc = gpu.adopt(vc), kc2 = kc.copy(), vc2 = vc.copy();
                Tensor e = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
                ref.attentionStep(e, q, k, v, kc2, vc2, pos, nH, nKv, hd);
                gpu.attentionStep(a, gpu.adopt(q), gpu.adopt(k), gpu.adopt(v), dkc, dvc, pos, nH, nKv, hd);
                String what = "attentionStep nH=" + nH + " nKv=" + nKv + " hd=" + hd + " B=" + B;
                Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, what);
                Check.close(kc2.toArray(), read(gpu, dkc), 0, 0, what + " k cache");
                Check.close(vc2.toArray(), read(gpu, dvc), 0, 0, what + " v cache");
            }
    }

    @Test void everyActivation() {
        Rng rng = new Rng(6);
        for (Act g : Act.values()) {
            Tensor x = randn(rng, 2, 3, 45), e = x.copy(), a = gpu.adopt(x);
            ref.act(g, e);
            gpu.act(g, a);
            Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-5, "act " + g);
        }
    }

    @Test void gluFusedAndWithMixedDtypes() {
        Rng rng = new Rng(7);
        DType[][] pairs = {{DType.F16, DType.F16}, {DType.BF16, DType.BF16}, {DType.F32, DType.F32}, {DType.F16, DType.F32}};
        int n = 0;
        for (DType[] p : pairs)
            for (int[] c : new int[][] {{33, 17, 1}, {70, 45, 3}}) {
                int h = c[0], d = c[1], B = c[2];
                Act g = Act.values()[n++ % 3];
                Tensor wg = weights(rng, p[0], d, h), wv = weights(rng, p[1], d, h), x = randn(rng, 1, B, h);
                Tensor e = Tensor.zeros(B, d), a = poisoned(gpu, B, d);
                ref.glu(e, x, wg, wv, g);
                gpu.glu(a, gpu.adopt(x), gpu.adopt(wg), gpu.adopt(wv), g);
                Check.close(e.toArray(), read(gpu, a), 2e-5, 1e-4, "glu " + p[0] + "/" + p[1] + " " + g + " h=" + h + " d=" + d + " B=" + B);
            }
    }

    @Test void flashMgluMatchesReference() {
        Rng rng = new Rng(8);
        int[][] cases = {{33, 17, 1, 1}, {70, 45, 3, 3}, {64, 19, 3, 8}, {45, 17, 19, 3}};   // h, d, B, nm
        int n = 0;
        for (DType dt : DType.floats())
            for (int[] c : cases) {
                int h = c[0], d = c[1], B = c[2], nm = c[3];
                Act g = Act.values()[n++ % 3];
                flashCase(gpu, rng, dt, h, d, B, nm, g, "flashMglu");
            }
    }

    static void flashCase(OpenClBackend be, Rng rng, DType dt, int h, int d, int B, int nm, Act g, String what) {
        Tensor w = weights(rng, dt, d, h), m = masks(rng, nm, d, h), x = randn(rng, 1, B, h);
        Tensor e = Tensor.zeros(B, d), a = poisoned(be, B, d);
        ref.flashMglu(e, x, w, m, g);
        Tensor dw = be.adopt(w), dm = be.adopt(m), dx = be.adopt(x);
        be.flashMglu(a, dx, dw, dm, g);
        Check.close(e.toArray(), read(be, a), 1e-4 * nm, 1e-4, what + " " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm);
        be.flashMglu(a, dx, dw, dm, g);                          // again: the cached tile copy (tc path) is reused
        Check.close(e.toArray(), read(be, a), 1e-4 * nm, 1e-4, what + " (second call)");
        be.release(dw);
        be.release(dm);
    }

    @Test void flashMgluThroughTheTensorCoreKernelWithItsLazyTileCopy() {
        // the tc path forced on: on PoCL the mma is emulated; h % 32 == 0, 16-bit W, B ≤ 8 take it
        try (OpenClBackend tc = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false))) {
            Rng rng = new Rng(9);
            flashCase(tc, rng, DType.F16, 64, 33, 3, 3, Act.SILU, "flashMglu tc");
            flashCase(tc, rng, DType.BF16, 96, 17, 1, 8, Act.GELU, "flashMglu tc");
            flashCase(tc, rng, DType.F16, 33, 17, 3, 1, Act.RELU, "flashMglu tc (h % 32 != 0: row kernel)");
        }
    }

    @Test void mgluTopKMatchesReference() {
        Rng rng = new Rng(10);
        int[][] cases = {{33, 17, 1, 3, 1}, {70, 45, 3, 3, 2}, {64, 19, 19, 8, 3}};              // h, d, B, nm, K
        int n = 0;
        for (int[] c : cases) {
            int h = c[0], d = c[1], B = c[2], nm = c[3], K = c[4];
            DType dt = DType.floats()[n % 3];
            Act g = Act.values()[n++ % 3];
            Tensor w = weights(rng, dt, d, h), m = masks(rng, nm, d, h), x = randn(rng, 1, B, h), router = weights(rng, DType.F32, nm, h);
            Tensor e = Tensor.zeros(B, d), a = poisoned(gpu, B, d);
            ref.mgluTopK(e, x, w, m, router, K, g);
            gpu.mgluTopK(a, gpu.adopt(x), gpu.adopt(w), gpu.adopt(m), gpu.adopt(router), K, g);
            Check.close(e.toArray(), read(gpu, a), 1e-4 * nm, 1e-4, "mgluTopK " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm + " K=" + K);
        }
    }

    @Test void opsOnRowViewsAtUnalignedOffsets() {
        // rows 1..3 of (4, ·) tensors: offsets of h or d floats, not at a sub-buffer alignment (device-side copies)
        Rng rng = new Rng(11);
        int h = 33, d = 17, nm = 3;
        Tensor w = weights(rng, DType.F16, d, h), m = masks(rng, nm, d, h), x = randn(rng, 1, 4, h), y0 = randn(rng, 1, 4, d);
        Tensor dx = gpu.adopt(x), dy = gpu.adopt(y0), dw = gpu.adopt(w), dm = gpu.adopt(m);
        Tensor e = y0.copy();
        ref.linear(e.rows(1, 3), x.rows(1, 3), w, true);
        gpu.linear(dy.rows(1, 3), dx.rows(1, 3), dw, true);
        Check.close(e.toArray(), read(gpu, dy), 2e-5, 1e-4, "linear acc on rows 1..3 (rows 0 and 3 untouched)");
        ref.flashMglu(e.rows(2, 4), x.rows(0, 2), w, m, Act.SILU);
        gpu.flashMglu(dy.rows(2, 4), dx.rows(0, 2), dw, dm, Act.SILU);
        Check.close(e.toArray(), read(gpu, dy), 3e-4, 1e-4, "flashMglu into rows 2..4");
        // rows 2..4 of (4, 64) and (4, 32): offsets of 512 and 256 bytes, sub-buffers where the device allows them there
        Tensor w2 = weights(rng, DType.BF16, 32, 64), x2 = randn(rng, 1, 4, 64), y2 = randn(rng, 1, 4, 32), dy2 = gpu.adopt(y2);
        ref.linear(y2.rows(2, 4), x2.rows(2, 4), w2, false);
        gpu.linear(dy2.rows(2, 4), gpu.adopt(x2).rows(2, 4), gpu.adopt(w2), false);
        Check.close(y2.toArray(), read(gpu, dy2), 2e-5, 1e-4, "linear on rows 2..4 at aligned offsets");
    }
}
