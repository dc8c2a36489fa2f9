package jmglu.lab.hf;

import java.nio.file.Path;
import java.util.Map;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.train.Checkpoint;

/**
 * The control of the mglu-init experiment (lab/hf/mglu-init.sh): a freshly initialised model with the
 * shape, RoPE and tokenizer of a given folder, as FFN kind (swiglu | mglu:NM), written as training-form
 * weights for `jmglu train --init`.
 *
 *   java -cp ... jmglu.lab.hf.FreshLike FROM_DIR mglu:4 OUT_DIR [seed]
 */
public final class FreshLike {
    public static void main(String[] args) {
        Path from = Path.of(args[0]), out = Path.of(args[2]);
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        try (Checkpoint.Loaded l = Checkpoint.load(from); ModelFolder.Lock lock = ModelFolder.lock(out)) {
            Config c = args[1].startsWith("mglu:") ? l.config().withFfn(Config.FfnKind.MGLU, Integer.parseInt(args[1].substring(5)))
                    : l.config().withFfn(Config.FfnKind.GLU, 0);
            Transformer t = new Transformer(c, seed);
            Checkpoint.writeFolder(out, lock, c, l.tokenizer(), t.stateDict(), Map.of("format", Checkpoint.WEIGHTS_ONLY));
            System.out.println("fresh " + c.label() + " shaped like " + l.dir() + " -> " + out);
        }
    }
}
