package jmglu.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.engine.Backend;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** jmglu train: trains a model and writes a checkpoint (resumable) and a loss-curve PNG. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a transformer (GELU MLP, SwiGLU or MGLU FFN) and save a resumable checkpoint.")
final class TrainCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Mixin DeviceOption deviceOption;
    @Mixin ModelOptions model;
    @Mixin TrainFlags flags;
    @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).") Path out = Path.of("runs", "train");
    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out: weights, AdamW state, step and options come from it "
            + "(give the same --data); --steps may raise the step budget.") boolean resume;
    @Option(names = "--init", description = "Start from the weights of this model folder (a jmglu checkpoint, mglu-init output or a Hugging Face "
            + "Llama folder), with its config and tokenizer and a fresh optimizer; the model-shape flags are not used, the training context is "
            + "the smaller of the model's and --seq-len.") Path init;
    @Option(names = "--force", description = "Overwrite a checkpoint already in --out (without it, train refuses to).") boolean force;
    @Option(names = "--quiet", description = "No progress bar; a line per evaluation.") boolean quiet;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        boolean newSteps = spec != null && spec.commandLine().getParseResult().hasMatchedOption("--steps");
        if (init != null && resume) throw new IllegalArgumentException("--init starts a new run and --resume continues one; give one of them");
        try (Backend be = deviceOption.open(main)) {
            if (init != null) fineTune(be, init, model.seqLen, flags, out, force, quiet);
            else run(be, model, flags, out, resume, force, quiet, newSteps);
        }
        return 0;
    }

    /** A backend that implements inference only is refused before any work. */
    static void requireTrains(Backend be) {
        if (!be.canTrain())
            throw new IllegalArgumentException("--device " + be.name() + " cannot train (it implements inference only); train with --device simd or reference");
    }

    /** A new run does not write over a checkpoint unless --force says so. */
    static void refuseOverwrite(Path out, boolean force) {
        if (holdsModel(out) && !force)
            throw new IllegalArgumentException("--out " + out + " already holds a checkpoint; continue it with --resume or overwrite it with --force");
    }

    /** Whether dir holds a model (config or weights). */
    static boolean holdsModel(Path dir) {
        return Files.exists(dir.resolve(Checkpoint.CONFIG)) || Files.exists(dir.resolve(Checkpoint.WEIGHTS));
    }

    /** newSteps: on --resume, replace the saved step budget by --steps (the cosine schedule then spans the new budget). */
    static Trainer run(Backend be, ModelOptions model, TrainFlags flags, Path out, boolean resume, boolean force, boolean quiet, boolean newSteps) {
        var log = System.out;
        requireTrains(be);
        Trainer t;
        if (resume) {
            if (!holdsModel(out)) throw new IllegalArgumentException("--resume: " + out + " holds no checkpoint to resume from");
            try (Checkpoint.Loaded ck = Checkpoint.load(out)) {
                TrainOptions o = Checkpoint.options(ck);
                if (newSteps && flags.steps != o.steps()) {
                    log.printf("resume: step budget %d -> %d (the learning-rate schedule now spans %d steps)%n", o.steps(), flags.steps, flags.steps);
                    o = o.withSteps(flags.steps);
                }
                int done = Checkpoint.step(ck);
                if (done >= o.steps())
                    throw new IllegalArgumentException("--resume: the checkpoint in " + out + " is already at step " + done + " of " + o.steps()
                            + "; give a larger --steps to continue training");
                Runs.Prepared p = Runs.prepare(flags.data, null, ck.tokenizer(), log);
                String was = ck.meta("corpus");
                if (was != null && !was.equals(p.corpus().name()))
                    throw new IllegalArgumentException("--resume: the checkpoint was trained on '" + was + "', not '" + p.corpus().name() + "' (give the same --data)");
                Transformer m = Transformer.forTraining(ck.config(), ck.tensors());
                describe(m, log);
                t = Runs.train(be, m, p, o, out, ck, quiet, log);
            }
        } else {
            TrainOptions o = flags.options();                                    // bad values fail before the data is read
            refuseOverwrite(out, force);
            Runs.Prepared p = Runs.prepare(flags.data, flags.tokenizer, null, log);
            Config c = model.config(p.tok().vocabSize());
            Transformer m = new Transformer(c, o.seed());
            describe(m, log);
            t = Runs.train(be, m, p, o, out, null, quiet, log);
        }
        Map<String, java.util.List<double[]>> curves = new java.util.LinkedHashMap<>();
        curves.put("train (moving average of 20 steps)", Plot.smooth(t.history().train, 20));
        curves.put("validation", t.history().val);
        boolean plotted = Plot.curves(out.resolve("loss.png"), model(out) + " loss", curves);
        log.println("checkpoint: " + out.resolve(Checkpoint.WEIGHTS) + " (+ config.json, tokenizer.json)" + (plotted ? ", loss curve: " + out.resolve("loss.png") : ""));
        return t;
    }

    /** train --init: a new run from a model folder's weights (fresh AdamW state, step 0). */
    static Trainer fineTune(Backend be, Path init, int seqLen, TrainFlags flags, Path out, boolean force, boolean quiet) {
        var log = System.out;
        requireTrains(be);
        TrainOptions o = flags.options();
        refuseOverwrite(out, force);
        if (PackCommand.same(out, init)) throw new IllegalArgumentException("--out " + out + " is the --init model; write the fine-tuned model elsewhere");
        try (Checkpoint.Loaded ck = Checkpoint.load(init)) {
            if (ck.config().isMglu() && ck.packed())
                throw new IllegalArgumentException("--init " + init + ": a packed MGLU model holds mask bits, not trainable mask logits; start from its training checkpoint");
            Runs.Prepared p = Runs.prepare(flags.data, null, ck.tokenizer(), log);
            Config c = ck.config().withSeqLen(Math.min(ck.config().seqLen(), seqLen));
            Transformer m = Transformer.forTraining(c, ck.tensors());
            log.printf("init: the weights of %s, training context %d%n", ck.dir(), c.seqLen());
            describe(m, log);
            return Runs.train(be, m, p, o, out, null, quiet, log);
        }
    }

    private static String model(Path out) { return out.getFileName() == null ? "model" : out.getFileName().toString(); }

    static void describe(Transformer m, java.io.PrintStream log) {
        log.printf("model: %s, %,d weight parameters + %,d mask bits; FFN reads %,d bytes/token at inference (16-bit W)%n",
                m.config.label(), m.weightParams(), m.maskBits(), m.ffnBytesPerToken());
    }
}
