package jmglu.engine;

import java.util.Arrays;

/**
 * Drawing a token from one row of logits l (V): temperature T, then top-k truncation, then the inverse CDF at a
 * uniform u — the reference that {@link Backend#sample} agrees with (a device computes it in float; this, in double):
 * <pre>
 *   cut = the k-th largest l_j when 0 &lt; k &lt; V (ties at it are all kept), else −∞
 *   p_j = exp((l_j − max l) / T) for l_j ≥ cut, else 0;   z = Σ_j p_j
 *   token = the least j with u·z &lt; p_0 + … + p_j   (the last kept j if rounding leaves none)
 * </pre>
 * T = 0 or k = 1 is greedy: the argmax, ties to the lower index ({@link Backend#argmax}). A row with a NaN or +∞
 * has no distribution: −1; so has, when not greedy, a row of only −∞.
 */
public final class Sampling {
    private Sampling() {}

    /** The token drawn from a[o, o + V) with temperature t ≥ 0, top-k (0 = all) and u in [0, 1), or −1 (see the class). */
    public static int draw(float[] a, int o, int V, float t, int k, double u) {
        int best = Backend.argmaxRow(a, o, V);
        if (best < 0 || t == 0f || k == 1) return best;
        float max = a[o + best];
        if (max == Float.NEGATIVE_INFINITY) return -1;
        float cut = Float.NEGATIVE_INFINITY;
        if (k > 0 && k < V) {
            float[] sorted = Arrays.copyOfRange(a, o, o + V);
            Arrays.sort(sorted);
            cut = sorted[V - k];
        }
        double z = 0;
        for (int j = 0; j < V; j++) if (a[o + j] >= cut) z += Math.exp((a[o + j] - max) / (double) t);
        double target = u * z, acc = 0;
        int last = best;
        for (int j = 0; j < V; j++) {
            if (!(a[o + j] >= cut)) continue;
            acc += Math.exp((a[o + j] - max) / (double) t);
            last = j;
            if (target < acc) return j;
        }
        return last;
    }

    /** Checks a sampler's settings: t finite and ≥ 0, k ≥ 0. */
    public static void check(float t, int k) {
        if (!(t >= 0) || Float.isInfinite(t)) throw new IllegalArgumentException("temperature must be >= 0, got " + t);
        if (k < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + k);
    }
}
