package jmglu.examples;

import java.nio.file.Path;
import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.data.Dataset;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;

/**
 * Trains a small SwiMGLU model in-process on a string, reporting progress through a listener, then
 * writes it packed (bf16 W + mask bit-planes) for {@link StreamText}.
 * <pre>
 *   java -cp ... jmglu.examples.TrainInProcess OUT_DIR [steps]
 * </pre>
 */
public final class TrainInProcess {
    private TrainInProcess() {}

    public static void main(String[] args) {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/example");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String text = "public static void main(String[] args) { System.out.println(args.length); }\n".repeat(200);

        ByteTokenizer tok = new ByteTokenizer();
        Config config = Config.of(tok.vocabSize(), 64, 2, 4, 128, 64, Config.FfnKind.MGLU, 4, Act.SILU, 0, true);
        TrainOptions options = TrainOptions.defaults(steps, 8, 1);
        try (Backend backend = Backends.open(null)) {                         // simd where available
            Transformer model = new Transformer(config, options.seed());
            try (Trainer trainer = new Trainer(backend, model, new Dataset(tok.encode(text), 0.1), options, tok, null, Map.of())) {
                trainer.run(steps, new Trainer.Listener() {
                    @Override public void onEval(int step, double valLoss) { System.out.printf("step %d: validation loss %.3f%n", step, valLoss); }
                });
            }
            try (ModelFolder.Lock lock = ModelFolder.lock(out)) {
                Checkpoint.writeFolder(out, lock, config, tok, model.pack(DType.BF16), Map.of("format", Checkpoint.PACKED, "weights_dtype", "bf16"));
            }
            System.out.println("packed model written to " + out);
        }
    }
}
