package jmglu.model.train;

/**
 * Training hyper-parameters (saved in the checkpoint so that --resume continues the same run).
 *
 * @param steps           total optimizer steps
 * @param batch           sequences per step B (each seqLen tokens)
 * @param lr              peak learning rate
 * @param minLr           final learning rate of the cosine decay
 * @param warmup          warm-up steps
 * @param weightDecay     AdamW decoupled weight decay (see {@link AdamW} for what decays)
 * @param clip            global gradient-norm clip
 * @param evalEvery       validation every this many steps (and at the end)
 * @param evalBatches     validation batches per evaluation
 * @param checkpointEvery checkpoint every this many steps (and at the end); 0 = only at the end
 * @param seed            initialisation and data order
 */
public record TrainOptions(int steps, int batch, float lr, float minLr, int warmup, float weightDecay, float clip,
                           int evalEvery, int evalBatches, int checkpointEvery, long seed) {

    /** Bounds: every option is checked before any work, so a typo cannot run for hours or allocate without bound. */
    public static final int MAX_STEPS = 100_000_000, MAX_BATCH = 65_536, MAX_EVAL_BATCHES = 100_000;

    public TrainOptions {
        req(steps >= 1 && steps <= MAX_STEPS, "--steps must be in 1.." + MAX_STEPS + ", got " + steps);
        req(batch >= 1 && batch <= MAX_BATCH, "--batch must be in 1.." + MAX_BATCH + ", got " + batch);
        req(Float.isFinite(lr) && lr > 0 && lr <= 10, "--lr must be a finite number in (0, 10], got " + lr);
        req(Float.isFinite(minLr) && minLr >= 0 && minLr <= lr, "--min-lr must be in [0, lr = " + lr + "], got " + minLr);
        req(warmup >= 0 && warmup <= steps, "--warmup must be in 0..steps (" + steps + "), got " + warmup);
        req(Float.isFinite(weightDecay) && weightDecay >= 0 && weightDecay <= 10, "--weight-decay must be in [0, 10], got " + weightDecay);
        req(Float.isFinite(clip) && clip > 0, "--clip must be a finite positive number, got " + clip);
        req(evalEvery >= 1, "--eval-every must be positive, got " + evalEvery);
        req(evalBatches >= 1 && evalBatches <= MAX_EVAL_BATCHES, "--eval-batches must be in 1.." + MAX_EVAL_BATCHES + ", got " + evalBatches);
        req(checkpointEvery >= 0, "--checkpoint-every must be >= 0, got " + checkpointEvery);
    }

    private static void req(boolean ok, String msg) { if (!ok) throw new IllegalArgumentException(msg); }

    public static TrainOptions defaults(int steps, int batch, long seed) {
        return new TrainOptions(steps, batch, 3e-3f, 3e-4f, Math.max(1, Math.min(100, steps / 10)), 0.1f, 1.0f,
                Math.max(1, steps / 10), 8, 0, seed);
    }

    public TrainOptions withSteps(int s) {
        return new TrainOptions(s, batch, lr, minLr, warmup, weightDecay, clip, evalEvery, evalBatches, checkpointEvery, seed);
    }
}
