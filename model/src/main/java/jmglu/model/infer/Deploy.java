package jmglu.model.infer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import jmglu.engine.decode.DecoderWeights;
import jmglu.model.Config;
import jmglu.model.io.RawTensor;

/**
 * The deployment form of a model and the way to it.
 * <ul>
 *   <li>{@link #pack}: training tensors (F32 weights + mask logits) → deployment tensors: every
 *       matrix in BF16/F16 (or F32), the MGLU masks as I32 bit-planes {@code layers.l.ffn.masks}
 *       of shape (d, nm, ⌈h/32⌉) (the {@link MaskPlanes} layout), no logits; norms stay F32.</li>
 *   <li>{@link #weights}: deployment tensors → {@link DecoderWeights} for any Decoder.</li>
 * </ul>
 * Tensor names (PyTorch style): tok_emb.weight, lm_head.weight (untied only), norm.weight,
 * layers.l.{attn_norm,ffn_norm}.weight, layers.l.attn.{wq,wk,wv,wo}.weight, and per FFN:
 * gelu: ffn.w1.weight, ffn.w2.weight; swiglu: ffn.w1.weight (gate), ffn.w3.weight (value),
 * ffn.w2.weight; mglu: ffn.w (d, h), ffn.mask_logits (nm, d, h) or ffn.masks, ffn.router
 * (nm, h) when Top-K routed, ffn.w2.weight.
 */
public final class Deploy {
    private Deploy() {}

    /** Deployment tensors from training (or already packed) tensors; matrices stored in dtype. */
    public static Map<String, RawTensor> pack(Config c, Map<String, RawTensor> t, DType dtype) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, RawTensor> e : t.entrySet()) {
            String name = e.getKey();
            RawTensor r = e.getValue();
            if (name.startsWith("optim.")) continue;
            if (name.endsWith(".ffn.mask_logits")) {
                int d = c.hidden(), h = c.dim();
                r.expectShape(name, c.nm(), d, h);
                MaskPlanes m = MaskPacker.pack(r.toFloats(name), c.nm(), d, h);
                out.put(name.replace("mask_logits", "masks"), RawTensor.ofInts(m.bits(), d, c.nm(), m.wordsPerRow()));
            } else if (r.shape().length == 2 && r.dtype() != RawTensor.DT.I32 && !name.endsWith(".ffn.router")) {
                out.put(name, RawTensor.of(r.toTensor(name).to(dtype)));
            } else {
                out.put(name, r);
            }
        }
        return out;
    }

    /**
     * DecoderWeights from training or deployment tensors: packs them first (mask logits → bit-planes,
     * matrices → dtype; already packed masks pass through). Pass a packed file's own dtype
     * to keep its weights as stored.
     */
    public static DecoderWeights weights(Config c, Map<String, RawTensor> t, DType dtype) {
        Map<String, RawTensor> p = pack(c, t, dtype);
        int C = c.dim(), d = c.hidden(), V = c.vocab();
        Getter g = new Getter(p);
        float[] emb = g.raw("tok_emb.weight", V, C).toFloats("tok_emb.weight");
        WeightMatrix head = c.tiedEmbeddings() ? g.matrix("tok_emb.weight", V, C) : g.matrix("lm_head.weight", V, C);
        List<DecoderWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            String pre = "layers." + l + ".";
            WeightMatrix w1 = null, w3 = null, router = null;
            MaskPlanes masks = null;
            switch (c.ffn()) {
                case "gelu" -> w1 = g.matrix(pre + "ffn.w1.weight", d, C);
                case "swiglu" -> { w1 = g.matrix(pre + "ffn.w1.weight", d, C); w3 = g.matrix(pre + "ffn.w3.weight", d, C); }
                default -> {
                    w1 = g.matrix(pre + "ffn.w", d, C);
                    int[] bits = g.raw(pre + "ffn.masks", d, c.nm(), MaskPlanes.wordsPerRow(C)).toInts(pre + "ffn.masks");
                    masks = new MaskPlanes(c.nm(), d, C, bits);
                    if (c.topK() > 0) router = g.matrix(pre + "ffn.router", c.nm(), C);
                }
            }
            layers.add(new DecoderWeights.Layer(g.vector(pre + "attn_norm.weight", C),
                    g.matrix(pre + "attn.wq.weight", C, C), g.matrix(pre + "attn.wk.weight", C, C),
                    g.matrix(pre + "attn.wv.weight", C, C), g.matrix(pre + "attn.wo.weight", C, C),
                    g.vector(pre + "ffn_norm.weight", C), w1, w3, g.matrix(pre + "ffn.w2.weight", C, d), masks, router));
        }
        return new DecoderWeights(V, C, c.nLayers(), c.nHeads(), d, c.ropeTheta(), c.normEps(), c.ffn(), c.gate(),
                c.isMglu() ? c.nm() : 0, c.topK(), emb, head, g.vector("norm.weight", C), layers);
    }

    /** Looks tensors up by name with a clear error for a missing one or a wrong shape. */
    private record Getter(Map<String, RawTensor> t) {
        RawTensor raw(String name, int... shape) {
            RawTensor r = t.get(name);
            if (r == null) throw new IllegalArgumentException("model file has no tensor '" + name + "'");
            return r.expectShape(name, shape);
        }

        WeightMatrix matrix(String name, int rows, int cols) {
            Tensor x = raw(name, rows, cols).toTensor(name);
            return x.asWeights();
        }

        float[] vector(String name, int n) { return raw(name, n).toFloats(name); }
    }
}
