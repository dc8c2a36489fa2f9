package jmglu.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** jmglu train: trains a model and writes a checkpoint (resumable) and a loss-curve PNG. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a transformer (GELU MLP, SwiGLU or MGLU FFN) and save a resumable checkpoint.")
final class TrainCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin DeviceOption deviceOption;
    @Mixin ModelOptions model;
    @Mixin TrainFlags flags;
    @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).") Path out = Path.of("runs", "train");
    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out (weights, AdamW state, step; same options and data).") boolean resume;
    @Option(names = "--quiet", description = "No progress bar; a line per evaluation.") boolean quiet;

    @Override public Integer call() {
        Device.apply();
        run(model, flags, out, resume, quiet);
        return 0;
    }

    static Trainer run(ModelOptions model, TrainFlags flags, Path out, boolean resume, boolean quiet) {
        var log = System.out;
        Checkpoint.Loaded ck = null;
        TrainOptions o;
        Config c;
        Runs.Prepared p;
        if (resume) {
            if (!Files.exists(out.resolve(Checkpoint.WEIGHTS)))
                throw new IllegalArgumentException("--resume: no checkpoint " + out.resolve(Checkpoint.WEIGHTS) + " to resume from");
            ck = Checkpoint.load(out);
            o = Checkpoint.options(ck);
            c = ck.config();
            p = Runs.prepare(flags.data, null, ck.tokenizer(), log);
            String was = ck.meta("corpus");
            if (was != null && !was.equals(p.corpus().name()))
                throw new IllegalArgumentException("--resume: the checkpoint was trained on '" + was + "', not '" + p.corpus().name() + "' (give the same --data)");
        } else {
            p = Runs.prepare(flags.data, flags.tokenizer, null, log);
            c = model.config(p.tok().vocabSize());
            o = flags.options();
        }
        Transformer m = new Transformer(c, o.seed());
        log.printf("model: %s, %,d weight parameters + %,d mask bits; FFN reads %,d bytes/token at inference (16-bit W)%n",
                c.label(), m.weightParams(), m.maskBits(), m.ffnBytesPerToken());
        Trainer t = Runs.train(m, p, o, out, ck, quiet, log);
        Map<String, java.util.List<double[]>> curves = new java.util.LinkedHashMap<>();
        curves.put("train (moving average of 20 steps)", Plot.smooth(t.history().train, 20));
        curves.put("validation", t.history().val);
        Plot.curves(out.resolve("loss.png"), c.label() + " on " + p.corpus().name().replaceAll(" \\(.*", ""), curves);
        log.println("checkpoint: " + out.resolve(Checkpoint.WEIGHTS) + " (+ config.json, tokenizer.json), loss curve: " + out.resolve("loss.png"));
        return t;
    }
}
