package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;

/** The GPT-2 feed-forward: out = GELU(x W1ᵀ) W2ᵀ (tanh GELU, no biases). W1 (d, C), W2 (C, d). */
public final class Mlp implements Ffn {
    final Var w1, w2;

    Mlp(Params.Scope p, Config c) {
        w1 = p.randn("w1.weight", 0.02, c.hidden(), c.dim());
        w2 = p.randn("w2.weight", 0.02 / Math.sqrt(2.0 * c.nLayers()), c.dim(), c.hidden());
    }

    @Override public Var forward(Var x) {
        Var hid = F.act(Act.GELU, F.linear(x, w1));     // (N, d)
        return F.linear(hid, w2);                        // (N, C)
    }
}
