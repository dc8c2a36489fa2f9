package jmglu.model.data;

import jmglu.engine.Rng;

/**
 * Tokenised corpus split into training (the first 90%) and validation (the last 10%) parts, and
 * the batches drawn from them. A training batch depends only on (seed, step): batch s draws its B
 * window starts from a fresh Rng(seed, s), so resuming at step s needs no saved generator state
 * and sees exactly the batches the uninterrupted run would have seen. Validation uses a fixed set
 * of evenly spaced windows.
 */
public final class Dataset {
    private final int[] train, val;

    public Dataset(int[] tokens, double valFraction) {
        int nVal = (int) Math.round(tokens.length * valFraction);
        int nTrain = tokens.length - nVal;
        this.train = java.util.Arrays.copyOfRange(tokens, 0, nTrain);
        this.val = java.util.Arrays.copyOfRange(tokens, nTrain, tokens.length);
    }

    public int trainTokens() { return train.length; }

    public int valTokens() { return val.length; }

    /** Throws a clear message when a split is too short for windows of T + 1 tokens. */
    public void check(int T) {
        if (train.length < T + 2) throw new IllegalArgumentException("training data too short: " + train.length + " tokens, need more than seqLen + 1 = " + (T + 1));
        if (val.length < T + 1) throw new IllegalArgumentException("validation split too short: " + val.length + " tokens, need at least seqLen + 1 = " + (T + 1) + " (give more data)");
    }

    /** Inputs and next-token targets, each (B·T). */
    public record Batch(int[] x, int[] y, int B, int T) {}

    /** Training batch number step (deterministic in seed and step). */
    public Batch trainBatch(long seed, long step, int B, int T) {
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL + 1);
        int[] starts = new int[B];
        for (int b = 0; b < B; b++) starts[b] = rng.nextInt(train.length - T);
        return windows(train, starts, T);
    }

    /** Validation batch i of n (evenly spaced windows over the validation split). */
    public Batch valBatch(int i, int n, int B, int T) {
        int span = val.length - T;
        int[] starts = new int[B];
        for (int b = 0; b < B; b++) starts[b] = (int) ((long) (i * B + b) * span / Math.max(1, (long) n * B));
        return windows(val, starts, T);
    }

    private static Batch windows(int[] src, int[] starts, int T) {
        int B = starts.length;
        int[] x = new int[B * T], y = new int[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(src, starts[b], x, b * T, T);
            System.arraycopy(src, starts[b] + 1, y, b * T, T);
        }
        return new Batch(x, y, B, T);
    }
}
