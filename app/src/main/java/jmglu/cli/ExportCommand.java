package jmglu.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import jmglu.engine.io.ModelFolder;
import jmglu.model.hf.HfExport;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jmglu export --format hf: a folder PyTorch loads (transformers' LlamaForCausalLM, or jmglu_mglu.py for MGLU). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a model for PyTorch: SwiGLU models as a Hugging Face LlamaForCausalLM folder; MGLU (and GELU MLP) models as "
                + "safetensors + jmglu_mglu.py, a short PyTorch module that reproduces jmglu's logits.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--format", description = "Export format: hf (default: ${DEFAULT-VALUE}).") String format = "hf";
    @Option(names = "--model", required = true, description = "Model folder: a training checkpoint, a packed model or an HF folder.") Path model;
    @Option(names = "--out", required = true, description = "Output folder (written as a unit).") Path out;

    @Override public Integer call() {
        if (!format.equals("hf")) throw new IllegalArgumentException("--format must be hf, got '" + format + "'");
        try (Checkpoint.Loaded l = Checkpoint.load(model)) {
            if (PackCommand.same(out, l.dir())) throw new IllegalArgumentException("--out " + out + " is the input model; export refuses to write over its input");
            String what;
            try (ModelFolder.Lock lock = ModelFolder.lock(out)) {
                what = HfExport.export(l, out, lock);
            }
            System.out.println("exported " + l.dir() + " -> " + out + ": " + what);
        }
        return 0;
    }
}
