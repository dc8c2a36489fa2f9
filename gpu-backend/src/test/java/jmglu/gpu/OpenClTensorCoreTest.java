package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.jocl.cl_mem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tensor-core FlashMGLU kernel (flash_tc.cl) and its tile layout ({@link TcLayout}) against
 * ReferenceMglu, forced on: on NVIDIA it runs mma.sync, elsewhere (PoCL in CI) the same kernel with
 * the mma emulated in local memory, so the fragment, layout and sign-flip indexing is checked on any
 * device. Sizes: h a multiple of 32 (the path's condition) with d not a multiple of 16 (padded
 * row blocks), B = 1..8 (one and two n-tiles), nm = 1, 2, 3, 5, 8, 16, fp16 and bf16 (alternating: each
 * combination is a program build, slow on PoCL). Also the device-side packing into the tile layout
 * (tc_pack.cl, what the backend runs on first use) against the host packers of {@link TcLayout}: exact.
 */
class OpenClTensorCoreTest {
    static OpenClContext cl;
    static OpenClMglu mglu;
    /** x in two 16-bit parts at every B (the default takes one past 4 rows of fp16 W: {@link #byDefaultXIsRoundedToHalvesPastFourRows}). */
    static final OpenClSettings TC = twoParts(OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false));

    static OpenClSettings twoParts(OpenClSettings s) { return s.withTcShape(s.tcWarps(), 2); }
    // (h, d, B, nm)
    static final int[][] CASES = {{64, 33, 1, 1}, {96, 17, 3, 3}, {160, 7, 8, 8}, {32, 31, 5, 16}, {128, 16, 2, 2}, {224, 20, 4, 5}};

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        cl = OpenClContext.open();
        mglu = new OpenClMglu(cl, TC);
    }

    @AfterAll static void close() {
        if (mglu != null) mglu.release();
        if (cl != null) cl.close();
    }

    /** Runs one mode through the tc path; returns {out, out2}. */
    static float[][] run(OpenClMglu mglu, int mode, WeightMatrix w, MaskPlanes m, float[] x, int B, Act g) {
        int d = w.rows(), h = w.cols(), nm = m.nm();
        var dw = OpenClMglu.DeviceMatrix.upload(cl, w, true);
        var dm = OpenClMglu.DeviceMasks.upload(cl, m, true);
        float[] out = new float[B * d], out2 = new float[nm * B * d];
        java.util.Arrays.fill(out, Float.NaN);                     // poison: every element must be written
        java.util.Arrays.fill(out2, Float.NaN);
        cl_mem dx = cl.upload(x), dy = cl.upload(out), ds = cl.upload(out2);
        try {
            mglu.rows(mode, dy, ds, dx, dw, null, dm, B, g, null);
            cl.read(dy, out, out.length);
            if (mode == OpenClMglu.SCORES) cl.read(ds, out2, out2.length);
            return new float[][] {out, out2};
        } finally {
            dw.release();
            dm.release();
            OpenClContext.release(dx, dy, ds);
        }
    }

    @Test void flashMatchesReference() {
        Rng rng = new Rng(31);
        Act[] acts = Act.values();
        int n = 0;
        for (int[] c : CASES) {                                      // each case builds a program: PoCL compiles are slow
                DType dt = n % 2 == 0 ? DType.F16 : DType.BF16;
                int h = c[0], d = c[1], B = c[2], nm = c[3];
                Act g = acts[n++ % acts.length];
                WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                float[] x = Check.random(rng, B * h), expected = new float[B * d];
                ReferenceMglu.flash(expected, x, w, m, B, g);
                float[] actual = run(mglu, OpenClMglu.FLASH, w, m, x, B, g)[0];
                // x kept to ~22 bits (two 16-bit parts, bf16: ~16), float32 tile sums in another order
                double abs = (dt == DType.BF16 ? 1e-3 : 1e-4) * Math.sqrt(h) * nm;
                Check.close(expected, actual, abs, 1e-3, "tc flash " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm);
            }
    }

    /**
     * The default parts of x (OpenClSettings.xParts): fp16 W past 4 rows takes one part, x rounded to fp16 (RTE) for the
     * products, so FlashMGLU equals the reference over the rounded x within the two-part tolerance; bf16 W and 4 rows
     * keep two parts and equal the reference over x itself.
     */
    @Test void byDefaultXIsRoundedToHalvesPastFourRows() {
        OpenClSettings dflt = OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false);
        assertEquals(1, dflt.xParts(5, DType.F16));
        assertEquals(2, dflt.xParts(4, DType.F16));
        assertEquals(2, dflt.xParts(8, DType.BF16));
        assertEquals(2, dflt.withTcShape(4, 2).xParts(8, DType.F16));
        Rng rng = new Rng(34);
        OpenClMglu md = new OpenClMglu(cl, dflt);
        try {
            // h, d, B, nm, dtype ordinal
            for (int[] c : new int[][] {{160, 7, 8, 4, 0}, {96, 17, 5, 3, 0}, {64, 9, 8, 2, 1}, {128, 16, 4, 4, 0}}) {
                int h = c[0], d = c[1], B = c[2], nm = c[3];
                DType dt = c[4] == 0 ? DType.F16 : DType.BF16;
                WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                float[] x = Check.random(rng, B * h), xs = dflt.xParts(B, dt) == 1 ? OpenClTesting.halves(x) : x, expected = new float[B * d];
                ReferenceMglu.flash(expected, xs, w, m, B, Act.SILU);
                float[] actual = run(md, OpenClMglu.FLASH, w, m, x, B, Act.SILU)[0];
                double abs = (dt == DType.BF16 ? 1e-3 : 1e-4) * Math.sqrt(h) * nm;
                Check.close(expected, actual, abs, 1e-3, "tc flash default parts " + dt + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm);
            }
        } finally {
            md.release();
        }
    }

    @Test void scoresMatchReferenceWithOneOrTwoPartsOfX() {
        Rng rng = new Rng(32);
        for (int parts : new int[] {2, 1}) {
            OpenClMglu mp = new OpenClMglu(cl, TC.withTcShape(TC.tcWarps(), parts));
            try {
                for (DType dt : new DType[] {DType.F16, DType.BF16}) {
                        int[] c = CASES[(2 * parts + dt.ordinal()) % CASES.length];
                        int h = c[0], d = c[1], B = c[2], nm = c[3];
                        WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                        MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                        float[] x = Check.random(rng, B * h);
                        float[] t = new float[B * d], s = new float[nm * B * d];
                        ReferenceMglu.scores(t, s, x, w, m, B);
                        float[][] got = run(mp, OpenClMglu.SCORES, w, m, x, B, Act.SILU);
                        // t and s_i are linear in x: rounding x to one part of W's type moves them by at most
                        // u·Σ_k |x_k w_k| (u = 2^-11 fp16, 2^-8 bf16); two parts leave ~u² of it
                        double u = dt == DType.BF16 ? 0x1p-8 : 0x1p-11, bound = (parts == 1 ? u : u * u * 4 + 1e-6) * maxAbsDot(x, w, B) + 1e-5 * Math.sqrt(h);
                        String what = "tc scores parts=" + parts + " " + dt + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
                        Check.close(t, got[0], bound, 0, what + " t");
                        Check.close(s, got[1], bound, 0, what + " s");
                    }
            } finally {
                mp.release();
            }
        }
    }

    @Test void devicePackingMatchesTheHostPackers() {
        Rng rng = new Rng(33);
        for (int[] c : new int[][] {{64, 33, 1}, {96, 16, 3}, {32, 7, 8}, {160, 20, 16}}) {           // h, d, nm
            int h = c[0], d = c[1], nm = c[2];
            WeightMatrix w = WeightMatrix.of(DType.F16, Check.random(rng, d * h), d, h);
            MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
            int[] ew = TcLayout.packW(w.tensor().toShorts(), d, h), em = TcLayout.packMasks(m);
            cl_mem dw = cl.upload(w.seg()), dm = cl.upload(m.seg()), pw = mglu.packTcW(dw, d, h), pm = mglu.packTcMasks(dm, nm, d, h);
            try {
                int[] aw = new int[ew.length], am = new int[em.length];
                cl.readInts(pw, 0, aw, aw.length);
                cl.readInts(pm, 0, am, am.length);
                org.junit.jupiter.api.Assertions.assertArrayEquals(ew, aw, "packed W h=" + h + " d=" + d);
                org.junit.jupiter.api.Assertions.assertArrayEquals(em, am, "packed masks h=" + h + " d=" + d + " nm=" + nm);
            } finally {
                OpenClContext.release(dw, dm, pw, pm);
            }
        }
    }

    /** max over (b, r) of Σ_k |x[b][k]·W[r][k]|. */
    static double maxAbsDot(float[] x, WeightMatrix w, int B) {
        double max = 0;
        for (int b = 0; b < B; b++)
            for (int r = 0; r < w.rows(); r++) {
                double s = 0;
                for (int k = 0; k < w.cols(); k++) s += Math.abs(x[b * w.cols() + k] * (double) w.get(r, k));
                max = Math.max(max, s);
            }
        return max;
    }
}
