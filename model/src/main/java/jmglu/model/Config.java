package jmglu.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Rope;

/**
 * The model's hyper-parameters, saved as config.json beside the weights.
 *
 * @param vocab          vocabulary size V
 * @param dim            model width C (= h, the FFN input size)
 * @param nLayers        number of blocks
 * @param nHeads         attention (query) heads
 * @param nKvHeads       key/value heads (grouped-query attention when fewer than nHeads; nHeads divisible by it)
 * @param headDim        head size hd, even (RoPE rotates pairs); usually dim/nHeads, but a checkpoint may say otherwise
 *                       (HF head_dim): the query width is then {@link #qDim()} = nHeads·hd ≠ dim
 * @param hidden         FFN width d (the up projection has d outputs)
 * @param seqLen         context length T used in training (and the KV-cache size by default)
 * @param ffn            the feed-forward kind
 * @param nm             number of masks (MGLU only; 1..16; 0 otherwise)
 * @param act            gate nonlinearity g for GLU / MGLU (the GELU MLP always uses GELU)
 * @param topK           Top-K routing over the nm masks (0 = off: plain sum over routes)
 * @param tiedEmbeddings the LM head reuses the token embedding table
 * @param rope           rotary embedding: base, pair style (jmglu's interleaved or HF's halves) and frequency scaling
 * @param normEps        RMSNorm epsilon
 */
