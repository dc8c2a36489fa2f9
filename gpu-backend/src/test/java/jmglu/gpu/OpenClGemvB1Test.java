package jmglu.gpu;

import static jmglu.gpu.OpenClTcGemvTest.gemv;
import static jmglu.gpu.OpenClTcGemvTest.normed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The GEMV of the smallest decode batches (gemv_b1.cl through {@link ClGemvB1}), routed where the tensor-core GEMV
 * would be (settings tc=on); on PoCL without inline PTX (vload_half conversions, the local-memory tree). Against plain
 * float64 loops over the same 16-bit weights: y = x Wᵀ, y += x Wᵀ (ACC), y = g(x Wgᵀ) ⊙ (x Wvᵀ) (glu), each also of
 * rmsnorm(x) (NORMIN, the norm by ReferenceKernels.rmsnorm). Awkward sizes: h 8, 40, 264, 1000, 2056 (a last chunk of
 * 256 columns partly or wholly past h; more warps than chunks), d 1, 7, 33, 250, 300 (rows past d in the last group),
 * B 1 and 2 (the default routes B ≤ 2 here, of rmsnorm(x) B = 1 only: B = 2 then checks gemv_tc), fp16 and bf16; shapes with one warp, one row,
 * many chunks a load batch, a persistent grid (a group runs several row blocks); and the routed path of a decode step through {@link OpenClBackend} at B = 1.
 */
