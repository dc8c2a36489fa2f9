package jmglu.model.train;

import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.model.Config;
import jmglu.model.Transformer;

/**
 * An MGLU model initialised from a SwiGLU one (`jmglu mglu-init`), to be fine-tuned with `train --init`.
 * SwiGLU computes (g(x Wgᵀ) ⊙ x Wuᵀ) Wdᵀ with two matrices; MGLU has one W and nm masks, with
 * gate_i = x (M_i ⊙ W)ᵀ and value_i = x (M̄_i ⊙ W)ᵀ, y = Σ_i g(gate_i) ⊙ value_i. Per element e:
 * <pre>
 *   W[e]   = Wg[e] if |Wg[e]| ≥ |Wu[e]| else Wu[e]     each element keeps the larger of its gate and up weight
 *   L_i[e] = (|Wg[e]| − |Wu[e]|) + 0.1·σ·n_i[e]       mask logits, n_i ~ N(0, 1), σ = std of |Wg| − |Wu| in the layer
 *   W2     = Wd / nm                                    the nm routes start almost equal: their sum is divided out
 * </pre>
 * so M_i = 1[L_i &gt; 0] routes an element to the gate where the gate weight dominates (then gate_i reads
 * Wg's large entries and value_i Wu's), and the noise makes the routes differ near the boundary so
 * that fine-tuning can pull them apart. Every other tensor (embeddings, attention, norms) is copied.
 * The result is in training form (F32 on the heap).
 */
public final class MgluInit {
    private MgluInit() {}

    /** The MGLU (nm masks, same g) model made from a SwiGLU model's tensors under jmglu names. */
    public static Transformer fromSwiGlu(Config c, Map<String, Tensor> swiglu, int nm, long seed) {
        if (c.ffn() != Config.FfnKind.GLU) throw new IllegalArgumentException("mglu-init needs a SwiGLU-family model (gate, up, down), got " + c.label());
        Config m = c.withFfn(Config.FfnKind.MGLU, nm);
        m.checkHeap(4, "the F32 weights");
        Rng rng = new Rng(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : swiglu.entrySet()) {
            String n = e.getKey();
            if (n.startsWith("optim.") || n.contains(".ffn.")) continue;
            out.put(n, e.getValue());
        }
        int d = c.hidden(), C = c.dim();
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "layers." + l + ".ffn.";
            float[] wg = need(swiglu, p + "w1.weight").toArray(), wu = need(swiglu, p + "w3.weight").toArray(), wd = need(swiglu, p + "w2.weight").toArray();
            float[] w = new float[d * C], logits = new float[nm * d * C];
            double s = 0, s2 = 0;
            for (int i = 0; i < w.length; i++) {
                double delta = Math.abs(wg[i]) - Math.abs(wu[i]);
                w[i] = delta >= 0 ? wg[i] : wu[i];
                s += delta; s2 += delta * delta;
            }
            double mean = s / w.length, sigma = Math.sqrt(Math.max(0, s2 / w.length - mean * mean));
            for (int r = 0; r < nm; r++)
                for (int i = 0; i < w.length; i++)
                    logits[r * w.length + i] = (float) (Math.abs(wg[i]) - Math.abs(wu[i]) + 0.1 * sigma * rng.nextGaussian());
            for (int i = 0; i < wd.length; i++) wd[i] /= nm;
            out.put(p + "w", Tensor.of(w, d, C));
            out.put(p + "mask_logits", Tensor.of(logits, nm, d, C));
            out.put(p + "w2.weight", Tensor.of(wd, C, d));
        }
        return Transformer.forTraining(m, out);
    }

    private static Tensor need(Map<String, Tensor> t, String name) {
        Tensor x = t.get(name);
        if (x == null) throw new IllegalArgumentException("the SwiGLU model has no tensor '" + name + "'");
        return x;
    }
}
