package jmglu.cli;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * jmglu init: a randomly initialised model in inference form (no training), for sizing, benchmarks
 * and tests of models larger than the heap: its matrices are made in off-heap memory one at a time
 * and streamed to the file, so the heap never holds the weights.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised model in inference form (16-bit weights, random mask bit-planes), without training.")
final class InitCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Option(names = "--vocab", description = "Vocabulary size (default: ${DEFAULT-VALUE}, the byte tokenizer).") int vocab = 256;
    @Option(names = "--dtype", description = "Weight storage: bf16 | fp16 | f32 (default: ${DEFAULT-VALUE}).") String dtype = "bf16";
    @Option(names = "--seed", description = "Initialisation seed (default: ${DEFAULT-VALUE}).") long seed = 1;
    @Option(names = "--out", required = true, description = "Output folder.") Path out;
    @Option(names = "--force", description = "Overwrite a model already in --out.") boolean force;

    @Override public Integer call() {
        if (vocab != 256) throw new IllegalArgumentException("--vocab: init writes the byte tokenizer, so the vocabulary is 256 (got " + vocab + ")");
        DType dt = DType.parse(dtype);
        Config c = model.config(vocab);
        if (TrainCommand.holdsModel(out) && !force) throw new IllegalArgumentException("--out " + out + " already holds a model; overwrite it with --force");
        try (Arena arena = Arena.ofConfined(); ModelFolder.Lock lock = ModelFolder.lock(out)) {
            Map<String, Tensor> t = Transformer.randomPacked(c, dt, seed, arena);
            long bytes = t.values().stream().mapToLong(Tensor::byteSize).sum();
            Map<String, String> meta = PackCommand.packedMeta(dt);
            meta.put("init_seed", Long.toString(seed));
            Checkpoint.writeFolder(out, lock, c, new ByteTokenizer(), t, meta);
            System.out.printf("wrote %s: %s, %,d bytes of weights (%s), randomly initialised (seed %d)%n", out, c.label(), bytes, dt, seed);
        }
        return 0;
    }
}
