package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.masks;
import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The prefill GEMMs (gemm_tc.cl through {@link ClGemm}) against {@link HostBackend} over
 * {@link ReferenceKernels}, through the Backend ops, so the dispatch (B &gt; 8 rows, 16-bit W,
 * h % 8 == 0) is what runs: the tensor-core path forced on (on PoCL the mma is emulated in local
 * memory, so every fragment index is checked). Awkward sizes: B = 9, 17, 33, 70 (partial batch
 * tiles), h = 40, 72, 104 (not multiples of 32: a last step half empty), d = 17, 45, 70 (partial row
 * blocks), fp16 and bf16, acc on and off, every activation; the tile shapes themselves through
 * {@link ClGemm#run} with shapes of 1..3 tiles and warps each way. Outputs start as NaN.
 * Tolerances as OpenClBackendTest's (x kept to ~22 bits in two fp16 parts, ~16 in bf16: errors of a few
 * 1e-6 on outputs O(1)).
 */
class OpenClGemmTest {
    static OpenClBackend gpu;
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
    // (h, d, B)
    static final int[][] CASES = {{40, 17, 9}, {72, 45, 17}, {64, 70, 33}, {104, 33, 70}};

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false));
    }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    static DType dt(int n) { return n % 2 == 0 ? DType.F16 : DType.BF16; }

    @Test void theDispatchTakesTheGemmForManyRowsOf16BitW() {
        assertTrue(gpu.gemm.applies(DType.F16, 40, 9));
        assertTrue(gpu.gemm.applies(DType.BF16, 104, 70));
        assertTrue(!gpu.gemm.applies(DType.F16, 40, 8), "8 rows: the B ≤ 8 kernels");
        assertTrue(!gpu.gemm.applies(DType.F32, 40, 9), "f32 W: the row kernels");
        assertTrue(!gpu.gemm.applies(DType.F16, 45, 9), "h % 8 != 0: the row kernels");
    }

    @Test void linearWithAndWithoutTheResidualAdd() {
        Rng rng = new Rng(41);
        int n = 0;
        for (int[] c : CASES)
            for (boolean acc : new boolean[] {false, true}) {
                int h = c[0], d = c[1], B = c[2];
                DType dt = dt(n++);
                Tensor w = weights(rng, dt, d, h), x = randn(rng, 1, B, h), y0 = randn(rng, 1, B, d);
                Tensor e = y0.copy(), a = acc ? gpu.adopt(y0) : poisoned(gpu, B, d);
                ref.linear(e, x, w, acc);
                gpu.linear(a, gpu.adopt(x), gpu.adopt(w), acc);
                Check.close(e.toArray(), read(gpu, a), 2e-5, 1e-4, "gemm linear " + dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc);
            }
    }

    @Test void gluEveryActivation() {
        Rng rng = new Rng(42);
        int n = 0;
        for (int[] c : CASES) {
            int h = c[0], d = c[1], B = c[2];
            DType dt = dt(n + 1);
            Act g = Act.values()[n++ % 3];
            Tensor wg = weights(rng, dt, d, h), wv = weights(rng, dt, d, h), x = randn(rng, 1, B, h);
            Tensor e = Tensor.zeros(B, d), a = poisoned(gpu, B, d);
            ref.glu(e, x, wg, wv, g);
            gpu.glu(a, gpu.adopt(x), gpu.adopt(wg), gpu.adopt(wv), g);
            Check.close(e.toArray(), read(gpu, a), 2e-5, 1e-4, "gemm glu " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B);
        }
    }

    @Test void flashMgluEveryNm() {
        Rng rng = new Rng(43);
        int[] nms = {1, 3, 4, 8};
        for (int n = 0; n < CASES.length; n++) {
            int h = CASES[n][0], d = CASES[n][1], B = CASES[n][2], nm = nms[n];
            OpenClBackendTest.flashCase(gpu, rng, dt(n), h, d, B, nm, Act.values()[n % 3], "gemm flashMglu");
        }
    }

    @Test void everyTileShape() {
        Rng rng = new Rng(44);
        int h = 72, d = 45, B = 33, nm = 3;
        ClGemm.Shape[] shapes = {new ClGemm.Shape(1, 1, 1, 1), new ClGemm.Shape(2, 3, 1, 2), new ClGemm.Shape(3, 1, 2, 1)};
        int n = 0;
        for (ClGemm.Shape sh : shapes)
            for (int mode : new int[] {ClGemm.LINEAR, ClGemm.GLU, ClGemm.FLASH}) {
                DType dt = dt(n++);
                Act g = Act.values()[n % 3];
                Tensor w = weights(rng, dt, d, h), w2 = weights(rng, dt, d, h), m = masks(rng, nm, d, h), x = randn(rng, 1, B, h);
                Tensor e = Tensor.zeros(B, d), a = poisoned(gpu, B, d);
                switch (mode) {
                    case ClGemm.LINEAR -> ref.linear(e, x, w, false);
                    case ClGemm.GLU -> ref.glu(e, x, w, w2, g);
                    default -> ref.flashMglu(e, x, w, m, g);
                }
                Tensor dx = gpu.adopt(x), dw = gpu.adopt(w), dw2 = gpu.adopt(w2), dm = gpu.adopt(m);
                assertTrue(gpu.gemm.run(mode, gpu.buf(a, "t", "y").mem(), gpu.buf(dx, "t", "x").mem(), dt, gpu.buf(dw, "t", "w").mem(),
                        gpu.buf(dw2, "t", "w2").mem(), gpu.buf(dm, "t", "m").mem(), mode == ClGemm.FLASH ? nm : 0, d, h, B, false, g, sh));
                Check.close(e.toArray(), read(gpu, a), 1e-4 * nm, 1e-4, "gemm " + sh + " mode " + mode + " " + dt + " " + g);
            }
    }

    @Test void prefillAttentionWithTheQkvGemm() {
        // P rows at positions p0 .. p0 + P − 1 of cache row 1, GQA 4 heads over 2: one GEMM for q, k, v, then attn_prefill.cl:
        // fp16 P = 21 at 3 (two query blocks, one key tile), hd 8; bf16 P = 37 at 30 (three blocks, three key tiles), hd 10 (halves)
        Rng rng = new Rng(45);
        int nH = 4, nKv = 2, maxT = 70;
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            boolean f16 = dt == DType.F16;
            int hd = f16 ? 8 : 10, h = f16 ? 32 : 40, P = f16 ? 21 : 37, p0 = f16 ? 3 : 30;
            Tensor wq = weights(rng, dt, nH * hd, h), wk = weights(rng, dt, nKv * hd, h), wv = weights(rng, dt, nKv * hd, h);
            Tensor x = randn(rng, 1, P, h), kc = randn(rng, 1, 2, maxT, nKv * hd), vc = randn(rng, 1, 2, maxT, nKv * hd);
            Tensor e = Tensor.zeros(P, nH * hd), ek = kc.copy(), ev = vc.copy();
            Rope rope = f16 ? Rope.interleaved(10000f) : Rope.halves(10000f, new Rope.Scaling.None());
            ref.prefillAttention(e, x, wq, wk, wv, Tensor.zeros(P, nH * hd), Tensor.zeros(P, nKv * hd), Tensor.zeros(P, nKv * hd),
                    ek, ev, 1, p0, nH, nKv, hd, rope);
            Tensor a = poisoned(gpu, P, nH * hd), ak = gpu.adopt(kc), av = gpu.adopt(vc);
            gpu.prefillAttention(a, gpu.adopt(x), gpu.adopt(wq), gpu.adopt(wk), gpu.adopt(wv), gpu.zeros(P, nH * hd), gpu.zeros(P, nKv * hd),
                    gpu.zeros(P, nKv * hd), ak, av, 1, p0, nH, nKv, hd, rope);
            Check.close(e.toArray(), read(gpu, a), 2e-5, 1e-4, "prefill attention " + dt);
            Check.close(ek.toArray(), read(gpu, ak), 2e-5, 1e-4, "prefill k cache " + dt);
            Check.close(ev.toArray(), read(gpu, av), 2e-5, 1e-4, "prefill v cache " + dt);
        }
    }
}
