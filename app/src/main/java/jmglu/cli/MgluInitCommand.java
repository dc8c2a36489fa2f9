package jmglu.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Transformer;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.MgluInit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jmglu mglu-init: an MGLU model initialised from a SwiGLU one (see MgluInit), to fine-tune with train --init. */
@Command(name = "mglu-init", mixinStandardHelpOptions = true,
        description = "Build an MGLU model from a SwiGLU one (HF Llama folder or jmglu model): W keeps the larger of each gate/up weight, "
                + "the masks route elements to the gate where its weight dominates; fine-tune it with 'train --init'.")
final class MgluInitCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, description = "SwiGLU model folder (Hugging Face Llama or jmglu).") Path from;
    @Option(names = "--nm", description = "Masks per MGLU layer, 1..16 (default: ${DEFAULT-VALUE}).") int nm = 4;
    @Option(names = "--out", required = true, description = "Output folder (F32 training-form weights, config, tokenizer).") Path out;
    @Option(names = "--seed", description = "Seed of the mask-logit noise (default: ${DEFAULT-VALUE}).") long seed = 1;

    @Override public Integer call() {
        try (Checkpoint.Loaded l = Checkpoint.load(from)) {
            if (PackCommand.same(out, l.dir())) throw new IllegalArgumentException("--out " + out + " is the input model; mglu-init refuses to write over its input");
            Transformer m = MgluInit.fromSwiGlu(l.config(), l.tensors(), nm, seed);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", Checkpoint.WEIGHTS_ONLY);
            meta.put("mglu_init_from", l.dir().toString());
            try (ModelFolder.Lock lock = ModelFolder.lock(out)) {
                Checkpoint.writeFolder(out, lock, m.config, l.tokenizer(), m.stateDict(), meta);
            }
            System.out.printf("mglu-init %s (%s) -> %s (%s, %,d weights + %,d mask bits); fine-tune with: jmglu train --init %s --data FILE%n",
                    l.dir(), l.config().label(), out, m.config.label(), m.weightParams(), m.maskBits(), out);
        }
        return 0;
    }
}
