package jmglu.engine;

/** Top-K routing weights: keep the K largest router logits, softmax over them, zero elsewhere. */
public final class TopK {
    private TopK() {}

    /** G (n): softmax over the k largest of r[0..n), 0 for the rest. Ties go to the lower index. */
    public static float[] weights(float[] r, int n, int k) {
        if (n < 1 || r.length < n) throw new IllegalArgumentException("Top-K: " + n + " routes but " + r.length + " router logits");
        if (k < 1 || k > n) throw new IllegalArgumentException("Top-K: K must be in 1.." + n + ", got " + k);
        boolean[] keep = new boolean[n];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) if (!keep[i] && (best < 0 || r[i] > r[best])) best = i;
            keep[best] = true;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (keep[i]) max = Math.max(max, r[i]);
        double z = 0;
        for (int i = 0; i < n; i++) if (keep[i]) z += Math.exp(r[i] - max);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = keep[i] ? (float) (Math.exp(r[i] - max) / z) : 0f;
        return g;
    }
}
