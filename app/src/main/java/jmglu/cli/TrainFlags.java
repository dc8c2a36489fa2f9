package jmglu.cli;

import java.nio.file.Path;
import jmglu.model.train.TrainOptions;
import picocli.CommandLine.Option;

/** Data and optimisation flags shared by train, demo and compare (defaults set by each command). */
final class TrainFlags {
    @Option(names = "--data", paramLabel = "FILE", description = "UTF-8 text to train on (default: the JDK's java.util sources from lib/src.zip).") Path data;
    @Option(names = "--tokenizer", description = "byte | bpe:N, e.g. bpe:512 (trained on the corpus, saved with the checkpoint) (default: ${DEFAULT-VALUE}).") String tokenizer = "byte";
    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).") int steps = 300;
    @Option(names = "--batch", description = "Sequences per step (default: ${DEFAULT-VALUE}).") int batch = 16;
    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") float lr = 3e-3f;
    @Option(names = "--min-lr", description = "Final learning rate of the cosine decay (default: lr/10).") Float minLr;
    @Option(names = "--warmup", description = "Warm-up steps (default: steps/10, at most 100).") Integer warmup;
    @Option(names = "--weight-decay", description = "AdamW weight decay on matrices and embeddings; norms and mask logits never decay (default: ${DEFAULT-VALUE}).") float weightDecay = 0.1f;
    @Option(names = "--clip", description = "Global gradient-norm clip (default: ${DEFAULT-VALUE}).") float clip = 1.0f;
    @Option(names = "--eval-every", description = "Validation every N steps (default: steps/10).") Integer evalEvery;
    @Option(names = "--eval-batches", description = "Validation batches per evaluation (default: ${DEFAULT-VALUE}).") int evalBatches = 8;
    @Option(names = "--checkpoint-every", description = "Checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).") int checkpointEvery = 0;
    @Option(names = "--seed", description = "Initialisation and data order (default: ${DEFAULT-VALUE}).") long seed = 1;

    TrainOptions options() { return options(seed); }

    TrainOptions options(long s) {
        return new TrainOptions(steps, batch, lr, minLr != null ? minLr : lr / 10,
                warmup != null ? warmup : Math.max(1, Math.min(100, steps / 10)), weightDecay, clip,
                evalEvery != null ? evalEvery : Math.max(1, steps / 10), evalBatches, checkpointEvery, s);
    }
}
