package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.jocl.cl_mem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tensor-core GEMV of decode batches (gemv_tc.cl through {@link ClTcGemv}), forced on (settings tc=on; B 1..16
 * taken here, 2..8 by default): on NVIDIA mma.sync, elsewhere (PoCL in CI) the emulated mma, so the fragment and
 * row-major indexing is checked on any device. Against plain float64 loops over the same 16-bit weights: y = x Wᵀ,
 * y += x Wᵀ (ACC, the residual add), y = g(x Wgᵀ) ⊙ (x Wvᵀ) (SwiGLU), each also of the normed input rmsnorm(x)
 * (NORMIN; the norm by ReferenceKernels.rmsnorm). Awkward sizes: h a multiple of 8 but not of 32 (a last step
 * partly past h), d not a multiple of 16 (rows past d in the last block), B = 1..8 (one n-tile of x parts) and 16
 * (four), fp16 and bf16, several warps per row block (their hand-over) and one.
 */
class OpenClTcGemvTest {
    static OpenClContext cl;
    static OpenClMglu mglu;
    /** Two parts of x at every B (the default takes one past 4 rows of fp16 W: {@link #byDefaultXIsRoundedToHalvesPastFourRows}). */
    static final OpenClSettings TC = OpenClTensorCoreTest.twoParts(OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false).withTcGemv(1, 16));
    static final float EPS = 1e-5f;
    // (h, d, B): each case builds a few programs, slow on PoCL
    static final int[][] CASES = {{40, 33, 2}, {200, 7, 8}, {72, 50, 5}, {264, 17, 3}, {32, 16, 1}, {104, 21, 16}};

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        System.setProperty("jmglu.opencl.b1max", "0");          // B ≤ 2 would take gemv_b1.cl (OpenClGemvB1Test): gemv_tc at every B here
        cl = OpenClContext.open();
        mglu = new OpenClMglu(cl, TC);
    }

    @AfterAll static void close() {
        System.clearProperty("jmglu.opencl.b1max");
        if (mglu != null) mglu.release();
        if (cl != null) cl.close();
    }

    /** rmsnorm of the B rows of x with weight nw (the reference kernel), or x when nw is null. */
    static float[] normed(float[] x, float[] nw, int B, int h) {
        if (nw == null) return x;
        float[] n = new float[B * h];
        new ReferenceKernels().rmsnorm(n, 0, new float[B], 0, x, 0, nw, 0, B, h, EPS);
        return n;
    }

    /** t (B, d) = x Wᵀ in float64. */
    static double[] gemv(float[] x, WeightMatrix w, int B) {
        int d = w.rows(), h = w.cols();
        double[] t = new double[B * d];
        for (int b = 0; b < B; b++)
            for (int r = 0; r < d; r++) {
                double s = 0;
                for (int k = 0; k < h; k++) s += (double) x[b * h + k] * w.get(r, k);
                t[b * d + r] = s;
            }
        return t;
    }

    /** The device's y after one launch: mode GEMV (acc: onto y0) or SWIGLU (w2 = Wv), of rmsnorm(x) when nw is given. */
    static float[] run(int mode, float[] y0, float[] x, float[] nw, WeightMatrix w, WeightMatrix w2, int B, Act g, boolean acc) {
        return run(mglu, mode, y0, x, nw, w, w2, B, g, acc);
    }

    /** {@link #run(int, float[], float[], float[], WeightMatrix, WeightMatrix, int, Act, boolean)} through the given launcher (on its context). */
    static float[] run(OpenClMglu mglu, int mode, float[] y0, float[] x, float[] nw, WeightMatrix w, WeightMatrix w2, int B, Act g, boolean acc) {
        OpenClContext cl = mglu.context();
        var dw = OpenClMglu.DeviceMatrix.upload(cl, w);
        var dv = w2 == null ? null : OpenClMglu.DeviceMatrix.upload(cl, w2);
        float[] y = y0.clone();
        // the norm weight at an offset of 3 floats in its buffer (NormIn.wo), as the backend's views can have it
        float[] nwb = new float[3 + w.cols()];
        if (nw != null) System.arraycopy(nw, 0, nwb, 3, nw.length);
        cl_mem dx = cl.upload(x), dy = cl.upload(y), dn = cl.upload(nwb);
        try {
            var norm = nw == null ? null : new OpenClMglu.NormIn(dn, 3, EPS);
            if (mode == OpenClMglu.GEMV) mglu.gemv(dy, dx, norm, dw, B, acc, null);
            else mglu.rows(mode, dy, null, dx, norm, dw, dv, null, B, g, null);
            cl.read(dy, y, y.length);
            return y;
        } finally {
            dw.release();
            if (dv != null) dv.release();
            OpenClContext.release(dx, dy, dn);
        }
    }

    @Test void linearMatchesReference() {
        Rng rng = new Rng(71);
        int n = 0;
        for (int[] c : CASES)
            for (boolean normin : new boolean[] {false, true}) {
                DType dt = n++ % 2 == 0 ? DType.F16 : DType.BF16;
                int h = c[0], d = c[1], B = c[2];
                boolean acc = n % 3 != 0;
                assertTrue(mglu.tcGemvApplies(dt, h, B), "the tensor-core GEMV takes h=" + h + " B=" + B);
                WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                float[] x = Check.random(rng, B * h), nw = normin ? Check.random(rng, h) : null, y0 = new float[B * d];
                if (acc) y0 = Check.random(rng, B * d);
                else java.util.Arrays.fill(y0, Float.NaN);                       // poison: every element must be written
                float[] xn = normed(x, nw, B, h);
                double[] expected = gemv(xn, w, B);
                if (acc) for (int i = 0; i < expected.length; i++) expected[i] += y0[i];
                float[] actual = run(OpenClMglu.GEMV, y0, x, nw, w, null, B, Act.SILU, acc);
                // x kept to ~22 bits in two 16-bit parts (bf16 ~16), f32 tile sums in another order; the norm's 1/rms
                // applied to the f32 sum instead of to each x
                double u = dt == DType.BF16 ? 0x1p-8 : 0x1p-11;
                double bound = (u * u * 4 + 1e-6) * OpenClTensorCoreTest.maxAbsDot(xn, w, B) + 1e-5 * Math.sqrt(h);
                Check.close(expected, actual, bound, 1e-5, "tc gemv " + dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc + " normin=" + normin);
            }
    }

    @Test void swigluMatchesReference() {
        Rng rng = new Rng(72);
        Act[] acts = Act.values();
        int n = 0;
        for (int[] c : new int[][] {CASES[0], CASES[1], CASES[3], CASES[5]})
            for (boolean normin : new boolean[] {false, true}) {
                DType dt = n % 2 == 0 ? DType.BF16 : DType.F16;
                Act g = acts[n++ % acts.length];
                int h = c[0], d = c[1], B = c[2];
                WeightMatrix wg = WeightMatrix.of(dt, Check.random(rng, d * h), d, h), wv = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                float[] x = Check.random(rng, B * h), nw = normin ? Check.random(rng, h) : null, y0 = new float[B * d];
                java.util.Arrays.fill(y0, Float.NaN);
                float[] xn = normed(x, nw, B, h);
                double[] a = gemv(xn, wg, B), v = gemv(xn, wv, B);
                float[] expected = new float[B * d];
                for (int i = 0; i < expected.length; i++) expected[i] = g.apply((float) a[i]) * (float) v[i];
                float[] actual = run(OpenClMglu.SWIGLU, y0, x, nw, wg, wv, B, g, false);
                double abs = (dt == DType.BF16 ? 1e-3 : 1e-4) * Math.sqrt(h);
                Check.close(expected, actual, abs, 1e-3, "tc swiglu " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " normin=" + normin);
            }
    }

    /**
     * The default parts of x (OpenClSettings.xParts) at B = 5 and 8: fp16 W takes one part, x rounded to fp16 (RTE), so
     * the GEMV and the glu equal the reference over the rounded x within the two-part tolerance; of a normed x (the
     * product x_c·nw_c rounded, 1/rms applied to the f32 sum) within u·Σ|x w| of the float64 value; bf16 W keeps two
     * parts and the two-part tolerance over x itself.
     */
    @Test void byDefaultXIsRoundedToHalvesPastFourRows() {
        Rng rng = new Rng(75);
        OpenClSettings dflt = OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false).withTcGemv(1, 16);
        OpenClMglu md = new OpenClMglu(cl, dflt);
        try {
            for (int[] c : new int[][] {{200, 19, 8}, {72, 50, 5}})
                for (DType dt : new DType[] {DType.F16, DType.BF16}) {
                    int h = c[0], d = c[1], B = c[2];
                    boolean one = dflt.xParts(B, dt) == 1;
                    assertEquals(dt == DType.F16, one, "one part for fp16 W at B=" + B);
                    WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h), wv = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                    float[] x = Check.random(rng, B * h), nw = Check.random(rng, h), y0 = Check.random(rng, B * d);
                    float[] xr = one ? OpenClTesting.halves(x) : x;
                    double[] lin = gemv(xr, w, B), v = gemv(xr, wv, B);
                    float[] glu = new float[B * d];
                    for (int i = 0; i < lin.length; i++) {
                        glu[i] = Act.SILU.apply((float) lin[i]) * (float) v[i];
                        lin[i] += y0[i];
                    }
                    double u = dt == DType.BF16 ? 0x1p-8 : 0x1p-11, two = (u * u * 4 + 1e-6) * OpenClTensorCoreTest.maxAbsDot(xr, w, B) + 1e-5 * Math.sqrt(h);
                    String what = "default parts " + dt + " h=" + h + " d=" + d + " B=" + B;
                    Check.close(lin, run(md, OpenClMglu.GEMV, y0, x, null, w, null, B, Act.SILU, true), two, 1e-5, "tc gemv " + what);
                    Check.close(glu, run(md, OpenClMglu.SWIGLU, y0, x, null, w, wv, B, Act.SILU, false), (dt == DType.BF16 ? 1e-3 : 1e-4) * Math.sqrt(h), 1e-3, "tc swiglu " + what);
                    float[] xn = normed(x, nw, B, h);
                    double[] ln = gemv(xn, w, B);
                    for (int i = 0; i < ln.length; i++) ln[i] += y0[i];
                    double bound = (one ? u : u * u * 4 + 1e-6) * OpenClTensorCoreTest.maxAbsDot(xn, w, B) + 1e-5 * Math.sqrt(h);
                    Check.close(ln, run(md, OpenClMglu.GEMV, y0, x, nw, w, null, B, Act.SILU, true), bound, 1e-5, "tc gemv normin " + what);
                }
        } finally {
            md.release();
        }
    }

    /** One warp per row block (no hand-over) and x in one 16-bit part (XS = 1): within u·Σ|x w| of the float64 value. */
    @Test void oneWarpAndOnePartOfX() {
        Rng rng = new Rng(73);
        OpenClMglu one = new OpenClMglu(cl, TC.withTcShape(1, 1));
        try {
            for (int[] c : new int[][] {{40, 33, 3}, {136, 9, 8}})
                for (DType dt : new DType[] {DType.F16, DType.BF16}) {
                    int h = c[0], d = c[1], B = c[2];
                    ClTcGemv launcher = new ClTcGemv(cl, one);
                    assertTrue(one.tcGemvApplies(dt, h, B) && launcher.warps(d, h, B, 1) == 1, "one warp at h=" + h);
                    launcher.release();
                    WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                    float[] x = Check.random(rng, B * h), nw = Check.random(rng, h), y0 = Check.random(rng, B * d);
                    double[] expected = gemv(normed(x, nw, B, h), w, B);
                    for (int i = 0; i < expected.length; i++) expected[i] += y0[i];
                    float[] actual = run(one, OpenClMglu.GEMV, y0, x, nw, w, null, B, Act.SILU, true);
                    double u = dt == DType.BF16 ? 0x1p-8 : 0x1p-11;
                    double bound = u * OpenClTensorCoreTest.maxAbsDot(normed(x, nw, B, h), w, B) + 1e-5 * Math.sqrt(h);
                    Check.close(expected, actual, bound, 1e-5, "tc gemv one warp, one part " + dt + " h=" + h + " d=" + d + " B=" + B);
                }
        } finally {
            one.release();
        }
    }

    /** -Djmglu.opencl.tcgemvpf=1 (the next batch's W loaded before this batch's math) with U = 3 steps a batch. */
    @Test void prefetchAndOtherBatchesOfSteps() {
        Rng rng = new Rng(74);
        System.setProperty("jmglu.opencl.tcgemvpf", "1");                     // read when the launcher is made
        System.setProperty("jmglu.opencl.tcgemvu", "3");
        OpenClMglu pf;
        try {
            pf = new OpenClMglu(cl, TC);
        } finally {
            System.clearProperty("jmglu.opencl.tcgemvpf");
            System.clearProperty("jmglu.opencl.tcgemvu");
        }
        try {
            for (int[] c : new int[][] {{200, 19, 8}, {520, 33, 4}}) {
                int h = c[0], d = c[1], B = c[2];
                DType dt = DType.F16;
                WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h), wv = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                float[] x = Check.random(rng, B * h), nw = Check.random(rng, h), y0 = Check.random(rng, B * d);
                float[] xn = normed(x, nw, B, h);
                double[] t = gemv(xn, w, B), v = gemv(xn, wv, B);
                double[] lin = t.clone();
                float[] glu = new float[B * d];
                for (int i = 0; i < lin.length; i++) {
                    lin[i] += y0[i];
                    glu[i] = Act.SILU.apply((float) t[i]) * (float) v[i];
                }
                double bound = (0x1p-22 * 4 + 1e-6) * OpenClTensorCoreTest.maxAbsDot(xn, w, B) + 1e-5 * Math.sqrt(h);
                String what = "prefetch h=" + h + " d=" + d + " B=" + B;
                Check.close(lin, run(pf, OpenClMglu.GEMV, y0, x, nw, w, null, B, Act.SILU, true), bound, 1e-5, "tc gemv " + what);
                Check.close(glu, run(pf, OpenClMglu.SWIGLU, y0, x, nw, w, wv, B, Act.SILU, false), 1e-4 * Math.sqrt(h), 1e-3, "tc swiglu " + what);
            }
        } finally {
            pf.release();
        }
    }

    /** The batches outside the settings' range take the row kernel, and the defaults take 1..8. */
    @Test void batchRangeSelectsThePath() {
        OpenClMglu def = new OpenClMglu(cl, OpenClTesting.settings().withTc(OpenClSettings.Switch.ON));
        try {
            for (int B = 1; B <= OpenClMglu.MAX_BATCH; B++)
                org.junit.jupiter.api.Assertions.assertEquals(B <= 8, def.tcGemvApplies(DType.F16, 40, B), "B=" + B);
            assertTrue(!def.tcGemvApplies(DType.F32, 64, 4) && !def.tcGemvApplies(DType.F16, 36, 4), "f32 W and h % 8 != 0 stay on the row kernel");
        } finally {
            def.release();
        }
    }
}
