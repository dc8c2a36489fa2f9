package jmglu.model.hf;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import jmglu.engine.Act;
import jmglu.engine.Rope;
import jmglu.model.Config;

/**
 * A Hugging Face Llama-family config.json ({@code LlamaForCausalLM}, {@code MistralForCausalLM}) as
 * transformers writes it, in both forms: 4.x (top-level {@code rope_theta}, {@code rope_scaling}) and
 * 5.x ({@code rope_parameters}). It maps onto jmglu's {@link Config} exactly or is refused with one
 * line naming what jmglu cannot run; nothing is approximated:
 * <pre>
 *   hidden_size → dim          intermediate_size → hidden (SwiGLU)   num_hidden_layers → nLayers
 *   num_attention_heads → nHeads   num_key_value_heads → nKvHeads   head_dim → headDim
 *   max_position_embeddings → seqLen (min with sliding_window: attention is exact within the window)
 *   rms_norm_eps → normEps     tie_word_embeddings → tiedEmbeddings   hidden_act silu | gelu_pytorch_tanh | relu
 *   RoPE: rotate_half (pairs j, j + hd/2), theta, scaling none | linear | llama3
 * </pre>
 */
public final class HfConfig {
    private HfConfig() {}

    /** The model's config plus what generation needs: the BOS id (or -1) and the EOS ids (may be empty). */
    public record Parsed(Config config, String architecture, int bosId, int[] eosIds) {}

    private static final Set<String> ARCHS = Set.of("LlamaForCausalLM", "MistralForCausalLM");

    /** Whether a parsed config.json is a Hugging Face one (it names a model_type or architectures). */
    public static boolean isHf(JsonObject o) { return o.has("model_type") || o.has("architectures"); }

