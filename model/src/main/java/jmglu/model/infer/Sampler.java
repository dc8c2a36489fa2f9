package jmglu.model.infer;

import jmglu.engine.Rng;
import jmglu.model.Transformer;

/**
 * Picks the next token from logits: temperature scaling, then optional top-k truncation, then a
 * draw from the softmax with a seeded Rng. Temperature 0 is greedy (argmax, ties to the lower id).
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final Rng rng;

    public Sampler(float temperature, int topK, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
        this.temperature = temperature;
        this.topK = topK;
        this.rng = new Rng(seed);
    }

    /** Whether this sampler is greedy (argmax): then a step can choose on the backend ({@link Transformer#decodeGreedy}). */
    public boolean greedy() { return temperature == 0f || topK == 1; }

    /** The next token from logits[0, V) (row 0 of a batch); NaN or +Inf logits are an error, never a token. */
    public int next(float[] logits, int V) {
        for (int i = 0; i < V; i++)
            if (Float.isNaN(logits[i]) || logits[i] == Float.POSITIVE_INFINITY)
                throw new IllegalArgumentException("the model produced a non-finite logit (" + logits[i] + " for token " + i
                        + "); its weights or inputs are corrupt, so nothing is sampled");
        if (temperature == 0f || topK == 1) return argmax(logits, V);
        // keep the k largest: find the k-th largest value as a threshold
        float cut = Float.NEGATIVE_INFINITY;
        if (topK > 0 && topK < V) {
            float[] sorted = java.util.Arrays.copyOf(logits, V);
            java.util.Arrays.sort(sorted);
            cut = sorted[V - topK];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, logits[i]);
        double[] p = new double[V];
        double z = 0;
        for (int i = 0; i < V; i++) {
            p[i] = logits[i] >= cut ? Math.exp((logits[i] - max) / temperature) : 0;
            z += p[i];
        }
        double u = rng.nextDouble() * z, acc = 0;
        int last = 0;
        for (int i = 0; i < V; i++) {
            if (p[i] == 0) continue;
            acc += p[i];
            last = i;
            if (u < acc) return i;
        }
        return last;
    }

    /** The index of the largest of a[0, n) (ties to the lower index). */
    public static int argmax(float[] a, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}
