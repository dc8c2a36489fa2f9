package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Tensor;

/** The GPT-2 feed-forward: out = GELU(x W1ᵀ) W2ᵀ (tanh GELU, no biases). W1 (d, C), W2 (C, d). */
public final class Mlp implements Ffn {
    final Var w1, w2;

    Mlp(Params.Scope p, Config c) {
        w1 = p.randn("w1.weight", 0.02, c.hidden(), c.dim());
        w2 = p.randn("w2.weight", 0.02 / Math.sqrt(2.0 * c.nLayers()), c.dim(), c.hidden());
    }

    @Override public Var forward(F f, Var x) {
        Var hid = f.act(Act.GELU, f.linear(x, w1));     // (N, d)
        return f.linear(hid, w2);                        // (N, C)
    }

    @Override public void decode(Backend be, Tensor x, Tensor n, Tensor h, RmsNorm next) {
        be.linear(h, n, w1.value(), false);             // (B, d)
        be.act(Act.GELU, h);
        next.decodeAfter(be, x, h, w2.value(), n);       // x += h W2ᵀ; n = next(x)
    }
}