    /** Reads dir/config.json (at most 1 MB) when it is a Hugging Face config; null when it is jmglu's own. */
    public static JsonObject readIfHf(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > 1 << 20) return null;
            JsonElement e = JsonParser.parseString(Files.readString(file));
            return e.isJsonObject() && isHf(e.getAsJsonObject()) ? e.getAsJsonObject() : null;
        } catch (IOException | RuntimeException e) {
            return null;              // Config.load reports what is wrong with the file
        }
    }

    /** Maps an HF config; where names the file in messages. */
    public static Parsed parse(JsonObject o, String where) {
        try {
            return parse(o);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static Parsed parse(JsonObject o) {
        String arch = architecture(o);
        String type = str(o, "model_type", arch.startsWith("Mistral") ? "mistral" : "llama");
        if (!type.equals("llama") && !type.equals("mistral")) throw new IllegalArgumentException("model_type '" + type + "' is not a Llama-family model jmglu can run");
        if (bool(o, "attention_bias", false)) throw new IllegalArgumentException("attention_bias = true (biases on q/k/v/o) is not supported");
        if (bool(o, "mlp_bias", false)) throw new IllegalArgumentException("mlp_bias = true (biases in the MLP) is not supported");
        int dim = integer(o, "hidden_size", -1), heads = integer(o, "num_attention_heads", -1);
        if (dim <= 0 || heads <= 0) throw new IllegalArgumentException("hidden_size and num_attention_heads must be positive integers");
        int kv = integer(o, "num_key_value_heads", heads);
        int hd = o.has("head_dim") && !o.get("head_dim").isJsonNull() ? integer(o, "head_dim", -1) : dim / heads;
        if (!o.has("head_dim") && dim % heads != 0) throw new IllegalArgumentException("hidden_size " + dim + " is not divisible by num_attention_heads " + heads + " and there is no head_dim");
        int seq = integer(o, "max_position_embeddings", 2048);
        if (o.has("sliding_window") && !o.get("sliding_window").isJsonNull()) seq = Math.min(seq, integer(o, "sliding_window", seq));
        Act act = switch (str(o, "hidden_act", "silu")) {
            case "silu", "swish" -> Act.SILU;
            case "gelu_pytorch_tanh", "gelu_new" -> Act.GELU;          // jmglu's GELU is the tanh form
            case "relu" -> Act.RELU;
            case String s -> throw new IllegalArgumentException("hidden_act '" + s + "' is not supported (silu, gelu_pytorch_tanh, gelu_new, relu; "
                    + "jmglu's GELU is the tanh form, so the erf 'gelu' would not be exact)");
        };
        Config c = new Config(integer(o, "vocab_size", -1), dim, integer(o, "num_hidden_layers", -1), heads, kv, hd, integer(o, "intermediate_size", -1),
                Math.min(seq, Config.MAX_SEQ), Config.FfnKind.GLU, 0, act, 0, bool(o, "tie_word_embeddings", false), rope(o),
                (float) number(o, "rms_norm_eps", 1e-6));
        return new Parsed(c, arch, o.has("bos_token_id") && !o.get("bos_token_id").isJsonNull() ? integer(o, "bos_token_id", -1) : -1, eos(o));
    }

    private static String architecture(JsonObject o) {
        if (!o.has("architectures") || o.get("architectures").isJsonNull()) return "LlamaForCausalLM";
        JsonElement a = o.get("architectures");
        if (!a.isJsonArray() || a.getAsJsonArray().size() != 1 || !a.getAsJsonArray().get(0).isJsonPrimitive())
            throw new IllegalArgumentException("'architectures' must list one architecture, got " + a);
        String s = a.getAsJsonArray().get(0).getAsString();
        if (!ARCHS.contains(s)) throw new IllegalArgumentException("architecture " + s + " is not supported (jmglu runs " + String.join(", ", ARCHS.stream().sorted().toList()) + ")");
        return s;
    }

    /** RoPE in transformers' rotate_half convention, from rope_parameters (5.x) or rope_theta + rope_scaling (4.x). */
    static Rope rope(JsonObject o) {
        JsonObject p = o.has("rope_parameters") && o.get("rope_parameters").isJsonObject() ? o.getAsJsonObject("rope_parameters")
                : o.has("rope_scaling") && o.get("rope_scaling").isJsonObject() ? o.getAsJsonObject("rope_scaling") : new JsonObject();
        float theta = (float) (p.has("rope_theta") ? number(p, "rope_theta", 0) : number(o, "rope_theta", 10000));
        String type = p.has("rope_type") ? str(p, "rope_type", "default") : str(p, "type", "default");
        Rope.Scaling s = switch (type) {
            case "default" -> new Rope.Scaling.None();
            case "linear" -> new Rope.Scaling.Linear((float) number(p, "factor", -1));
            case "llama3" -> new Rope.Scaling.Llama3((float) number(p, "factor", -1), (float) number(p, "low_freq_factor", -1),
                    (float) number(p, "high_freq_factor", -1), integer(p, "original_max_position_embeddings", -1));
            default -> throw new IllegalArgumentException("RoPE scaling '" + type + "' is not supported (default, linear, llama3)");
        };
        return Rope.halves(theta, s);
    }

    private static int[] eos(JsonObject o) {
        JsonElement e = o.get("eos_token_id");
        if (e == null || e.isJsonNull()) return new int[0];
        JsonArray a = e.isJsonArray() ? e.getAsJsonArray() : null;
        if (a == null) return new int[] {integer(o, "eos_token_id", -1)};
        if (a.size() > 64) throw new IllegalArgumentException("eos_token_id lists " + a.size() + " ids (at most 64)");
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonObject one = new JsonObject();
            one.add("id", a.get(i));
            ids[i] = integer(one, "id", -1);
        }
        return ids;
    }

    // ---------------------------------------------------------------- typed fields (a wrong type is an error; absent = default)

    private static JsonElement get(JsonObject o, String k) {
        JsonElement e = o.get(k);
        return e == null || e.isJsonNull() ? null : e;
    }

    static int integer(JsonObject o, String k, int dflt) {
        JsonElement e = get(o, k);
        if (e == null) {
            if (dflt < 0) throw new IllegalArgumentException("config has no '" + k + "'");
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw new IllegalArgumentException("'" + k + "' must be an integer, got " + e);
        double d = e.getAsDouble();
        if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) throw new IllegalArgumentException("'" + k + "' must be a non-negative integer, got " + e);
        return (int) d;
    }

    static double number(JsonObject o, String k, double dflt) {
        JsonElement e = get(o, k);
        if (e == null) {
            if (dflt < 0) throw new IllegalArgumentException("config has no '" + k + "'");
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || !Double.isFinite(e.getAsDouble()))
            throw new IllegalArgumentException("'" + k + "' must be a finite number, got " + e);
        return e.getAsDouble();
    }

    static boolean bool(JsonObject o, String k, boolean dflt) {
        JsonElement e = get(o, k);
        if (e == null) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) throw new IllegalArgumentException("'" + k + "' must be true or false, got " + e);
        return e.getAsBoolean();
    }

    static String str(JsonObject o, String k, String dflt) {
        JsonElement e = get(o, k);
        if (e == null) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) throw new IllegalArgumentException("'" + k + "' must be a string, got " + e);
        return e.getAsString();
    }

    // ---------------------------------------------------------------- writing (export)

    /** The LlamaConfig JSON (transformers 5 form) of a jmglu SwiGLU model whose q/k rows are in rotate_half order; dtype as transformers names it (float32, bfloat16, float16). */
    public static String toJson(Config c, int bosId, int[] eosIds, String dtype) {
        if (c.ffn() != Config.FfnKind.GLU)
            throw new IllegalArgumentException("only SwiGLU-family models export as LlamaForCausalLM (this one is " + c.label() + ")");
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("architectures", new String[] {"LlamaForCausalLM"});
        o.put("model_type", "llama");
        o.put("vocab_size", c.vocab()); o.put("hidden_size", c.dim()); o.put("intermediate_size", c.hidden());
        o.put("num_hidden_layers", c.nLayers()); o.put("num_attention_heads", c.nHeads()); o.put("num_key_value_heads", c.nKvHeads());
        o.put("head_dim", c.headDim()); o.put("max_position_embeddings", c.seqLen()); o.put("rms_norm_eps", c.normEps());
        o.put("hidden_act", switch (c.act()) { case SILU -> "silu"; case GELU -> "gelu_pytorch_tanh"; case RELU -> "relu"; });
        o.put("tie_word_embeddings", c.tiedEmbeddings()); o.put("attention_bias", false); o.put("mlp_bias", false);
        Map<String, Object> rp = new LinkedHashMap<>();
        rp.put("rope_theta", c.rope().theta());
        switch (c.rope().scaling()) {
            case Rope.Scaling.None n -> rp.put("rope_type", "default");
            case Rope.Scaling.Linear l -> { rp.put("rope_type", "linear"); rp.put("factor", l.factor()); }
            case Rope.Scaling.Llama3 l -> {
                rp.put("rope_type", "llama3"); rp.put("factor", l.factor()); rp.put("low_freq_factor", l.lowFreqFactor());
                rp.put("high_freq_factor", l.highFreqFactor()); rp.put("original_max_position_embeddings", l.originalMaxPositions());
            }
        }
        o.put("rope_parameters", rp);
        o.put("rope_theta", c.rope().theta());          // 4.x readers
        if (bosId >= 0) o.put("bos_token_id", bosId);
        if (eosIds.length == 1) o.put("eos_token_id", eosIds[0]);
        else if (eosIds.length > 1) o.put("eos_token_id", eosIds);
        o.put("dtype", dtype);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }
}
