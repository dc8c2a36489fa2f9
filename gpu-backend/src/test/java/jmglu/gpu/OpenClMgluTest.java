package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.jocl.cl_mem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The matrix kernels through {@link OpenClMglu} directly (gemv, mgluScores, FlashMGLU) against
 * ReferenceKernels / ReferenceMglu, under the default settings and under the other work-group shapes
 * and paths the settings select (row kernel LS/R/U/xlocal; the fast kernel's R/CPL/persist/smear/LS), on
 * awkward sizes (h, d not multiples of 8/32), B = 1, 3, 16, nm = 1, 3, 8, 16, every dtype and activation.
 * Tolerance |a − e| ≤ abs + rel·|e|, abs = 8e-5·√h (×nm·√h for y: float32 sums in another order), rel 1e-4.
 */
class OpenClMgluTest {
    static OpenClContext cl;
    // (h, d, B, nm): most h have a tail past the last chunk of 8 and a partial mask word;
    // h = 64, 200 take the aligned-load path (h % 8 == 0)
    static final int[][] CASES = {{67, 33, 1, 1}, {129, 17, 3, 3}, {31, 7, 16, 8}, {100, 31, 1, 16}, {64, 19, 3, 2}, {200, 9, 1, 4}};

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        cl = OpenClContext.open();
    }

    @AfterAll static void close() { if (cl != null) cl.close(); }

    static double abs(int h) { return 8e-5 * Math.sqrt(h); }

    static WeightMatrix weights(Rng rng, DType dt, int d, int h) { return WeightMatrix.of(dt, Check.random(rng, d * h), d, h); }

    static MaskPlanes masks(Rng rng, int nm, int d, int h) { return MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h); }

    static float[] nan(int n) { float[] a = new float[n]; Arrays.fill(a, Float.NaN); return a; }

    /** One launch of mode on uploaded copies; returns {out, out2} (out starts as y0 when acc, else NaN). */
    static float[][] run(OpenClMglu mglu, int mode, WeightMatrix w, MaskPlanes m, float[] x, int B, Act g, float[] y0) {
        int d = w.rows(), nm = m == null ? 1 : m.nm();
        var dw = OpenClMglu.DeviceMatrix.upload(cl, w);
        var dm = m == null ? null : OpenClMglu.DeviceMasks.upload(cl, m);
        float[] out = y0 != null ? y0.clone() : nan(B * d), out2 = nan(nm * B * d);
        cl_mem dx = cl.upload(x), dy = cl.upload(out), ds = cl.upload(out2);
        try {
            if (mode == OpenClMglu.GEMV) mglu.gemv(dy, dx, dw, B, y0 != null, null);
            else mglu.rows(mode, dy, ds, dx, dw, null, dm, B, g, null);
            cl.read(dy, out, out.length);
            if (mode == OpenClMglu.SCORES) cl.read(ds, out2, out2.length);
            return new float[][] {out, out2};
        } finally {
            dw.release();
            if (dm != null) dm.release();
            OpenClContext.release(dx, dy, ds);
        }
    }

    /** FlashMGLU and the scores of one case against ReferenceMglu. */
    static void flashAndScores(OpenClMglu mglu, Rng rng, DType dt, int h, int d, int B, int nm, Act g, boolean scores, String what) {
        WeightMatrix w = weights(rng, dt, d, h);
        MaskPlanes m = masks(rng, nm, d, h);
        float[] x = Check.random(rng, B * h), e = new float[B * d];
        String tag = what + " " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
        ReferenceMglu.flash(e, x, w, m, B, g);
        Check.close(e, run(mglu, OpenClMglu.FLASH, w, m, x, B, g, null)[0], abs(h) * nm * Math.sqrt(h), 1e-4, "flashMglu " + tag);
        if (!scores) return;
        float[] t = new float[B * d], s = new float[nm * B * d];
        ReferenceMglu.scores(t, s, x, w, m, B);
        float[][] got = run(mglu, OpenClMglu.SCORES, w, m, x, B, g, null);
        Check.close(t, got[0], abs(h), 1e-4, "mgluScores t " + tag);
        Check.close(s, got[1], abs(h), 1e-4, "mgluScores s " + tag);
    }

    @Test void flashMgluAndScoresMatchReference() {
        OpenClMglu mglu = new OpenClMglu(cl, OpenClTesting.settings());
        Rng rng = new Rng(11);
        int n = 0;
        for (DType dt : DType.floats())
            for (int[] c : CASES) {
                flashAndScores(mglu, rng, dt, c[0], c[1], c[2], c[3], Act.values()[n % 3], n % 4 == 0, "default");
                n++;
            }
        mglu.release();
    }

    /**
     * Kernels are cached by a key of the values their options are made of (OpenClContext.kernel(Object, Supplier)):
     * launchers on one context that differ only in a knob of their own (here the row kernel's unroll U) must each
     * launch the program built with theirs, or the shape tests below would test one shape several times.
     */
    @Test void launchersWithOtherKnobsLaunchTheirOwnKernels() {
        Rng rng = new Rng(5);
        WeightMatrix w = weights(rng, DType.F32, 19, 64);
        float[] x = Check.random(rng, 64);
        cl.profile(true);
        for (int u : new int[] {2, 4}) {
            OpenClMglu mglu = new OpenClMglu(cl, OpenClTesting.settings().withRowKernel(64, 2, u, OpenClSettings.Switch.OFF));
            try {
                run(mglu, OpenClMglu.GEMV, w, null, x, 1, Act.SILU, null);
            } finally {
                mglu.release();
            }
        }
        var ls = cl.profile(false);
        try {
            var rows = ls.stream().map(OpenClContext.Launch::kernel).filter(k -> k.startsWith("mglu.cl rows")).toList();
            assertEquals(2, rows.size(), "row-kernel launches: " + rows);
            assertTrue(rows.get(0).contains("-DU=2"), rows.get(0));
            assertTrue(rows.get(1).contains("-DU=4"), rows.get(1));
        } finally {
            OpenClContext.releaseEvents(ls);
        }
    }

    @Test void rowKernelShapesMatchReference() {                    // the tunings the H200 benchmark picks: {LS, R, U}
        Rng rng = new Rng(14);
        for (int[] tu : new int[][] {{32, 2, 4}, {64, 4, 2}}) {
            var x = tu[0] == 64 ? OpenClSettings.Switch.ON : OpenClSettings.Switch.OFF;     // x staged in local memory too
            OpenClMglu mglu = new OpenClMglu(cl, OpenClTesting.settings().withRowKernel(tu[0], tu[1], tu[2], x));
            for (DType dt : DType.floats())
                flashAndScores(mglu, rng, dt, 512, 37, 3, 4, Act.SILU, false, "rows LS=" + tu[0] + " R=" + tu[1] + " U=" + tu[2]);
            mglu.release();
        }
    }

    @Test void fastKernelShapesMatchReference() {                   // mglu_fast.cl: {R, CPL, persist, smear, LS}
        Rng rng = new Rng(15);
        int[][] tunings = {{1, 4, 0, 0, 128}, {2, 2, 1, 1, 64}, {1, 1, 2, 1, 32}, {2, 4, 0, 1, 96}};
        int[][] cases = {{1024, 37, 1, 4}, {264, 29, 3, 1}, {512, 9, 8, 8}, {2056, 5, 1, 3}};   // (h, d, B, nm)
        for (int[] tu : tunings) {
            OpenClSettings s = OpenClTesting.settings().withFastRange(OpenClMglu.MAX_BATCH, 0, 0)      // the fast path at every nm
                    .withFastShape(tu[4], tu[0], tu[1], tu[2]).withSmear(tu[3] == 1 ? OpenClSettings.Switch.ON : OpenClSettings.Switch.OFF);
            OpenClMglu mglu = new OpenClMglu(cl, s);
            for (int[] c : cases)
                flashAndScores(mglu, rng, DType.floats()[(c[0] + tu[1]) % 3], c[0], c[1], c[2], c[3], Act.GELU, true,
                        "fast R=" + tu[0] + " CPL=" + tu[1] + " persist=" + tu[2] + " smear=" + tu[3] + " LS=" + tu[4]);
            mglu.release();
        }
    }

    @Test void gemvWithAndWithoutAccumulation() {
        OpenClMglu mglu = new OpenClMglu(cl, OpenClTesting.settings());
        ReferenceKernels ref = new ReferenceKernels();
        Rng rng = new Rng(13);
        for (DType dt : DType.floats())
            for (int[] c : new int[][] {{67, 33, 1}, {129, 17, 3}, {31, 7, 16}, {64, 9, 3}}) {
                int h = c[0], d = c[1], B = c[2];
                boolean acc = (h + dt.ordinal()) % 2 == 0;
                WeightMatrix w = weights(rng, dt, d, h);
                float[] x = Check.random(rng, B * h), y0 = Check.random(rng, B * d), e = new float[B * d];
                ref.gemv(e, x, w, B);
                if (acc) for (int i = 0; i < e.length; i++) e[i] += y0[i];
                Check.close(e, run(mglu, OpenClMglu.GEMV, w, null, x, B, Act.SILU, acc ? y0 : null)[0], abs(h), 1e-4,
                        "gemv " + dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc);
            }
        mglu.release();
    }

    @Test void badShapesAreRejectedWithTheOpName() {
        OpenClMglu mglu = new OpenClMglu(cl, OpenClTesting.settings());
        WeightMatrix w = weights(new Rng(1), DType.F16, 5, 40);
        MaskPlanes m = MaskPacker.pack(new float[2 * 5 * 41], 2, 5, 41);
        var e = assertThrows(IllegalArgumentException.class, () -> run(mglu, OpenClMglu.FLASH, w, m, new float[40], 1, Act.SILU, null));
        assertEquals(true, e.getMessage().startsWith("flashMglu"), e.getMessage());
        var b = assertThrows(IllegalArgumentException.class, () -> run(mglu, OpenClMglu.GEMV, w, null, new float[40 * 17], 17, Act.SILU, null));
        assertEquals(true, b.getMessage().startsWith("gemv: batch"), b.getMessage());
        mglu.release();
    }
}
