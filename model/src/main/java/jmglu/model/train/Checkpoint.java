package jmglu.model.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.engine.Tensor;
import jmglu.engine.io.ModelFolder;
import jmglu.engine.io.Safetensors;
import jmglu.engine.io.SafetensorsModel;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.data.MissingTokenizer;
import jmglu.model.data.Tokenizer;
import jmglu.model.hf.HfConfig;
import jmglu.model.hf.HfWeights;

/**
 * A model folder:
 * <pre>
 *   model.safetensors   the weights (PyTorch-style names, see {@link Transformer}); for a training
 *                       checkpoint F32 weights, mask logits and the AdamW moments optim.m.NAME /
 *                       optim.v.NAME, metadata format=jmglu-train, step, options, history (JSON
 *                       strings); for a packed model format=jmglu-packed, weights_dtype, 16-bit
 *                       matrices and I32 mask bit-planes (or sharded: model-0000k-of-0000n + index)
 *   config.json         the {@link Config}
 *   tokenizer.json      the tokenizer (absent = byte tokenizer; required when the vocabulary is not 256)
 * </pre>
 * A folder is written as a unit ({@link ModelFolder}): every file goes into a staging folder that
 * replaces the old one in one step, under an exclusive lock, so a reader sees the old or the new
 * checkpoint, never a mix, and a killed writer leaves the old one intact. Loading memory-maps the
 * weights (no copy): close the {@link Loaded} when done with the model.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static final String WEIGHTS = "model.safetensors", CONFIG = "config.json", TOKENIZER = "tokenizer.json";
    /** Metadata formats: a training checkpoint (with optimizer state), a packed model, training-form weights alone (mglu-init). */
    public static final String TRAIN = "jmglu-train", PACKED = "jmglu-packed", WEIGHTS_ONLY = "jmglu-weights";
    private static final Gson GSON = new Gson();

    /**
     * A loaded model folder; its tensors (under jmglu's names) are mapped from the files until close().
     * hf is the Hugging Face config for an HF folder, else null.
     */
    public record Loaded(Path dir, Config config, Tokenizer tokenizer, SafetensorsModel file, Map<String, Tensor> tensors, HfConfig.Parsed hf)
            implements AutoCloseable {
        /** Inference-ready tensors (a packed jmglu model or an HF checkpoint), not a training checkpoint. */
        public boolean packed() { return hf != null || PACKED.equals(meta("format")); }
        /** The storage of its matrices: "bf16", "fp16", "f32" (the packed metadata, or what an HF folder holds). */
        public String weightsDtype() {
            if (meta("weights_dtype") != null) return meta("weights_dtype");
            Tensor t = tensors.get("tok_emb.weight");
            return t == null ? "?" : switch (t.dtype()) { case BF16 -> "bf16"; case F16 -> "fp16"; default -> "f32"; };
        }
        public String meta(String key) { return file.metadata().get(key); }
        @Override public void close() { file.close(); }
    }

    /** Writes a training checkpoint of model + optimizer + run state into dir (lock held by the caller). */
    public static void save(Path dir, ModelFolder.Lock lock, Transformer model, Tokenizer tok, AdamW opt, TrainOptions o, History h,
                            Map<String, String> extra) {
        Map<String, Tensor> t = new LinkedHashMap<>(model.stateDict());
        t.putAll(opt.state());
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put("format", TRAIN);
        meta.put("step", Integer.toString(opt.step()));
        meta.put("options", GSON.toJson(o));
        meta.put("history", GSON.toJson(h));
        meta.put("tokenizer", tok.describe());
        writeFolder(dir, lock, model.config, tok, t, meta);
    }

    /** config.json, tokenizer.json and the weights, committed together. */
    public static void writeFolder(Path dir, ModelFolder.Lock lock, Config c, Tokenizer tok, Map<String, Tensor> t, Map<String, String> meta) {
        try (ModelFolder.Writer w = ModelFolder.beginWrite(dir, lock)) {
            w.writeString(CONFIG, c.toJson());
            w.writeString(TOKENIZER, tok.toJson().toString());
            w.writeSafetensors(WEIGHTS, t, meta);
            w.commit();
        }
    }

    /**
     * A folder (single or sharded weights), or a .safetensors file with config.json beside it: jmglu's own,
     * or a Hugging Face Llama-family folder (config.json, tokenizer.json, model.safetensors or shards + index).
     */
    public static Loaded load(Path p) {
        if (!Files.exists(p)) throw new IllegalArgumentException(p + ": no such model folder or file");
        Path dir = Files.isDirectory(p) ? p.toAbsolutePath() : p.toAbsolutePath().getParent();
        JsonObject hfJson = HfConfig.readIfHf(dir.resolve(CONFIG));
        HfConfig.Parsed hf = hfJson == null ? null : HfConfig.parse(hfJson, dir.resolve(CONFIG).toString());
        Config c = hf != null ? hf.config() : Config.load(dir.resolve(CONFIG));
        Tokenizer tok = hf != null && !Files.exists(dir.resolve(TOKENIZER))
                ? new MissingTokenizer(dir + " has no tokenizer.json, so it runs on token ids only (jmglu reads tokenizers from tokenizer.json;"
                        + " a SentencePiece tokenizer.model alone is not read: save the tokenizer with transformers to get tokenizer.json)")
                : Tokenizer.load(dir, c.vocab());
        SafetensorsModel f = Safetensors.openModel(p);
        try {
            Map<String, Tensor> t = hf != null ? HfWeights.fromHf(f.tensors(), c, dir.toString())
                    : f.tensors().containsKey("model.embed_tokens.weight") ? renamed(f.tensors()) : f.tensors();
            return new Loaded(dir, c, tok, f, t, hf);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** A jmglu model exported under Hugging Face names (jmglu export of an MGLU model) back under jmglu's. */
    private static Map<String, Tensor> renamed(Map<String, Tensor> t) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        t.forEach((k, v) -> out.put(HfWeights.toJmglu(k) == null ? k : HfWeights.toJmglu(k), v));
        return out;
    }

    /** Restores the model's weights, the optimizer's moments and step, and returns the saved history. */
    public static History restore(Loaded l, AdamW opt) {
        if (!TRAIN.equals(l.meta("format")))
            throw new IllegalArgumentException(l.dir() + ": not a training checkpoint (format " + l.meta("format") + "); cannot resume");
        opt.loadState(l.tensors(), step(l));
        return history(l);
    }

    /** The step a training checkpoint was saved at. */
    public static int step(Loaded l) {
        try {
            int s = Integer.parseInt(String.valueOf(l.meta("step")));
            if (s < 0) throw new NumberFormatException();
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(l.dir() + ": checkpoint metadata has no valid step");
        }
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
            return new TrainOptions(o.steps(), o.batch(), o.lr(), o.minLr(), o.warmup(), o.weightDecay(), o.clip(), o.evalEvery(),
                    o.evalBatches(), o.checkpointEvery(), o.seed());            // re-validated
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(l.dir() + ": checkpoint metadata 'options' is not valid JSON");
        }
    }
}
