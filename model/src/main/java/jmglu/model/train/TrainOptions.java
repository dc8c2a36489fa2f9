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

    public TrainOptions {
        if (steps < 1 || batch < 1) throw new IllegalArgumentException("steps and batch must be positive (got " + steps + ", " + batch + ")");
        if (!(lr > 0) || minLr < 0 || minLr > lr) throw new IllegalArgumentException("need 0 <= min-lr <= lr and lr > 0 (got lr " + lr + ", min-lr " + minLr + ")");
        if (warmup < 0 || weightDecay < 0 || !(clip > 0)) throw new IllegalArgumentException("warmup and weight decay must be >= 0 and clip > 0");
        if (evalEvery < 1 || evalBatches < 1 || checkpointEvery < 0) throw new IllegalArgumentException("eval-every and eval-batches must be positive, checkpoint-every >= 0");
    }

    public static TrainOptions defaults(int steps, int batch, long seed) {
        return new TrainOptions(steps, batch, 3e-3f, 3e-4f, Math.max(1, Math.min(100, steps / 10)), 0.1f, 1.0f,
                Math.max(1, steps / 10), 8, 0, seed);
    }

    public TrainOptions withSteps(int s) {
        return new TrainOptions(s, batch, lr, minLr, warmup, weightDecay, clip, evalEvery, evalBatches, checkpointEvery, seed);
    }
}
