package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jmglu.engine.Act;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenCL gemv / mgluScores / FlashMGLU against ReferenceKernels and ReferenceMglu on awkward
 * sizes (h, d not multiples of 8/32), B = 1, 3, 16, nm = 1, 3, 8, 16, every dtype and activation.
 * Tolerance |a − e| ≤ abs + rel·|e| with abs scaled by √h (float32 sums in another order).
 */
class OpenClKernelsTest {
    static OpenClKernels k;
    static final ReferenceKernels ref = new ReferenceKernels();
    // (h, d, B, nm): most h have a tail past the last chunk of 8 and a partial mask word;
    // h = 64, 200 take the aligned-load path (h % 8 == 0)
    static final int[][] CASES = {{67, 33, 1, 1}, {129, 17, 3, 3}, {31, 7, 16, 8}, {100, 31, 1, 16}, {257, 65, 3, 8},
                                  {64, 19, 3, 2}, {200, 9, 1, 4}};

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        System.setProperty("jmglu.opencl.alignedAll", "true");   // PoCL: the aligned path for every dtype too
        k = (OpenClKernels) Backends.select("opencl");
    }

    @AfterAll static void close() { if (k != null) k.close(); }

    static WeightMatrix weights(Rng rng, DType dt, int d, int h) {
        return WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
    }

    static double abs(int h) { return 1e-5 * Math.sqrt(h) * 8; }

    @Test void flashMgluMatchesReference() {
        Rng rng = new Rng(11);
        Act[] acts = Act.values();
        int n = 0;
        for (DType dt : DType.floats())
            for (int[] c : CASES) {
                int h = c[0], d = c[1], B = c[2], nm = c[3];
                Act g = acts[n++ % acts.length];
                WeightMatrix w = weights(rng, dt, d, h);
                MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                float[] x = Check.random(rng, B * h);
                float[] expected = new float[B * d], actual = new float[B * d];
                java.util.Arrays.fill(actual, Float.NaN);           // poison: every element must be written
                ReferenceMglu.flash(expected, x, w, m, B, g);
                k.flashMglu(actual, x, w, m, B, g);
                Check.close(expected, actual, abs(h) * nm * Math.sqrt(h), 1e-4,
                        "flashMglu " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm);
            }
    }

    @Test void unrolledSmallGroupsMatchReference() {                // the tunings the H200 benchmark picks
        Rng rng = new Rng(14);
        int[][] tunings = {{32, 2, 4}, {64, 4, 2}};                       // {LS, R, U}
        try {
            for (int[] tu : tunings) {
                k.mglu().ls = tu[0];
                k.mglu().rowsPerGroup = tu[1];
                k.mglu().unroll = tu[2];
                k.mglu().xlocal = tu[0] == 64 ? "on" : "off";            // x staged in local memory too
                for (DType dt : DType.floats()) {
                    int h = 512, d = 37, B = 3, nm = 4;
                    WeightMatrix w = weights(rng, dt, d, h);
                    MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                    float[] x = Check.random(rng, B * h);
                    float[] expected = new float[B * d], actual = new float[B * d];
                    java.util.Arrays.fill(actual, Float.NaN);
                    ReferenceMglu.flash(expected, x, w, m, B, Act.SILU);
                    k.flashMglu(actual, x, w, m, B, Act.SILU);
                    Check.close(expected, actual, abs(h) * nm * Math.sqrt(h), 1e-4, "flashMglu LS=" + tu[0] + " R=" + tu[1] + " U=" + tu[2] + " " + dt);
                }
            }
        } finally {
            k.mglu().ls = 64;                                            // the defaults
            k.mglu().rowsPerGroup = 2;
            k.mglu().unroll = 2;
            k.mglu().xlocal = "off";
        }
    }

    @Test void fastPathTuningsMatchReference() {                   // mglu_fast.cl: {R, CPL, persist, smear, LS}
        Rng rng = new Rng(15);
        int[][] tunings = {{1, 4, 0, 0, 128}, {2, 2, 1, 1, 64}, {1, 1, 2, 1, 32}, {2, 4, 0, 1, 96}};
        int[][] cases = {{1024, 37, 1, 4}, {264, 29, 3, 1}, {512, 9, 8, 8}, {2056, 5, 1, 3}};   // (h, d, B, nm)
        k.mglu().fastMinNm = 0;                                          // the fast path at every nm
        k.mglu().fastMinNmBatch = 0;
        try {
            for (int[] tu : tunings) {
                k.mglu().fastR = tu[0];
                k.mglu().fastCpl = tu[1];
                k.mglu().persist = tu[2];
                k.mglu().smear = tu[3] == 1 ? "on" : "off";
                k.mglu().fastLs = tu[4];
                for (int[] c : cases) {
                    int h = c[0], d = c[1], B = c[2], nm = c[3];
                    DType dt = DType.floats()[(c[0] + tu[1]) % 3];
                    WeightMatrix w = weights(rng, dt, d, h);
                    MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                    float[] x = Check.random(rng, B * h);
                    float[] expected = new float[B * d], actual = new float[B * d];
                    java.util.Arrays.fill(actual, Float.NaN);
                    ReferenceMglu.flash(expected, x, w, m, B, Act.GELU);
                    k.flashMglu(actual, x, w, m, B, Act.GELU);
                    String what = " R=" + tu[0] + " CPL=" + tu[1] + " persist=" + tu[2] + " smear=" + tu[3] + " LS=" + tu[4]
                            + " " + dt + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
                    Check.close(expected, actual, abs(h) * nm * Math.sqrt(h), 1e-4, "flashMglu" + what);
                    float[] t = new float[B * d], s = new float[nm * B * d], t2 = new float[B * d], s2 = new float[nm * B * d];
                    java.util.Arrays.fill(t2, Float.NaN);
                    java.util.Arrays.fill(s2, Float.NaN);
                    ReferenceMglu.scores(t, s, x, w, m, B);
                    k.mgluScores(t2, s2, x, w, m, B);
                    Check.close(t, t2, abs(h), 1e-4, "mgluScores t" + what);
                    Check.close(s, s2, abs(h), 1e-4, "mgluScores s" + what);
                }
            }
        } finally {
            k.mglu().fastR = 2;                                          // the defaults
            k.mglu().fastCpl = 2;
            k.mglu().persist = 0;
            k.mglu().smear = "off";
            k.mglu().fastLs = 128;
            k.mglu().fastMinNm = 5;
            k.mglu().fastMinNmBatch = 4;
        }
    }

    @Test void mgluScoresMatchReference() {
        Rng rng = new Rng(12);
        for (DType dt : DType.floats()) {
            int[] c = CASES[(dt.ordinal() + 1) % CASES.length];
            int h = c[0], d = c[1], B = c[2], nm = c[3];
            WeightMatrix w = weights(rng, dt, d, h);
            MaskPlanes m = MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
            float[] x = Check.random(rng, B * h);
            float[] t = new float[B * d], s = new float[nm * B * d], t2 = new float[B * d], s2 = new float[nm * B * d];
            java.util.Arrays.fill(t2, Float.NaN);
            java.util.Arrays.fill(s2, Float.NaN);
            ReferenceMglu.scores(t, s, x, w, m, B);
            k.mgluScores(t2, s2, x, w, m, B);
            String what = dt + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
            Check.close(t, t2, abs(h), 1e-4, "mgluScores t " + what);
            Check.close(s, s2, abs(h), 1e-4, "mgluScores s " + what);
        }
    }

    @Test void gemvMatchesReference() {
        Rng rng = new Rng(13);
        int[][] shapes = {{67, 33, 1}, {129, 17, 3}, {31, 7, 16}, {64, 9, 3}};
        for (DType dt : DType.floats())
            for (int[] c : shapes) {
                int h = c[0], d = c[1], B = c[2];
                WeightMatrix w = weights(rng, dt, d, h);
                float[] x = Check.random(rng, B * h);
                float[] expected = new float[B * d], actual = new float[B * d];
                java.util.Arrays.fill(actual, Float.NaN);
                ref.gemv(expected, x, w, B);
                k.gemv(actual, x, w, B);
                Check.close(expected, actual, abs(h), 1e-4, "gemv " + dt + " h=" + h + " d=" + d + " B=" + B);
            }
    }

    @Test void badShapesAreRejectedWithTheOpName() {
        WeightMatrix w = weights(new Rng(1), DType.F16, 5, 40);
        MaskPlanes m = MaskPacker.pack(new float[2 * 5 * 41], 2, 5, 41);
        var e = assertThrows(IllegalArgumentException.class, () -> k.flashMglu(new float[5], new float[40], w, m, 1, Act.SILU));
        assertEquals(true, e.getMessage().startsWith("flashMglu"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.gemv(new float[5 * 17], new float[40 * 17], w, 17));
    }
}
