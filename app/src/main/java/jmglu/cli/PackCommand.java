package jmglu.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Transformer;
import jmglu.model.data.Tokenizer;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jmglu pack: the inference form — matrices in bf16/fp16, MGLU masks as I32 bit-planes, no logits, no optimizer state. */
@Command(name = "pack", mixinStandardHelpOptions = true,
        description = "Export a training checkpoint (or convert a Hugging Face Llama folder) for inference: 16-bit weights + mask bit-planes (safetensors + config.json).")
final class PackCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Training checkpoint or Hugging Face folder (default: ${DEFAULT-VALUE}).") Path model = Path.of("runs", "demo");
    @Option(names = "--out", description = "Output folder (default: <model folder>/packed).") Path out;
    @Option(names = "--dtype", description = "Weight storage: bf16 | fp16 | f32 (default: ${DEFAULT-VALUE}).") String dtype = "bf16";

    @Override public Integer call() {
        DType dt = DType.parse(dtype);
        try (Checkpoint.Loaded l = Checkpoint.load(model)) {
            if (l.packed() && l.hf() == null) throw new IllegalArgumentException(l.dir() + " is already packed (" + l.weightsDtype() + " weights)");
            Path dst = out != null ? out : l.dir().resolve("packed");
            if (same(dst, l.dir())) throw new IllegalArgumentException("--out " + dst + " is the input checkpoint; pack refuses to write over its input");
            if (l.hf() != null) writeHf(l, dt, dst);           // a Hugging Face folder: jmglu names, matrices in dt, one file
            else write(Transformer.forTraining(l.config(), l.tensors()), l.tokenizer(), dt, dst);
            System.out.printf("packed %s -> %s (%s weights%s): %s -> %s%n", l.dir(), dst, dt,
                    l.config().isMglu() ? ", " + l.config().nm() + " mask bit-planes per MGLU layer" : "",
                    size(l.dir().resolve(Checkpoint.WEIGHTS)), size(dst.resolve(Checkpoint.WEIGHTS)));
        }
        return 0;
    }

    /** Packs a training model in memory and writes the packed folder (as a unit, under its lock). */
    static Map<String, Tensor> write(Transformer t, Tokenizer tok, DType dt, Path dst) {
        Map<String, Tensor> packed = t.pack(dt);
        try (ModelFolder.Lock lock = ModelFolder.lock(dst)) {
            Checkpoint.writeFolder(dst, lock, t.config, tok, packed, packedMeta(dt));
        }
        return packed;
    }

    /** An HF folder as a jmglu packed model: the same tensors under jmglu's names, every matrix converted to dt. */
    static void writeHf(Checkpoint.Loaded l, DType dt, Path dst) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        l.tensors().forEach((k, v) -> t.put(k, v.rank() == 2 && v.dtype() != dt ? v.to(dt) : v));
        Map<String, String> meta = packedMeta(dt);
        meta.put("converted_from", l.hf().architecture());
        try (ModelFolder.Lock lock = ModelFolder.lock(dst)) {
            Checkpoint.writeFolder(dst, lock, l.config(), l.tokenizer(), t, meta);
        }
    }

    /** A packed folder's metadata: format and the matrices' dtype. */
    static Map<String, String> packedMeta(DType dt) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", Checkpoint.PACKED);
        meta.put("weights_dtype", dt.name().toLowerCase(java.util.Locale.ROOT));
        return meta;
    }

    static boolean same(Path a, Path b) {
        try {
            return Files.exists(a) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    static String size(Path f) {
        try { return String.format("%,d bytes", Files.size(f)); } catch (IOException e) { return "?"; }
    }
}
