package jmglu.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.engine.DType;
import jmglu.model.infer.Deploy;
import jmglu.model.io.RawTensor;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jmglu pack: the deployment form — W in bf16/fp16, MGLU masks as I32 bit-planes, no logits, no optimizer state. */
@Command(name = "pack", mixinStandardHelpOptions = true,
        description = "Export a checkpoint for inference: 16-bit weights + mask bit-planes (safetensors + config.json).")
final class PackCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin DeviceOption deviceOption;
    @Option(names = "--model", description = "Training checkpoint folder or file (default: ${DEFAULT-VALUE}).") Path model = Path.of("runs", "demo");
    @Option(names = "--out", description = "Output folder (default: <model folder>/packed).") Path out;
    @Option(names = "--dtype", description = "Weight storage: bf16 | fp16 | f32 (default: ${DEFAULT-VALUE}).") String dtype = "bf16";

    @Override public Integer call() {
        Checkpoint.Loaded l = Checkpoint.load(model);
        Path dst = out != null ? out : l.dir().resolve("packed");
        run(l, dst, DType.parse(dtype), System.out);
        return 0;
    }

    static Path run(Checkpoint.Loaded l, Path out, DType dtype, java.io.PrintStream log) {
        Map<String, RawTensor> packed = Deploy.pack(l.config(), l.contents().tensors(), dtype);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", Checkpoint.PACKED);
        meta.put("weights_dtype", dtype.name().toLowerCase(java.util.Locale.ROOT));
        Checkpoint.writeFolder(out, l.config(), l.tokenizer(), packed, meta);
        log.printf("packed %s -> %s (%s weights%s): %s -> %s%n", l.dir(), out.resolve(Checkpoint.WEIGHTS), dtype,
                l.config().isMglu() ? ", " + l.config().nm() + " mask bit-planes per MGLU layer" : "",
                size(l.dir().resolve(Checkpoint.WEIGHTS)), size(out.resolve(Checkpoint.WEIGHTS)));
        return out;
    }

    static String size(Path f) {
        try { return String.format("%,d bytes", Files.size(f)); } catch (IOException e) { return "?"; }
    }
}
