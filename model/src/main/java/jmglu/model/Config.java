package jmglu.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.MaskPlanes;
import jmglu.model.io.Safetensors;

/**
 * The model's hyper-parameters, saved as config.json beside the weights.
 *
 * @param vocab          vocabulary size V
 * @param dim            model width C (= h, the FFN input size)
 * @param nLayers        number of blocks
 * @param nHeads         attention heads (dim divisible by nHeads, head size even for RoPE)
 * @param hidden         FFN width d (the up projection has d outputs)
 * @param seqLen         context length T used in training (and the KV-cache size by default)
 * @param ffn            "gelu" (GELU MLP), "swiglu" (GLU with act), "mglu" (masked GLU with act)
 * @param nm             number of masks (mglu only; 1..16)
 * @param act            gate nonlinearity g for swiglu / mglu: "swish", "gelu" or "relu" (ignored by the gelu MLP)
 * @param topK           Top-K routing over the nm masks (0 = off: plain sum over routes)
 * @param tiedEmbeddings the LM head reuses the token embedding table
 * @param ropeTheta      RoPE base
 * @param normEps        RMSNorm epsilon
 */
public record Config(int vocab, int dim, int nLayers, int nHeads, int hidden, int seqLen, String ffn, int nm, String act,
                     int topK, boolean tiedEmbeddings, float ropeTheta, float normEps) {

    public static final List<String> FFNS = List.of("gelu", "swiglu", "mglu");

    public Config {
        req(vocab > 0 && dim > 0 && nLayers > 0 && nHeads > 0 && hidden > 0 && seqLen > 0,
                "sizes must be positive (vocab " + vocab + ", dim " + dim + ", layers " + nLayers + ", heads " + nHeads
                        + ", hidden " + hidden + ", seqLen " + seqLen + ")");
        req(dim % nHeads == 0, "dim " + dim + " is not divisible by nHeads " + nHeads);
        req((dim / nHeads) % 2 == 0, "head size dim/nHeads = " + dim / nHeads + " must be even (RoPE rotates pairs)");
        req(ffn != null && FFNS.contains(ffn), "ffn must be one of " + FFNS + ", got '" + ffn + "'");
        req(act != null, "act is missing");
        Act.parse(act);
        if (ffn.equals("mglu")) {
            req(nm >= 1 && nm <= MaskPlanes.MAX_MASKS, "nm must be in 1.." + MaskPlanes.MAX_MASKS + " for mglu, got " + nm);
            req(topK >= 0 && topK <= nm, "topK must be in 0..nm (" + nm + "), got " + topK);
        } else {
            req(topK == 0, "topK routing needs ffn = mglu");
        }
        req(ropeTheta > 0 && normEps > 0, "ropeTheta and normEps must be positive");
    }

    private static void req(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException("config: " + msg);
    }

    public Act gate() { return Act.parse(act); }

    public int headDim() { return dim / nHeads; }

    public boolean isMglu() { return ffn.equals("mglu"); }

    /** A short human label: "SwiMGLU nm=4", "SwiGLU", "GELU MLP". */
    public String label() {
        String g = switch (gate()) { case SILU -> "Swi"; case GELU -> "Ge"; case RELU -> "Re"; };
        return switch (ffn) {
            case "mglu" -> g + "MGLU nm=" + nm + (topK > 0 ? " top" + topK : "");
            case "swiglu" -> g + "GLU";
            default -> "GELU MLP";
        };
    }

    public Config withFfn(String ffn, int nm) {
        return new Config(vocab, dim, nLayers, nHeads, hidden, seqLen, ffn, ffn.equals("mglu") ? nm : 0, act,
                ffn.equals("mglu") ? topK : 0, tiedEmbeddings, ropeTheta, normEps);
    }

    public Config withVocab(int v) {
        return new Config(v, dim, nLayers, nHeads, hidden, seqLen, ffn, nm, act, topK, tiedEmbeddings, ropeTheta, normEps);
    }

    // ---------------------------------------------------------------- JSON

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    public String toJson() { return GSON.toJson(this); }

    /** Parses and validates (a missing field is an error, not a silent zero). */
    public static Config fromJson(String json, String where) {
        Config c;
        try {
            var o = com.google.gson.JsonParser.parseString(json);
            if (!o.isJsonObject()) throw new IllegalArgumentException(where + ": config is not a JSON object");
            for (var f : Config.class.getRecordComponents())
                if (!o.getAsJsonObject().has(f.getName())) throw new IllegalArgumentException(where + ": config has no '" + f.getName() + "'");
            c = GSON.fromJson(o, Config.class);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(where + ": config is not valid JSON (" + e.getMessage() + ")");
        }
        return c;
    }

    public static Config load(Path file) {
        try {
            return fromJson(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file (the model config is saved beside the weights)");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    public void save(Path file) { Safetensors.atomicWriteString(file, toJson()); }
}
