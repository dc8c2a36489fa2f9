package jmglu.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;
import jmglu.model.io.RawTensor;

/**
 * A decoder-only transformer (Llama-style, nanoGPT-sized):
 * <pre>
 *   x = tok_emb[ids]                         (B·T, C)
 *   x = block_l(x), l = 0 .. nLayers−1       (B·T, C)
 *   logits = norm(x) · lm_headᵀ              (B·T, V)   lm_head = tok_emb when tied
 * </pre>
 */
public final class Transformer {
    public final Config config;
    final Var tokEmb;            // (V, C)
    final List<Block> layers = new ArrayList<>();
    final RmsNorm norm;
    final Var lmHead;            // (V, C); the same Var as tokEmb when tied
    private final Params params;

    public Transformer(Config c, long seed) {
        this.config = c;
        params = new Params(seed);
        Params.Scope root = params.scope("");
        tokEmb = root.randn("tok_emb.weight", 0.02, c.vocab(), c.dim());
        for (int l = 0; l < c.nLayers(); l++) layers.add(new Block(root.scope("layers." + l + "."), c));
        norm = new RmsNorm(root.scope("norm."), c.dim(), c.normEps());
        lmHead = c.tiedEmbeddings() ? tokEmb : root.randn("lm_head.weight", 0.02, c.vocab(), c.dim());
    }

    /** The parameters by name, in creation order (a tied head appears once, as tok_emb.weight). */
    public Map<String, Var> parameters() { return params.map(); }

    /** ids (B·T) → logits (B·T, V). */
    public Var forward(int[] ids, int B, int T) {
        if (ids.length != B * T) throw new IllegalArgumentException("Transformer.forward: " + ids.length + " ids for B=" + B + ", T=" + T);
        if (T > config.seqLen()) throw new IllegalArgumentException("Transformer.forward: T=" + T + " exceeds seqLen " + config.seqLen());
        for (int id : ids)
            if (id < 0 || id >= config.vocab()) throw new IllegalArgumentException("Transformer.forward: token " + id + " outside vocabulary " + config.vocab());
        Var x = F.embedding(tokEmb, ids);                 // (B·T, C)
        for (Block b : layers) x = b.forward(x, B, T);    // (B·T, C)
        return F.linear(norm.forward(x), lmHead);         // (B·T, V)
    }

    /** Mean next-token cross-entropy, a scalar (1). */
    public Var loss(int[] ids, int[] targets, int B, int T) {
        return F.crossEntropy(forward(ids, B, T), targets);
    }

    // ---------------------------------------------------------------- sizes

    /** Weight parameters (float values the model stores and trains), mask logits excluded. */
    public long weightParams() {
        long n = 0;
        for (Map.Entry<String, Var> e : parameters().entrySet())
            if (!e.getKey().endsWith("mask_logits")) n += e.getValue().value().size();
        return n;
    }

    /** Mask bits at inference: nm·d·C per MGLU layer (0 otherwise). */
    public long maskBits() {
        return config.isMglu() ? (long) config.nLayers() * config.nm() * config.hidden() * config.dim() : 0;
    }

    /**
     * Bytes the FFN weights cost to read per token at batch-1 inference with 16-bit weights:
     * GELU MLP 2·(2dC), SwiGLU 3·(2dC), MGLU 2·(2dC) + nm bit-planes (rows padded to 32 bits).
     */
    public long ffnBytesPerToken() {
        long dC = (long) config.hidden() * config.dim();
        long per = switch (config.ffn()) {
            case "gelu" -> 2 * 2 * dC;
            case "swiglu" -> 3 * 2 * dC;
            default -> 2 * 2 * dC + (long) config.nm() * config.hidden() * MaskPlanes.wordsPerRow(config.dim()) * 4
                    + (config.topK() > 0 ? 2L * config.nm() * config.dim() : 0);
        };
        return per * config.nLayers();
    }

    // ---------------------------------------------------------------- tensors in and out

    /** The parameter values as F32 tensors (for a checkpoint). */
    public Map<String, RawTensor> stateDict() {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : parameters().entrySet()) out.put(e.getKey(), RawTensor.of(e.getValue().value()));
        return out;
    }

    /** Copies values in from a checkpoint: every parameter must be present with its exact shape. */
    public void loadStateDict(Map<String, RawTensor> t) {
        for (Map.Entry<String, Var> e : parameters().entrySet()) {
            String name = e.getKey();
            RawTensor r = t.get(name);
            if (r == null) throw new IllegalArgumentException("checkpoint has no tensor '" + name + "' (does config.json match the weights?)");
            Tensor dst = e.getValue().value();
            r.expectShape(name, dst.shape());
            float[] src = r.toFloats(name);
            System.arraycopy(src, 0, dst.data(), dst.offset(), src.length);
        }
    }
}
