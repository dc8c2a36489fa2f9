package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;

/**
 * Masked gated linear unit (arXiv 2506.23225), Mixture of Element-wise Gating with nm masks:
 * one shared W (d, C); hard masks M_i = 1[L_i &gt; 0] from real-valued logits L (nm, d, C),
 * initialised 0.01·randn and trained with W through the straight-through estimator;
 * y = Σ_i g(x (M_i ⊙ W)ᵀ) ⊙ x (M̄_i ⊙ W)ᵀ; out = y W2ᵀ. With Top-K routing a router
 * Wr (nm, C) weights the K best routes per token by a softmax over their router logits.
 */
public final class Mglu implements Ffn {
    final Var w, maskLogits, router, w2;   // w (d, C), maskLogits (nm, d, C), router (nm, C) or null, w2 (C, d)
    final Act g;
    final int topK;

    Mglu(Params.Scope p, Config c) {
        w = p.randn("w", 0.02, c.hidden(), c.dim());
        maskLogits = p.randn("mask_logits", 0.01, c.nm(), c.hidden(), c.dim());
        router = c.topK() > 0 ? p.randn("router", 0.02, c.nm(), c.dim()) : null;
        w2 = p.randn("w2.weight", 0.02 / Math.sqrt(2.0 * c.nLayers()), c.dim(), c.hidden());
        g = c.gate();
        topK = c.topK();
    }

    @Override public Var forward(Var x) {
        Var y = topK > 0 ? F.mgluTopK(x, w, maskLogits, router, topK, g)   // (N, d)
                         : F.mglu(x, w, maskLogits, g);                      // (N, d)
        return F.linear(y, w2);                                              // (N, C)
    }
}
