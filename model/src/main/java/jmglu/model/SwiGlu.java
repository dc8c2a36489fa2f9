package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Tensor;

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
        g = c.act();
    }

    @Override public Var forward(F f, Var x) {
        Var gate = f.act(g, f.linear(x, w1));            // (N, d)
        Var value = f.linear(x, w3);                     // (N, d)
        return f.linear(f.mul(gate, value), w2);         // (N, C)
    }

    @Override public void decode(Backend be, Tensor x, Tensor n, Tensor h, RmsNorm next) {
        be.glu(h, n, w1.value(), w3.value(), g);         // (B, d), one pass over W1 and W3
        next.decodeAfter(be, x, h, w2.value(), n);       // x += h W2ᵀ; n = next(x)
    }
}
