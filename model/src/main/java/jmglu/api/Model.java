package jmglu.api;

import java.nio.file.Path;
import java.util.Map;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.data.Tokenizer;
import jmglu.model.train.Checkpoint;

/**
 * A language model ready to generate: jmglu's entry point for applications.
 * <pre>{@code
 *   try (Model model = Model.load(Path.of("runs/demo/packed"));
 *        Session chat = model.newSession()) {
 *       chat.generate("public static ", GenerateOptions.defaults().withMaxTokens(100),
 *                     (text, id) -> System.out.print(text));
 *   }
 * }</pre>
 * Loading memory-maps the weights (a model costs little heap) and makes them resident on the
 * backend (on the CPU backends: no copy). A training checkpoint is packed in memory first
 * (16-bit weights, mask bit-planes). A Model is immutable and safe to share between threads;
 * each conversation gets its own {@link Session} (its own KV cache), and sessions may run on
 * different threads at once (on a device backend their steps take turns).
 */
public final class Model implements AutoCloseable {
    private final Transformer transformer;
    private final Tokenizer tokenizer;
    private final Backend backend;
    private final boolean ownsBackend;
    private final AutoCloseable file;          // the mapped weights, or null
    private final int[] eos;                   // token ids that end a generation (a Hugging Face model's eos_token_id)

    /** The KV cache a session gets by default: the model's context, at most this many positions. */
    public static final int DEFAULT_MAX_CONTEXT = 8192;

    private static final System.Logger LOG = System.getLogger("jmglu.api");

    private Model(Transformer t, Tokenizer tok, Backend be, boolean owns, AutoCloseable file, int[] eos) {
        this.transformer = t; this.tokenizer = tok; this.backend = be; this.ownsBackend = owns; this.file = file; this.eos = eos.clone();
        LOG.log(System.Logger.Level.DEBUG, () -> t.config.label() + " ready on " + be.describe() + ", " + t.weightBytesPerStep() + " weight bytes per step");
    }

    /** Loads a model folder on the default backend (simd where available), which the model owns and closes. */
    public static Model load(Path dir) {
        Backend be = Backends.open(null);
        try {
            return load(dir, be, null, true);
        } catch (RuntimeException e) {
            be.close();
            throw e;
        }
    }

    /** Loads a model folder on backend (the caller keeps ownership of the backend). */
    public static Model load(Path dir, Backend backend) { return load(dir, backend, null, false); }

    /**
     * Loads a model folder on backend. A packed folder is used as stored; a training checkpoint is
     * packed in memory with its matrices in dtype (null: BF16).
     */
    public static Model load(Path dir, Backend backend, DType dtype, boolean ownBackend) {
        Checkpoint.Loaded l = Checkpoint.load(dir);
        try {
            Map<String, Tensor> tensors = l.tensors();
            if (!l.packed()) tensors = Transformer.forTraining(l.config(), tensors).pack(dtype == null ? DType.BF16 : dtype);
            Transformer t = Transformer.forInference(l.config(), tensors, backend);
            return new Model(t, l.tokenizer(), backend, ownBackend, l.packed() ? l : null, l.hf() == null ? new int[0] : l.hf().eosIds());
        } catch (RuntimeException e) {
            l.close();
            throw e;
        } finally {
            if (!l.packed()) l.close();            // its tensors were copied by the packing
        }
    }

    /** A trained model packed in memory (no file round trip), decoding on backend. */
    public static Model of(Transformer trained, Tokenizer tok, DType dtype, Backend backend) {
        return packed(trained.config, trained.pack(dtype), tok, backend);
    }

    /** A model over inference tensors already in memory ({@link Transformer#pack}), decoding on backend. */
    public static Model packed(Config c, Map<String, Tensor> tensors, Tokenizer tok, Backend backend) {
        return new Model(Transformer.forInference(c, tensors, backend), tok, backend, false, null, new int[0]);
    }

    public Config config() { return transformer.config; }

    public Tokenizer tokenizer() { return tokenizer; }

    public Backend backend() { return backend; }

    /** The model itself (for decoding step by step, e.g. benchmarks). */
    public Transformer transformer() { return transformer; }

    /** Whether id ends a generation (one of the model's end-of-sequence ids; none for jmglu's own models). */
    public boolean isEos(int id) {
        for (int e : eos) if (e == id) return true;
        return false;
    }

    /** The KV-cache length a session gets by default: the model's context, capped at {@link #DEFAULT_MAX_CONTEXT}. */
    public int defaultContext() { return Math.min(config().seqLen(), DEFAULT_MAX_CONTEXT); }

    /** A conversation with a KV cache of {@link #defaultContext()} positions. */
    public Session newSession() { return newSession(defaultContext()); }

    /** A conversation with a KV cache of maxContext tokens (generation slides a window past it). */
    public Session newSession(int maxContext) { return new Session(this, transformer.newState(1, maxContext)); }

    /** Unmaps the weights and closes the backend if the model owns it. */
    @Override public void close() {
        try {
            if (file != null) file.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the model's weights failed: " + e.getMessage(), e);
        } finally {
            if (ownsBackend) backend.close();
        }
    }
}
