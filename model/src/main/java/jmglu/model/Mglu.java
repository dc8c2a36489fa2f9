package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;

/**
 * Masked gated linear unit (arXiv 2506.23225), Mixture of Element-wise Gating with nm masks:
 * one shared W (d, C); hard masks M_i = 1[L_i &gt; 0] from real-valued logits L (nm, d, C),
 * initialised 0.01·randn and trained with W through the straight-through estimator;
 * y = Σ_i g(x (M_i ⊙ W)ᵀ) ⊙ x (M̄_i ⊙ W)ᵀ; out = y W2ᵀ. With Top-K routing a router
 * Wr (nm, C) weights the K best routes per token by a softmax over their router logits.
 *
 * <p>Training holds the mask logits; inference holds the packed masks instead (I32 bit-planes
 * (d, nm, ⌈C/32⌉), {@link MaskPlanes}), which the decode step streams with W through FlashMGLU.
 */
public final class Mglu implements Ffn {
    final Var w, maskLogits, masks, router, w2;   // w (d, C); maskLogits (nm, d, C) xor masks (d, nm, wpr); router (nm, C) or null; w2 (C, d)
    final Act g;
    final int topK;

    Mglu(Params.Scope p, Config c) {
        int d = c.hidden(), C = c.dim();
        w = p.randn("w", 0.02, d, C);
        if (p.trainable()) {
            if (p.has("masks") && !p.has("mask_logits"))
                throw new IllegalArgumentException("a packed MGLU model holds masks, not mask logits: it cannot be trained (train from its training checkpoint)");
            maskLogits = p.randn("mask_logits", 0.01, c.nm(), d, C);
            masks = null;
        } else {
            if (!p.has("masks") && p.has("mask_logits"))
                throw new IllegalArgumentException("an MGLU layer decodes from packed masks; pack the training weights first (Transformer.pack)");
            maskLogits = null;
            masks = p.masks("masks", d, c.nm(), C);
        }
        router = c.topK() > 0 ? p.randn("router", 0.02, c.nm(), C) : null;
        w2 = p.randn("w2.weight", 0.02 / Math.sqrt(2.0 * c.nLayers()), C, d);
        g = c.act();
        topK = c.topK();
    }

    @Override public Var forward(F f, Var x) {
        Var y = topK > 0 ? f.mgluTopK(x, w, maskLogits, router, topK, g)   // (N, d)
                         : f.mglu(x, w, maskLogits, g);                      // (N, d)
        return f.linear(y, w2);                                              // (N, C)
    }

    @Override public void decode(Backend be, Tensor x, Tensor n, Tensor h, RmsNorm next) {
        if (topK > 0) be.mgluTopK(h, n, w.value(), masks.value(), router.value(), topK, g);   // (B, d)
        else be.flashMglu(h, n, w.value(), masks.value(), g);                                 // (B, d), one pass over W
        next.decodeAfter(be, x, h, w2.value(), n);       // x += h W2ᵀ; n = next(x)
    }
}
