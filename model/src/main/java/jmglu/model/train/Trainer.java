package jmglu.model.train;

import java.nio.file.Path;
import java.util.Map;
import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Backend;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Transformer;
import jmglu.model.data.Dataset;
import jmglu.model.data.Tokenizer;

/**
 * The training loop: for each step, the batch of (seed, step), forward, loss, backward, global
 * gradient clipping, AdamW with the warm-up + cosine schedule; validation every evalEvery steps;
 * checkpoints every checkpointEvery steps and at the end. Deterministic for a seed: the same
 * options give the same loss sequence bit for bit, resumed or not.
 *
 * <p>A NaN or infinite loss (or gradient norm) stops the run with a {@link Diverged} exception
 * before the weights are touched; the last checkpoint written stays intact.
 */
public final class Trainer implements AutoCloseable {

    /** Training stopped on a non-finite loss or gradient. */
    public static final class Diverged extends RuntimeException {
        public Diverged(String msg) { super(msg); }
    }

    /** Progress callbacks (the CLI's progress bar). */
    public interface Listener {
        default void onStep(int step, int steps, double loss, float lr, double tokensPerSec) {}
        default void onEval(int step, double valLoss) {}
        default void onCheckpoint(int step, Path dir) {}
    }

    private final Transformer model;
    private final F f;
    private final Dataset data;
    private final TrainOptions o;
    private final AdamW opt;
    private final Schedule schedule;
    private final Tokenizer tok;
    private final Path outDir;                  // null: no checkpoints
    private final ModelFolder.Lock lock;        // held on outDir from construction to close()
    private final Map<String, String> meta;     // extra checkpoint metadata (corpus name, ...)
    private History history = new History();
    private double trainSeconds;
    private long trainTokens;

    /**
     * A training run of model on backend. With outDir, takes its exclusive lock at once (a second
     * writer fails here, naming the holder) and keeps it until {@link #close()}.
     */
    public Trainer(Backend backend, Transformer model, Dataset data, TrainOptions o, Tokenizer tok, Path outDir, Map<String, String> meta) {
        if (!backend.canTrain())
            throw new IllegalArgumentException("backend '" + backend.name() + "' cannot train (it implements inference only); train with --device simd or reference");
        if (!model.trainable()) throw new IllegalArgumentException("the model is in inference form; load its training checkpoint to train");
        data.check(model.config.seqLen());
        model.config.checkHeap(12, "training (gradients and AdamW moments)");
        this.model = model;
        this.f = new F(backend.kernels());
        this.data = data;
        this.o = o;
        this.tok = tok;
        this.outDir = outDir;
        this.meta = meta;
        this.opt = new AdamW(backend.kernels(), model.parameters(), o.weightDecay());
        this.schedule = new Schedule(o.lr(), o.minLr(), o.warmup(), o.steps());
        this.lock = outDir == null ? null : ModelFolder.lock(outDir);
    }

    /** Continues from a training checkpoint (AdamW moments, step, history; the model was built from its weights). */
    public void resume(Checkpoint.Loaded l) { history = Checkpoint.restore(l, opt); }

    /** Releases the lock on the output folder. */
    @Override public void close() { if (lock != null) lock.close(); }

    public History history() { return history; }

    /** The tokenizer of the run. */
    public Tokenizer tokenizer() { return tok; }

    /** The model being trained. */
    public Transformer model() { return model; }

    public AdamW optimizer() { return opt; }

    /** Training tokens per second of the steps run by this object (forward + backward + update). */
    public double tokensPerSec() { return trainSeconds > 0 ? trainTokens / trainSeconds : Double.NaN; }

    /** Runs until step stopAt (≤ steps; the schedule still spans all steps). */
    public void run(int stopAt, Listener listener) {
        int T = model.config.seqLen(), B = o.batch();
        stopAt = Math.min(stopAt, o.steps());
        for (int step = opt.step(); step < stopAt; step++) {
            long t0 = System.nanoTime();
            Dataset.Batch b = data.trainBatch(o.seed(), step, B, T);
            opt.zeroGrad();
            Var logits = model.forward(f, b.x(), B, T);                    // (B·T, V)
            if (!logits.value().allFinite()) throw diverged("the logits hold NaN or Inf", step);
            Var loss = f.crossEntropy(logits, b.y());
            double l = loss.value().get(0);
            if (!Double.isFinite(l)) throw diverged("loss is " + l, step);
            loss.backward();
            double norm = opt.clipGradNorm(o.clip());
            if (!Double.isFinite(norm)) throw diverged("gradient norm is " + norm, step);
            float lr = schedule.at(step);
            opt.update(lr);
            String bad = firstNonFinite();
            if (bad != null) throw new Diverged("training diverged at step " + (step + 1) + ": the update made " + bad + " non-finite (lr " + lr
                    + "); nothing was saved" + (outDir != null ? ", the last checkpoint in " + outDir + " is intact" : "") + ". Try a lower --lr or a longer --warmup.");
            double dt = (System.nanoTime() - t0) * 1e-9;
            trainSeconds += dt;
            trainTokens += (long) B * T;
            history.train.add(new double[] {step + 1, l});
            if (listener != null) listener.onStep(step + 1, o.steps(), l, lr, B * T / dt);
            boolean last = step + 1 == o.steps();
            if ((step + 1) % o.evalEvery() == 0 || last) {
                double v = validate();
                history.val.add(new double[] {step + 1, v});
                if (listener != null) listener.onEval(step + 1, v);
            }
            if (outDir != null && (last || step + 1 == stopAt || o.checkpointEvery() > 0 && (step + 1) % o.checkpointEvery() == 0)) {
                Checkpoint.save(outDir, lock, model, tok, opt, o, history, meta);
                if (listener != null) listener.onCheckpoint(step + 1, outDir);
            }
        }
    }

    private Diverged diverged(String what, int step) {
        return new Diverged("training diverged at step " + (step + 1) + ": " + what + " (lr " + schedule.at(step) + "); stopped before updating the weights"
                + (outDir != null ? "; the last checkpoint in " + outDir + " is intact" : "")
                + ". Try a lower --lr or a longer --warmup.");
    }

    /** The name of the first weight holding NaN or Inf, or null. */
    private String firstNonFinite() {
        for (var e : model.parameters().entrySet()) if (!e.getValue().value().allFinite()) return e.getKey();
        return null;
    }

    /** Mean loss over evalBatches fixed validation batches. */
    public double validate() {
        int T = model.config.seqLen(), B = o.batch();
        double s = 0;
        for (int i = 0; i < o.evalBatches(); i++) {
            Dataset.Batch b = data.valBatch(i, o.evalBatches(), B, T);
            s += jmglu.autograd.Autograd.noGrad(() -> model.loss(f, b.x(), b.y(), B, T)).value().get(0);
        }
        return s / o.evalBatches();
    }
}
