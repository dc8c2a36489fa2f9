package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jmglu.engine.Rng;
import jmglu.engine.Sampling;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenClBackend#sample} (sample.cl) against {@link Sampling#draw}: temperature, top-k by radix select, the
 * inverse CDF walked in float. A draw must equal the reference's, or — float against double — lie on the other
 * side of a boundary within 1e-5·z of u·z. Awkward sizes: V 1..4099 (not multiples of 256, k at 1, 5, 40, V − 1,
 * V), B 1, 3 and 19 (past one 16-row launch); ties at the cut; rows with NaN, +∞, only −∞.
 */
class OpenClSamplingTest {
    static OpenClBackend gpu;

    @BeforeAll static void open() { gpu = OpenClTesting.backend(); }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    @Test void deviceDrawsAreTheReferenceDraws() {
        Rng rng = new Rng(41);
        int exact = 0, total = 0;
        for (int V : new int[] {1, 7, 257, 1000, 4099})
            for (int B : new int[] {1, 3, 19})
                for (float[] tk : new float[][] {{1f, 0}, {0.7f, 5}, {1.3f, V - 1}, {0.5f, V}, {2f, 40}, {1f, 1}, {0f, 0}}) {
                    float t = tk[0];
                    int k = (int) tk[1];
                    Tensor l = randn(rng, 3, B, V);
                    double[] u = new double[B];
                    for (int b = 0; b < B; b++) u[b] = rng.nextDouble();
                    int[] got = new int[B];
                    gpu.sample(got, gpu.adopt(l), t, k, u);
                    for (int b = 0; b < B; b++) {
                        String what = "V=" + V + " B=" + B + " T=" + t + " k=" + k + " row " + b;
                        int want = Sampling.draw(l.data(), b * V, V, t, k, (float) u[b]);
                        if (got[b] != want) assertOnABoundary(l.data(), b * V, V, t, k, (float) u[b], got[b], what);
                        exact += got[b] == want ? 1 : 0;
                        total++;
                    }
                }
        assertTrue(exact >= total - 3, exact + " of " + total + " draws equal the reference's: more boundary cases than float rounding explains");
    }

    /** Ties at the k-th value are all kept, as the reference keeps them: u near 1 draws the last kept entry. */
    @Test void tiesAtTheCutAreKept() {
        Rng rng = new Rng(42);
        int V = 1000;
        Tensor l = Tensor.zeros(1, V);
        for (int j = 0; j < V; j++) l.data()[j] = (float) Math.floor(rng.nextDouble() * 6);   // values 0..5, many ties
        for (int k : new int[] {2, 10, 170, 999})
            for (double u : new double[] {0.0, 0.3, 0.999999}) {
                int[] got = new int[1];
                gpu.sample(got, gpu.adopt(l), 0.8f, k, new double[] {u});
                assertEquals(Sampling.draw(l.data(), 0, V, 0.8f, k, u), got[0], "k=" + k + " u=" + u);
            }
    }

    @Test void rowsWithoutADistributionGiveMinusOne() {
        float inf = Float.POSITIVE_INFINITY;
        Tensor l = Tensor.of(new float[] {0f, Float.NaN, 1f, /**/ 0f, inf, 1f, /**/ -inf, -inf, -inf, /**/ -inf, 2f, -inf}, 4, 3);
        int[] got = new int[4];
        gpu.sample(got, gpu.adopt(l), 1f, 0, new double[] {0.5, 0.5, 0.5, 0.5});
        assertArrayEquals(new int[] {-1, -1, -1, 1}, got);
    }

    /** got lies within 1e-5·z of the interval of u·z in the reference's cumulative sums (double) and is kept. */
    private static void assertOnABoundary(float[] a, int o, int V, float t, int k, double u, int got, String what) {
        assertTrue(got >= 0 && got < V, what + ": token " + got);
        float cut = Float.NEGATIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        if (k > 0 && k < V) {
            float[] s = java.util.Arrays.copyOfRange(a, o, o + V);
            java.util.Arrays.sort(s);
            cut = s[V - k];
        }
        for (int j = 0; j < V; j++) max = Math.max(max, a[o + j]);
        assertTrue(a[o + got] >= cut, what + ": token " + got + " is not in the top " + k);
        double z = 0, below = 0;
        for (int j = 0; j < V; j++) {
            if (!(a[o + j] >= cut)) continue;
            double p = Math.exp((a[o + j] - max) / (double) t);
            if (j < got) below += p;
            z += p;
        }
        double above = below + Math.exp((a[o + got] - max) / (double) t), target = u * z, tol = 1e-5 * z;
        assertTrue(target >= below - tol && target <= above + tol,
                what + ": token " + got + " covers [" + below + ", " + above + ") but u·z = " + target);
    }
}
