package jmglu.model.train;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.data.Tokenizer;
import jmglu.model.io.RawTensor;
import jmglu.model.io.Safetensors;

/**
 * A model folder:
 * <pre>
 *   model.safetensors   the weights (F32, PyTorch-style names; see {@link jmglu.model.infer.Deploy}),
 *                       for a training checkpoint also the AdamW moments optim.m.NAME / optim.v.NAME
 *                       and metadata: format=jmglu-train, step, options, history (JSON strings);
 *                       for a packed model format=jmglu-packed and weights_dtype
 *   config.json         the {@link Config}
 *   tokenizer.json      the tokenizer (absent = byte tokenizer)
 * </pre>
 * Every file is written atomically (temporary file + atomic move), weights last, so an
 * interrupted save leaves the previous checkpoint readable.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static final String WEIGHTS = "model.safetensors", CONFIG = "config.json";
    public static final String TRAIN = "jmglu-train", PACKED = "jmglu-packed";
    private static final Gson GSON = new Gson();

    /** A loaded model folder. */
    public record Loaded(Path dir, Config config, Tokenizer tokenizer, Safetensors.Contents contents) {
        public boolean packed() { return PACKED.equals(contents.metadata().get("format")); }
        public String meta(String key) { return contents.metadata().get(key); }
    }

    /** Writes a training checkpoint of model + optimizer + run state into dir. */
    public static void save(Path dir, Transformer model, Tokenizer tok, AdamW opt, TrainOptions o, History h, Map<String, String> extra) {
        Map<String, RawTensor> t = new LinkedHashMap<>(model.stateDict());
        t.putAll(opt.state());
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put("format", TRAIN);
        meta.put("step", Integer.toString(opt.step()));
        meta.put("options", GSON.toJson(o));
        meta.put("history", GSON.toJson(h));
        meta.put("tokenizer", tok.describe());
        writeFolder(dir, model.config, tok, t, meta);
    }

    /** config.json, tokenizer.json, then the weights (each atomically). */
    public static void writeFolder(Path dir, Config c, Tokenizer tok, Map<String, RawTensor> t, Map<String, String> meta) {
        c.save(dir.resolve(CONFIG));
        tok.save(dir);
        Safetensors.write(dir.resolve(WEIGHTS), t, meta);
    }

    /** A folder, or a .safetensors file with config.json beside it. */
    public static Loaded load(Path p) {
        Path file = Files.isDirectory(p) ? p.resolve(WEIGHTS) : p;
        if (!Files.exists(file))
            throw new IllegalArgumentException(p + ": no such model" + (Files.isDirectory(p) ? " (the folder has no " + WEIGHTS + ")" : ""));
        Path dir = file.toAbsolutePath().getParent();
        Config c = Config.load(dir.resolve(CONFIG));
        Tokenizer tok = Tokenizer.load(dir);
        if (tok.vocabSize() > c.vocab())
            throw new IllegalArgumentException(dir + ": tokenizer has " + tok.vocabSize() + " symbols but the model's vocab is " + c.vocab());
        return new Loaded(dir, c, tok, Safetensors.read(file));
    }

    /** Restores the model's weights, the optimizer's moments and step, and returns the saved history. */
    public static History restore(Loaded l, Transformer model, AdamW opt) {
        if (!TRAIN.equals(l.meta("format")))
            throw new IllegalArgumentException(l.dir() + ": not a training checkpoint (format " + l.meta("format") + "); cannot resume");
        model.loadStateDict(l.contents().tensors());
        int step;
        try {
            step = Integer.parseInt(l.meta("step"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(l.dir() + ": checkpoint metadata has no valid step");
        }
        opt.loadState(l.contents().tensors(), step);
        return history(l);
    }

    public static History history(Loaded l) {
        try {
            History h = l.meta("history") == null ? null : GSON.fromJson(l.meta("history"), History.class);
            return h == null ? new History() : h;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(l.dir() + ": checkpoint metadata 'history' is not valid JSON");
        }
    }

    public static TrainOptions options(Loaded l) {
        try {
            TrainOptions o = l.meta("options") == null ? null : GSON.fromJson(l.meta("options"), TrainOptions.class);
            if (o == null) throw new IllegalArgumentException(l.dir() + ": checkpoint has no training options; cannot resume");
            return o;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(l.dir() + ": checkpoint metadata 'options' is not valid JSON");
        }
    }
}
