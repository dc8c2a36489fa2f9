package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;

/**
 * Gated linear unit (Shazeer 2020): out = (g(x W1ᵀ) ⊙ x W3ᵀ) W2ᵀ, g = SiLU for SwiGLU (GELU for
 * GeGLU, ReLU for ReGLU). W1 (gate) and W3 (value) are (d, C), W2 is (C, d).
 */
public final class SwiGlu implements Ffn {
    final Var w1, w3, w2;
    final Act g;

    SwiGlu(Params.Scope p, Config c) {
        w1 = p.randn("w1.weight", 0.02, c.hidden(), c.dim());
        w3 = p.randn("w3.weight", 0.02, c.hidden(), c.dim());
        w2 = p.randn("w2.weight", 0.02 / Math.sqrt(2.0 * c.nLayers()), c.dim(), c.hidden());
        g = c.gate();
    }

    @Override public Var forward(Var x) {
        Var gate = F.act(g, F.linear(x, w1));            // (N, d)
        Var value = F.linear(x, w3);                     // (N, d)
        return F.linear(F.mul(gate, value), w2);         // (N, C)
    }
}