class OpenClGemvB1Test {
    static OpenClContext cl;
    static final OpenClSettings TC = OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false).withTcGemv(1, 16);
    static final float EPS = 1e-5f;
    // (h, d): each pairs with B 1 and 2 and both dtypes over the tests
    static final int[][] CASES = {{8, 1}, {40, 7}, {264, 33}, {1000, 250}, {2056, 300}};

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        cl = OpenClContext.open();
    }

    @AfterAll static void close() {
        if (cl != null) cl.close();
    }

    /** A launcher with the b1 knobs given as "name=value" (jmglu.opencl.b1*: read when it is made), batches up to 2 (b1max=2). */
    static OpenClMglu launcher(String... knobs) {
        String[] all = new String[knobs.length + 1];
        all[0] = "b1max=2";
        System.arraycopy(knobs, 0, all, 1, knobs.length);
        for (String kv : all) System.setProperty("jmglu.opencl." + kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        try {
            return new OpenClMglu(cl, TC);
        } finally {
            for (String kv : all) System.clearProperty("jmglu.opencl." + kv.substring(0, kv.indexOf('=')));
        }
    }

    /** Bound of an f32 sum against the float64 one: a few ulps of Σ|x w| (the kernel sums in another order). */
    static double bound(float[] xn, WeightMatrix w, int B) {
        return 1e-6 * Math.sqrt(w.cols()) * OpenClTensorCoreTest.maxAbsDot(xn, w, B) + 1e-6;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** The device's y after one launch through mglu (OpenClTcGemvTest's helper). */
    static float[] run(OpenClMglu mglu, int mode, float[] y0, float[] x, float[] nw, WeightMatrix w, WeightMatrix w2, int B, Act g, boolean acc) {
        return OpenClTcGemvTest.run(mglu, mode, y0, x, nw, w, w2, B, g, acc);
    }

    /** GEMV (acc or not, normin or not) of one case through mglu, checked against the float64 reference. */
    static void linearCase(OpenClMglu mglu, Rng rng, DType dt, int h, int d, int B, boolean acc, boolean normin, String what) {
        // a normed input at B = 2 stays on gemv_tc (ClGemvB1.applies): checked here all the same
        assertEquals(!normin || B == 1, mglu.b1GemvApplies(dt, h, B, normin), "gemv_b1 takes h=" + h + " B=" + B + " normin=" + normin);
        WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
        float[] x = Check.random(rng, B * h), nw = normin ? Check.random(rng, h) : null, y0 = new float[B * d];
        if (acc) y0 = Check.random(rng, B * d);
        else java.util.Arrays.fill(y0, Float.NaN);                       // poison: every element must be written
        float[] xn = normed(x, nw, B, h);
        double[] expected = gemv(xn, w, B);
        if (acc) for (int i = 0; i < expected.length; i++) expected[i] += y0[i];
        float[] actual = run(mglu, OpenClMglu.GEMV, y0, x, nw, w, null, B, Act.SILU, acc);
        // the norm's 1/rms is applied to the f32 sum (by the reference to each x): a few more ulps
        Check.close(expected, actual, bound(xn, w, B) * (normin ? 4 : 1), 1e-5,
                what + " " + dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc + " normin=" + normin);
    }

    /** The glu of one case through mglu. */
    static void gluCase(OpenClMglu mglu, Rng rng, DType dt, Act g, int h, int d, int B, boolean normin, String what) {
        assertEquals(!normin || B == 1, mglu.b1GemvApplies(dt, h, B, normin), "gemv_b1 takes h=" + h + " B=" + B + " normin=" + normin);
        WeightMatrix wg = WeightMatrix.of(dt, Check.random(rng, d * h), d, h), wv = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
        float[] x = Check.random(rng, B * h), nw = normin ? Check.random(rng, h) : null, y0 = new float[B * d];
        java.util.Arrays.fill(y0, Float.NaN);
        float[] xn = normed(x, nw, B, h);
        double[] a = gemv(xn, wg, B), v = gemv(xn, wv, B);
        float[] expected = new float[B * d];
        for (int i = 0; i < expected.length; i++) expected[i] = g.apply((float) a[i]) * (float) v[i];
        float[] actual = run(mglu, OpenClMglu.SWIGLU, y0, x, nw, wg, wv, B, g, false);
        double abs = 4 * Math.max(bound(xn, wg, B), bound(xn, wv, B)) * (1 + maxAbs(expected));
        Check.close(expected, actual, abs, 1e-4, what + " " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " normin=" + normin);
    }

    @Test void linearMatchesReference() {
        Rng rng = new Rng(81);
        OpenClMglu mglu = launcher();
        try {
            int n = 0;
            for (int[] c : CASES)
                for (int B = 1; B <= 2; B++)
                    for (boolean normin : new boolean[] {false, true}) {
                        DType dt = n % 2 == 0 ? DType.F16 : DType.BF16;
                        linearCase(mglu, rng, dt, c[0], c[1], B, n++ % 3 != 0, normin, "b1 gemv");
                    }
        } finally {
            mglu.release();
        }
    }

    @Test void gluMatchesReference() {
        Rng rng = new Rng(82);
        Act[] acts = Act.values();
        OpenClMglu mglu = launcher();
        try {
            int n = 0;
            for (int[] c : CASES)
                for (boolean normin : new boolean[] {false, true}) {
                    DType dt = n % 2 == 0 ? DType.BF16 : DType.F16;
                    gluCase(mglu, rng, dt, acts[n % acts.length], c[0], c[1], 1 + n++ % 2, normin, "b1 glu");
                }
        } finally {
            mglu.release();
        }
    }

    /** Other shapes: one warp and one row a group, many warps and one chunk a batch, 3 chunks a batch, a persistent grid. */
    @Test void otherShapes() {
        Rng rng = new Rng(83);
        for (String[] knobs : new String[][] {{"b1ks=1", "b1rows=1"}, {"b1u=1", "b1warps=100000", "b1rows=8"}, {"b1u=3", "b1ks=2"}, {"b1persist=1", "b1rows=2"}}) {
            OpenClMglu mglu = launcher(knobs);
            try {
                String what = "b1 " + String.join(",", knobs);
                linearCase(mglu, rng, DType.F16, 1000, 33, 1, true, true, what + " gemv");
                linearCase(mglu, rng, DType.BF16, 2056, 7, 2, false, false, what + " gemv");
                gluCase(mglu, rng, DType.F16, Act.SILU, 264, 250, 1, true, what + " glu");
            } finally {
                mglu.release();
            }
        }
    }

    /** The launch shapes of the issue-12 decode matrices on 132 compute units (the H200) and on this device. */
    @Test void shapesKeepLoadsInFlight() {
        OpenClMglu mglu = launcher();
        try {
            ClGemvB1 b1 = new ClGemvB1(cl, mglu);
            for (int[] c : new int[][] {{6144, 2048, 1}, {2048, 2048, 1}, {2048, 8192, 1}, {8192, 2048, 2}, {256, 2048, 1}}) {
                ClGemvB1.Shape s = b1.shape(c[0], c[1], c[2]);
                assertTrue(s.rr() >= 1 && s.ks() >= 1 && Integer.bitCount(s.ks()) == 1 && s.u() >= 1, "shape " + s);
                assertTrue(s.ks() <= (c[1] + 255) / 256, "no more warps than chunks: " + s);
            }
            b1.release();
        } finally {
            mglu.release();
        }
    }

    /** By default B ≤ 2 take gemv_b1 (of rmsnorm(x): B = 1), and only where gemv_tc would be taken (tc on, 16-bit W, h % 8 == 0). */
    @Test void routing() {
        OpenClMglu def = new OpenClMglu(cl, OpenClTesting.settings().withTc(OpenClSettings.Switch.ON));
        OpenClMglu off = new OpenClMglu(cl, OpenClTesting.settings().withTc(OpenClSettings.Switch.OFF));
        try {
            for (int B = 1; B <= OpenClMglu.MAX_BATCH; B++) {
                assertEquals(B <= 2, def.b1GemvApplies(DType.F16, 40, B, false), "B=" + B);
                assertEquals(B == 1, def.b1GemvApplies(DType.F16, 40, B, true), "B=" + B + " of rmsnorm(x)");
            }
            assertTrue(!def.b1GemvApplies(DType.F32, 64, 1, false) && !def.b1GemvApplies(DType.F16, 36, 1, false) && !off.b1GemvApplies(DType.BF16, 64, 1, false),
                    "f32 W, h % 8 != 0 and tc off stay on the other kernels");
        } finally {
            def.release();
            off.release();
        }
    }

    /**
     * A decode step's GEMVs through {@link OpenClBackend} at B = 1 (tc on: gemv_b1 by default): y += a Woᵀ with the
     * owed norm n = rmsnorm(y) (linearRmsnorm), then q = n Wqᵀ and the glu of n (both NORMIN: n stays owed), then
     * y += u W2ᵀ; against HostBackend(ReferenceKernels).
     */
    @Test void decodeStepThroughTheBackend() {
        HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
        try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON))) {
            Rng rng = new Rng(84);
            int C = 264, H = 1000, Q = 40;
            for (DType dt : new DType[] {DType.F16, DType.BF16}) {
                Tensor a = OpenClTesting.randn(rng, 1, 1, C), y0 = OpenClTesting.randn(rng, 1, 1, C), nw = OpenClTesting.randn(rng, 1, C);
                Tensor wo = OpenClTesting.weights(rng, dt, C, C), wq = OpenClTesting.weights(rng, dt, Q, C), wg = OpenClTesting.weights(rng, dt, H, C),
                        wv = OpenClTesting.weights(rng, dt, H, C), w2 = OpenClTesting.weights(rng, dt, C, H);
                Tensor ey = y0.copy(), en = Tensor.zeros(1, C), eq = Tensor.zeros(1, Q), eu = Tensor.zeros(1, H);
                ref.linearRmsnorm(ey, a, wo, true, en, nw, EPS);
                ref.linear(eq, en, wq, false);
                ref.glu(eu, en, wg, wv, Act.SILU);
                Tensor y = gpu.adopt(y0), n = OpenClTesting.poisoned(gpu, 1, C), q = OpenClTesting.poisoned(gpu, 1, Q), u = OpenClTesting.poisoned(gpu, 1, H);
                gpu.linearRmsnorm(y, gpu.adopt(a), gpu.adopt(wo), true, n, gpu.adopt(nw), EPS);
                gpu.linear(q, n, gpu.adopt(wq), false);
                gpu.glu(u, n, gpu.adopt(wg), gpu.adopt(wv), Act.SILU);
                assertTrue(gpu.norms.owes(), "the GEMVs of n normalised as they loaded (n not written)");
                Check.close(eq.toArray(), OpenClTesting.read(gpu, q), 1e-4, 1e-4, "q = rmsnorm(y) Wqᵀ " + dt);
                Check.close(eu.toArray(), OpenClTesting.read(gpu, u), 1e-4, 1e-4, "glu of rmsnorm(y) " + dt);
                ref.linear(ey, eu, w2, true);
                gpu.linear(y, u, gpu.adopt(w2), true);
                Check.close(ey.toArray(), OpenClTesting.read(gpu, y), 1e-4, 1e-4, "y += u W2ᵀ " + dt);
            }
        }
    }
}
