package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Backend;
import jmglu.engine.Tensor;

/**
 * A feed-forward layer: x (N, C) → (N, C). Implementations: {@link Mlp}, {@link SwiGlu},
 * {@link Mglu}, chosen by {@link Config.FfnKind}. Each has the training forward (autograd) and the
 * decode step (x += ffn(n) on a backend) side by side.
 */
public sealed interface Ffn permits Mlp, SwiGlu, Mglu {
    Var forward(F f, Var x);

    /** x (B, C) += ffn(n (B, C)), then n = next(x) (the norm of the sublayer after it); h (B, d) is scratch. */
    void decode(Backend be, Tensor x, Tensor n, Tensor h, RmsNorm next);

    static Ffn create(Params.Scope p, Config c) {
        return switch (c.ffn()) {
            case GELU -> new Mlp(p, c);
            case GLU -> new SwiGlu(p, c);
            case MGLU -> new Mglu(p, c);
        };
    }
}