public record Config(int vocab, int dim, int nLayers, int nHeads, int nKvHeads, int headDim, int hidden, int seqLen, FfnKind ffn, int nm,
                     Act act, int topK, boolean tiedEmbeddings, Rope rope, float normEps) {

    /** The feed-forward layer kinds: GELU MLP, gated linear unit (SwiGLU for act = SiLU), masked GLU. */
    public enum FfnKind {
        GELU, GLU, MGLU;

        /** "gelu", "swiglu" (or "glu"), "mglu". */
        public static FfnKind parse(String s) {
            return switch (s == null ? "" : s.toLowerCase(Locale.ROOT)) {
                case "gelu", "mlp" -> GELU;
                case "swiglu", "glu" -> GLU;
                case "mglu" -> MGLU;
                default -> throw new IllegalArgumentException("ffn must be gelu, swiglu or mglu, got '" + s + "'");
            };
        }

        /** The name in config.json and on the command line. */
        public String id() { return this == GLU ? "swiglu" : name().toLowerCase(Locale.ROOT); }
    }

    /** Bounds on what a config may ask for (a file or flag may not make us allocate without bound). */
    public static final int MAX_VOCAB = 1 << 21, MAX_DIM = 1 << 16, MAX_LAYERS = 1024, MAX_HEADS = 1024, MAX_SEQ = 1 << 20;

    public Config {
        req(ffn != null, "ffn is missing");
        req(act != null, "act is missing");
        req(rope != null, "rope is missing");
        req(vocab > 0 && dim > 0 && nLayers > 0 && nHeads > 0 && nKvHeads > 0 && hidden > 0 && seqLen > 0,
                "sizes must be positive (vocab " + vocab + ", dim " + dim + ", layers " + nLayers + ", heads " + nHeads
                        + ", kv heads " + nKvHeads + ", hidden " + hidden + ", seqLen " + seqLen + ")");
        req(vocab <= MAX_VOCAB && dim <= MAX_DIM && hidden <= 4 * MAX_DIM && nLayers <= MAX_LAYERS && nHeads <= MAX_HEADS && seqLen <= MAX_SEQ,
                "a size is beyond jmglu's limits (vocab ≤ " + MAX_VOCAB + ", dim ≤ " + MAX_DIM + ", hidden ≤ " + 4 * MAX_DIM + ", layers ≤ "
                        + MAX_LAYERS + ", heads ≤ " + MAX_HEADS + ", seqLen ≤ " + MAX_SEQ + ")");
        req(headDim > 0 && headDim % 2 == 0, "head size headDim = " + headDim + " must be positive and even (RoPE rotates pairs)");
        req((long) nHeads * headDim <= 4L * MAX_DIM, "nHeads · headDim = " + (long) nHeads * headDim + " is beyond jmglu's limit of " + 4 * MAX_DIM);
        req(nKvHeads <= nHeads && nHeads % nKvHeads == 0, "nHeads " + nHeads + " must be a multiple of nKvHeads " + nKvHeads);
        if (ffn == FfnKind.MGLU) {
            req(nm >= 1 && nm <= MaskPlanes.MAX_MASKS, "nm must be in 1.." + MaskPlanes.MAX_MASKS + " for mglu, got " + nm);
            req(topK >= 0 && topK <= nm, "topK must be in 0..nm (" + nm + "), got " + topK);
        } else {
            req(nm == 0 && topK == 0, "nm and topK are for ffn = mglu only (got nm " + nm + ", topK " + topK + " with " + ffn.id() + ")");
        }
        req(normEps > 0 && normEps < 1, "normEps must be in (0, 1), got " + normEps);
    }

    private static void req(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException("config: " + msg);
    }

    /** A config with multi-head attention (nKvHeads = nHeads), head size dim/nHeads, interleaved RoPE with base 10000. */
    public static Config of(int vocab, int dim, int nLayers, int nHeads, int hidden, int seqLen, FfnKind ffn, int nm, Act act,
                            int topK, boolean tied) {
        return new Config(vocab, dim, nLayers, nHeads, nHeads, headDimOf(dim, nHeads), hidden, seqLen, ffn, ffn == FfnKind.MGLU ? nm : 0, act,
                ffn == FfnKind.MGLU ? topK : 0, tied, Rope.interleaved(10000f), 1e-5f);
    }

    /** dim / nHeads, the head size when none is given (dim must be divisible by nHeads). */
    public static int headDimOf(int dim, int nHeads) {
        if (nHeads <= 0) return 0;                                        // the constructor names the bad nHeads
        req(nHeads > 0 && dim % nHeads == 0, "dim " + dim + " is not divisible by nHeads " + nHeads + " (give headDim)");
        return dim / nHeads;
    }

    /** Width of the query projection and of the attention output: nHeads · hd (dim unless headDim says otherwise). */
    public int qDim() { return nHeads * headDim; }

    /** Weight values of the model (mask logits included), in long arithmetic: what a training model stores in F32. */
    public long weightCount() {
        long C = dim, d = hidden, kv = kvDim();
        long ffnW = switch (ffn) { case GELU -> 2 * d * C; case GLU -> 3 * d * C; case MGLU -> 2 * d * C + (long) nm * d * C + (topK > 0 ? (long) nm * C : 0); };
        long layer = 2 * C + (long) qDim() * C + 2 * kv * C + C * (long) qDim() + ffnW;      // norms, Wq, Wk, Wv, Wo, FFN
        return (long) vocab * C * (tiedEmbeddings ? 1 : 2) + C + nLayers * layer;
    }

    /**
     * Throws an OutOfMemoryError saying how much is needed and how to give more when bytesPerWeight ·
     * {@link #weightCount()} does not fit in the free heap (checked before anything is allocated).
     */
    public void checkHeap(long bytesPerWeight, String what) {
        Runtime rt = Runtime.getRuntime();
        long need = bytesPerWeight * weightCount(), free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > free)
            throw new OutOfMemoryError(what + " of " + label() + " with " + String.format("%,d", weightCount()) + " weights needs about "
                    + (need >> 20) + " MiB of heap but about " + (free >> 20) + " MiB is free; give more heap (JMGLU_JAVA_OPTS=-Xmx...)"
                    + " or use a packed (16-bit, memory-mapped) model for inference");
    }

    /** Width of the key/value projections: nKvHeads · hd. */
    public int kvDim() { return nKvHeads * headDim; }

    public boolean isMglu() { return ffn == FfnKind.MGLU; }

    /** A short human label: "SwiMGLU nm=4", "SwiGLU", "GELU MLP". */
    public String label() {
        String g = switch (act) { case SILU -> "Swi"; case GELU -> "Ge"; case RELU -> "Re"; };
        return switch (ffn) {
            case MGLU -> g + "MGLU nm=" + nm + (topK > 0 ? " top" + topK : "");
            case GLU -> g + "GLU";
            case GELU -> "GELU MLP";
        };
    }

    public Config withFfn(FfnKind kind, int nm) {
        boolean m = kind == FfnKind.MGLU;
        return new Config(vocab, dim, nLayers, nHeads, nKvHeads, headDim, hidden, seqLen, kind, m ? nm : 0, act, m ? topK : 0, tiedEmbeddings, rope, normEps);
    }

    public Config withVocab(int v) {
        return new Config(v, dim, nLayers, nHeads, nKvHeads, headDim, hidden, seqLen, ffn, nm, act, topK, tiedEmbeddings, rope, normEps);
    }

    public Config withSeqLen(int t) {
        return new Config(vocab, dim, nLayers, nHeads, nKvHeads, headDim, hidden, t, ffn, nm, act, topK, tiedEmbeddings, rope, normEps);
    }

    public Config withRope(Rope r) {
        return new Config(vocab, dim, nLayers, nHeads, nKvHeads, headDim, hidden, seqLen, ffn, nm, act, topK, tiedEmbeddings, r, normEps);
    }

    // ---------------------------------------------------------------- JSON (strict: a wrong type is an error, never coerced)

    /**
     * The JSON of config.json. Beside the original fields: headDim, ropeStyle ("interleaved" | "halves") and,
     * when the frequencies are scaled, ropeScaling ({"type": "linear", "factor"} or {"type": "llama3", "factor",
     * "lowFreqFactor", "highFreqFactor", "originalMaxPositions"}).
     */
    public String toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("vocab", vocab); o.put("dim", dim); o.put("nLayers", nLayers); o.put("nHeads", nHeads); o.put("nKvHeads", nKvHeads);
        o.put("headDim", headDim); o.put("hidden", hidden); o.put("seqLen", seqLen); o.put("ffn", ffn.id()); o.put("nm", nm);
        o.put("act", act.name().toLowerCase(Locale.ROOT).replace("silu", "swish")); o.put("topK", topK);
        o.put("tiedEmbeddings", tiedEmbeddings); o.put("ropeTheta", rope.theta()); o.put("ropeStyle", rope.halves() ? "halves" : "interleaved");
        switch (rope.scaling()) {
            case Rope.Scaling.None _ -> { }
            case Rope.Scaling.Linear l -> o.put("ropeScaling", Map.of("type", "linear", "factor", l.factor()));
            case Rope.Scaling.Llama3 l -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", "llama3"); m.put("factor", l.factor()); m.put("lowFreqFactor", l.lowFreqFactor());
                m.put("highFreqFactor", l.highFreqFactor()); m.put("originalMaxPositions", l.originalMaxPositions());
                o.put("ropeScaling", m);
            }
        }
        o.put("normEps", normEps);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }

    /**
     * Parses and validates; a missing field is an error, except: nKvHeads (absent: nHeads), headDim (absent:
     * dim/nHeads), ropeStyle (absent: "interleaved", jmglu's folders before it) and ropeScaling (absent: none).
     */
    public static Config fromJson(String json, String where) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (e == null || !e.isJsonObject()) throw new IllegalArgumentException(where + ": config is not a JSON object");
            o = e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(where + ": config is not valid JSON (" + e.getMessage() + ")");
        }
        try {
            int nHeads = integer(o, "nHeads"), dim = integer(o, "dim");
            int headDim = o.has("headDim") ? integer(o, "headDim") : headDimOf(dim, nHeads);
            return new Config(integer(o, "vocab"), dim, integer(o, "nLayers"), nHeads,
                    o.has("nKvHeads") ? integer(o, "nKvHeads") : nHeads, headDim, integer(o, "hidden"), integer(o, "seqLen"),
                    FfnKind.parse(string(o, "ffn")), integer(o, "nm"), Act.parse(string(o, "act")), integer(o, "topK"),
                    bool(o, "tiedEmbeddings"), rope(o), number(o, "normEps"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** ropeTheta, ropeStyle and ropeScaling; ropeScaling's keys are checked (a misspelt one is an error, not a default). */
    private static Rope rope(JsonObject o) {
        float theta = number(o, "ropeTheta");
        String style = o.has("ropeStyle") ? string(o, "ropeStyle") : "interleaved";
        boolean halves = switch (style) {
            case "interleaved" -> false;
            case "halves" -> true;
            default -> throw new IllegalArgumentException("config 'ropeStyle' must be \"interleaved\" or \"halves\", got \"" + style + "\"");
        };
        if (!o.has("ropeScaling")) return new Rope(theta, halves, new Rope.Scaling.None());
        JsonElement e = o.get("ropeScaling");
        if (!e.isJsonObject()) throw new IllegalArgumentException("config 'ropeScaling' must be an object, got " + e);
        JsonObject s = e.getAsJsonObject();
        String type = string(s, "type");
        java.util.Set<String> keys = switch (type) {
            case "linear" -> java.util.Set.of("type", "factor");
            case "llama3" -> java.util.Set.of("type", "factor", "lowFreqFactor", "highFreqFactor", "originalMaxPositions");
            default -> throw new IllegalArgumentException("config 'ropeScaling' type must be \"linear\" or \"llama3\", got \"" + type + "\"");
        };
        for (String k : s.keySet())
            if (!keys.contains(k)) throw new IllegalArgumentException("config 'ropeScaling' of type " + type + " has no field '" + k + "' (it has " + keys + ")");
        Rope.Scaling scaling = type.equals("linear") ? new Rope.Scaling.Linear(number(s, "factor"))
                : new Rope.Scaling.Llama3(number(s, "factor"), number(s, "lowFreqFactor"), number(s, "highFreqFactor"), integer(s, "originalMaxPositions"));
        return new Rope(theta, halves, scaling);
    }

    private static JsonPrimitive field(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null) throw new IllegalArgumentException("config has no '" + name + "'");
        boolean text = name.equals("ffn") || name.equals("act") || name.equals("ropeStyle") || name.equals("type");
        if (!e.isJsonPrimitive()) throw new IllegalArgumentException("config '" + name + "' must be a " + (text ? "string" : "number") + ", got " + e);
        return e.getAsJsonPrimitive();
    }

    static int integer(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        if (!p.isNumber()) throw new IllegalArgumentException("config '" + name + "' must be an integer, got " + p);
        double d = p.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) throw new IllegalArgumentException("config '" + name + "' must be an integer, got " + p);
        return (int) d;
    }

    static float number(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        if (!p.isNumber() || !Double.isFinite(p.getAsDouble())) throw new IllegalArgumentException("config '" + name + "' must be a finite number, got " + p);
        return p.getAsFloat();
    }

    static boolean bool(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        if (!p.isBoolean()) throw new IllegalArgumentException("config '" + name + "' must be true or false, got " + p);
        return p.getAsBoolean();
    }

    static String string(JsonObject o, String name) {
        JsonPrimitive p = field(o, name);
        if (!p.isString()) throw new IllegalArgumentException("config '" + name + "' must be a string, got " + p);
        return p.getAsString();
    }

    /** Reads config.json (at most 1 MB). */
    public static Config load(Path file) {
        try {
            if (Files.size(file) > 1 << 20) throw new IllegalArgumentException(file + ": " + Files.size(file) + " bytes is too large for a config (limit 1 MB)");
            return fromJson(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file (the model config is saved beside the weights)");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
