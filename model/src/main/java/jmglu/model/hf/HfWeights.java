package jmglu.model.hf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jmglu.engine.DType;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.model.Config;

/**
 * Tensor names between Hugging Face's Llama layout and jmglu's, and the one reordering RoPE needs.
 * <pre>
 *   model.embed_tokens.weight                        tok_emb.weight          (V, C)
 *   model.layers.L.input_layernorm.weight            layers.L.attn_norm.weight
 *   model.layers.L.self_attn.{q,k,v,o}_proj.weight   layers.L.attn.w{q,k,v,o}.weight
 *   model.layers.L.post_attention_layernorm.weight   layers.L.ffn_norm.weight
 *   model.layers.L.mlp.{gate,up,down}_proj.weight    layers.L.ffn.w{1,3,2}.weight   (SwiGLU: down(g(gate x) ⊙ up x))
 *   model.layers.L.mlp.{w,masks,mask_logits,router}  layers.L.ffn.{...}      (MGLU, jmglu's own export)
 *   model.norm.weight, lm_head.weight                norm.weight, lm_head.weight
 * </pre>
 * RoPE: transformers rotates the pairs (j, j + hd/2) of each head ("rotate_half"); jmglu's own models
 * rotate (2j, 2j + 1). Both give the same attention when the rows of Wq and Wk are permuted within each
 * head (row j ↔ 2j, row j + hd/2 ↔ 2j + 1): export permutes; loading an HF model needs no permutation,
 * because the model runs the rotate_half convention itself ({@link Rope#halves()}).
 */
public final class HfWeights {
    private HfWeights() {}

    private static final List<String[]> LAYER = List.of(   // {HF suffix, jmglu suffix}
            new String[] {"input_layernorm.weight", "attn_norm.weight"}, new String[] {"post_attention_layernorm.weight", "ffn_norm.weight"},
            new String[] {"self_attn.q_proj.weight", "attn.wq.weight"}, new String[] {"self_attn.k_proj.weight", "attn.wk.weight"},
            new String[] {"self_attn.v_proj.weight", "attn.wv.weight"}, new String[] {"self_attn.o_proj.weight", "attn.wo.weight"},
            new String[] {"mlp.gate_proj.weight", "ffn.w1.weight"}, new String[] {"mlp.up_proj.weight", "ffn.w3.weight"},
            new String[] {"mlp.down_proj.weight", "ffn.w2.weight"}, new String[] {"mlp.w", "ffn.w"}, new String[] {"mlp.masks", "ffn.masks"},
            new String[] {"mlp.mask_logits", "ffn.mask_logits"}, new String[] {"mlp.router", "ffn.router"});
    private static final Map<String, String> TOP = Map.of("model.embed_tokens.weight", "tok_emb.weight", "model.norm.weight", "norm.weight",
            "lm_head.weight", "lm_head.weight");
    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d{1,4})\\.(.+)"), JM_LAYER = Pattern.compile("layers\\.(\\d{1,4})\\.(.+)");

    /** The jmglu name of an HF tensor, or null when it is not part of the model. */
    public static String toJmglu(String hf) {
        if (TOP.containsKey(hf)) return TOP.get(hf);
        Matcher m = HF_LAYER.matcher(hf);
        if (m.matches()) for (String[] p : LAYER) if (p[0].equals(m.group(2))) return "layers." + m.group(1) + "." + p[1];
        return null;
    }

    /** The HF name of a jmglu tensor (every jmglu weight has one). */
    public static String toHf(String jm) {
        for (Map.Entry<String, String> e : TOP.entrySet()) if (e.getValue().equals(jm)) return e.getKey();
        Matcher m = JM_LAYER.matcher(jm);
        if (m.matches()) for (String[] p : LAYER) if (p[1].equals(m.group(2))) return "model.layers." + m.group(1) + "." + p[0];
        throw new IllegalArgumentException("no Hugging Face name for tensor '" + jm + "'");
    }

    /**
     * An HF checkpoint's tensors under jmglu's names, for an inference model: matrices as stored (mapped,
     * not copied), norm gains converted to F32 (C values each). A tied model's lm_head.weight, if saved,
     * is dropped; rotary_emb.inv_freq buffers of old checkpoints are ignored (jmglu computes the
     * frequencies from the config); any other unknown tensor is refused.
     */
    public static Map<String, Tensor> fromHf(Map<String, Tensor> hf, Config c, String where) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : hf.entrySet()) {
            String name = e.getKey();
            if (name.endsWith(".rotary_emb.inv_freq") || (c.tiedEmbeddings() && name.equals("lm_head.weight"))) continue;
            String jm = toJmglu(name);
            if (jm == null) throw new IllegalArgumentException(where + ": tensor '" + name + "' is not part of a Llama model jmglu can run");
            Tensor t = e.getValue();
            out.put(jm, t.rank() == 1 && t.dtype() != DType.F32 ? t.to(DType.F32) : t);
        }
        for (String need : List.of("tok_emb.weight", "norm.weight")) missing(out, need, where);
        if (!c.tiedEmbeddings()) missing(out, "lm_head.weight", where);
        for (int l = 0; l < c.nLayers(); l++)
            for (String s : List.of("attn_norm.weight", "ffn_norm.weight", "attn.wq.weight", "attn.wk.weight", "attn.wv.weight", "attn.wo.weight",
                    "ffn.w1.weight", "ffn.w3.weight", "ffn.w2.weight")) missing(out, "layers." + l + "." + s, where);
        return out;
    }

    private static void missing(Map<String, Tensor> t, String jm, String where) {
        if (!t.containsKey(jm)) throw new IllegalArgumentException(where + ": the checkpoint has no tensor '" + toHf(jm) + "' (does config.json match the weights?)");
    }

    /**
     * jmglu tensors under HF names, for export. When the model rotates interleaved pairs, the rows of
     * every Wq and Wk are permuted into rotate_half order (a copy of those two matrices per layer; the
     * other tensors are shared).
     */
    public static Map<String, Tensor> toHf(Map<String, Tensor> jm, Config c) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : jm.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (!c.rope().halves() && (name.endsWith(".attn.wq.weight") || name.endsWith(".attn.wk.weight")))
                t = interleavedToHalves(t, c.headDim());
            out.put(toHf(name), t);
        }
        return out;
    }

    /** Rows of each head of w (heads·hd, C) reordered so that new row j = old 2j, new row j + hd/2 = old 2j + 1. */
    static Tensor interleavedToHalves(Tensor w, int hd) {
        int rows = w.dim(0), cols = w.dim(1);
        if (rows % hd != 0) throw new IllegalArgumentException("a projection of " + rows + " rows is not a whole number of heads of " + hd);
        float[] a = w.toArray(), b = new float[a.length];
        for (int h0 = 0; h0 < rows; h0 += hd)
            for (int j = 0; j < hd / 2; j++) {
                System.arraycopy(a, (h0 + 2 * j) * cols, b, (h0 + j) * cols, cols);
                System.arraycopy(a, (h0 + 2 * j + 1) * cols, b, (h0 + j + hd / 2) * cols, cols);
            }
        Tensor f = Tensor.of(b, rows, cols);
        return w.dtype() == DType.F32 ? f : f.to(w.dtype());
    }
}
