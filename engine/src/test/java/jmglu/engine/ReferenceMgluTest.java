package jmglu.engine;

import static jmglu.engine.testing.Check.close;
import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * The packed FlashMGLU reference (one pass, t and s_i, y = Σ g(s_i)(t − s_i)) against the MGLU
 * definition with dense float masks (gate_i = x(M_i⊙W)ᵀ, value_i = x((1−M_i)⊙W)ᵀ), for every
 * activation, nm in {1, 3, 8, 16}, B in {1, 5} and W stored as F32, BF16 and F16 (dense gets the
 * same dtype-rounded W). x ~ N(0,1), W ~ N(0, 1/h) so every s_i is O(1); tolerance abs 2e-5·nm + rel 1e-4.
 */
class ReferenceMgluTest {
    final Rng rng = new Rng(99);
    static final int[][] SHAPES = {{1, 1}, {7, 33}, {17, 67}, {3, 129}, {33, 31}}; // (d, h)

    @Test void flashAgreesWithTheDefinition() {
        for (int nm : new int[] {1, 3, 8, 16}) for (int B : new int[] {1, 5}) for (int[] sh : SHAPES) for (DType t : DType.floats()) {
            int d = sh[0], h = sh[1];
            float[] w = Check.random(rng, d * h);
            for (int i = 0; i < w.length; i++) w[i] /= (float) Math.sqrt(h);
            WeightMatrix W = WeightMatrix.of(t, w, d, h);
            float[] masks = Check.randomMasks(rng, nm, d, h), x = Check.random(rng, B * h);
            MaskPlanes planes = MaskPacker.pack(masks, nm, d, h);
            for (Act g : Act.values()) {
                float[] want = new float[B * d], got = new float[B * d];
                ReferenceMglu.dense(want, x, W.toFloat(), masks, B, h, d, nm, g);
                ReferenceMglu.flash(got, x, W, planes, B, g);
                close(want, got, 2e-5 * nm, 1e-4, "flash vs dense nm=" + nm + " B=" + B + " (" + d + "," + h + ") " + t + " " + g);
                float[] viaKernels = new float[B * d];
                new ReferenceKernels().flashMglu(viaKernels, x, W, planes, B, g);
                assertArrayEquals(got, viaKernels, "ReferenceKernels.flashMglu is ReferenceMglu.flash");
            }
        }
    }

    /** The dense definition itself against a hand-worked case: h = 2, one mask, W = [[1, 2]], M = [[1, 0]]. */
    @Test void denseByHand() {
        float[] y = new float[1];
        // x = (3, 5): gate = 3·1 = 3, value = 5·2 = 10; ReLU: y = 3·10 = 30; SiLU: y = 3σ(3)·10
        ReferenceMglu.dense(y, new float[] {3, 5}, new float[] {1, 2}, new float[] {1, 0}, 1, 2, 1, 1, Act.RELU);
        assertEquals(30f, y[0], 1e-6);
        ReferenceMglu.dense(y, new float[] {3, 5}, new float[] {1, 2}, new float[] {1, 0}, 1, 2, 1, 1, Act.SILU);
        assertEquals(30 / (1 + Math.exp(-3)), y[0], 1e-5);
    }

    @Test void scoresAreTheDefinitionAndRebuildFlash() {
        for (int nm : new int[] {1, 3, 16}) for (int B : new int[] {1, 5}) for (int[] sh : SHAPES) {
            int d = sh[0], h = sh[1];
            WeightMatrix W = WeightMatrix.of(DType.BF16, Check.random(rng, d * h), d, h);
            float[] wf = W.toFloat(), masks = Check.randomMasks(rng, nm, d, h), x = Check.random(rng, B * h);
            MaskPlanes planes = MaskPacker.pack(masks, nm, d, h);
            float[] t = new float[B * d], s = new float[nm * B * d];
            new ReferenceKernels().mgluScores(t, s, x, W, planes, B);
            double[] wantT = new double[B * d], wantS = new double[nm * B * d];
            for (int b = 0; b < B; b++) for (int r = 0; r < d; r++) for (int c = 0; c < h; c++) {
                double xw = (double) x[b * h + c] * wf[r * h + c];
                wantT[b * d + r] += xw;
                for (int i = 0; i < nm; i++) wantS[(i * B + b) * d + r] += masks[(i * d + r) * h + c] * xw;
            }
            String what = "mgluScores nm=" + nm + " B=" + B + " (" + d + "," + h + ")";
            close(wantT, t, 2e-6 * h, 1e-5, what + " t");
            close(wantS, s, 2e-6 * h, 1e-5, what + " s");
            for (Act g : Act.values()) {
                float[] y = new float[B * d];
                ReferenceMglu.flash(y, x, W, planes, B, g);
                double[] fromScores = new double[B * d];
                for (int b = 0; b < B; b++) for (int r = 0; r < d; r++) for (int i = 0; i < nm; i++) {
                    double si = s[(i * B + b) * d + r];
                    fromScores[b * d + r] += g.apply(si) * (t[b * d + r] - si);
                }
                close(fromScores, y, 1e-5, 1e-5, what + ": y from t, s equals flash (" + g + ")");
            }
        }
    }

    @Test void shapeMismatchAndBadNmThrow() {
        WeightMatrix W = WeightMatrix.of(DType.F32, new float[6], 2, 3);
        MaskPlanes wrong = MaskPacker.pack(new float[8], 1, 2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReferenceMglu.flash(new float[2], new float[3], W, wrong, 1, Act.SILU));
        assertTrue(e.getMessage().contains("flashMglu") && e.getMessage().contains("(2, 3)") && e.getMessage().contains("(2, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReferenceMglu.scores(new float[2], new float[2], new float[3], W, wrong, 1));
        assertTrue(e.getMessage().contains("mgluScores"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReferenceMglu.dense(new float[1], new float[1], new float[1], new float[17], 1, 1, 1, 17, Act.SILU));
        assertTrue(e.getMessage().contains("17"), e.getMessage());
    }
}
