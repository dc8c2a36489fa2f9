package jmglu.model;

import jmglu.autograd.Var;

/** A feed-forward layer: x (N, C) → (N, C). Implementations: {@link Mlp}, {@link SwiGlu}, {@link Mglu}. */
public interface Ffn {
    Var forward(Var x);

    static Ffn create(Params.Scope p, Config c) {
        return switch (c.ffn()) {
            case "gelu" -> new Mlp(p, c);
            case "swiglu" -> new SwiGlu(p, c);
            default -> new Mglu(p, c);
        };
    }
}
