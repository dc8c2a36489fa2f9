package jmglu.model.infer;

import jmglu.engine.Rng;
import jmglu.engine.Sampling;
import jmglu.model.Transformer;

/**
 * Picks the next token from logits: temperature scaling, then optional top-k truncation, then a
 * draw from the softmax at the next uniform of a seeded Rng ({@link Sampling#draw}, on the host or, through
 * {@link Transformer#decodeSample}, on the model's backend). Temperature 0 is greedy (argmax, ties to the lower id).
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final Rng rng;

    public Sampler(float temperature, int topK, long seed) {
        Sampling.check(temperature, topK);
        this.temperature = temperature;
        this.topK = topK;
        this.rng = new Rng(seed);
    }

    /** Whether this sampler is greedy (argmax): then a step can choose on the backend ({@link Transformer#decodeGreedy}). */
    public boolean greedy() { return temperature == 0f || topK == 1; }

    public float temperature() { return temperature; }

    public int topK() { return topK; }

    /** The next uniform in [0, 1) of this sampler's seeded sequence: one per draw that is not greedy. */
    public double uniform() { return rng.nextDouble(); }

    /** The next token from logits[0, V) (row 0 of a batch); NaN or +Inf logits are an error, never a token. */
    public int next(float[] logits, int V) {
        for (int i = 0; i < V; i++)
            if (Float.isNaN(logits[i]) || logits[i] == Float.POSITIVE_INFINITY)
                throw new IllegalArgumentException("the model produced a non-finite logit (" + logits[i] + " for token " + i
                        + "); its weights or inputs are corrupt, so nothing is sampled");
        int t = Sampling.draw(logits, 0, V, temperature, topK, greedy() ? 0 : uniform());
        if (t < 0) throw new IllegalArgumentException("every logit is -Infinity; the model's weights or inputs are corrupt, so nothing is sampled");
        return t;
    }

    /** The index of the largest of a[0, n) (ties to the lower index). */
    public static int argmax(float[] a, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}
