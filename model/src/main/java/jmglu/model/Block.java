package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Backend;
import jmglu.engine.Tensor;

/** A pre-norm transformer block: x += attn(norm(x)); x += ffn(norm(x)). */
public final class Block {
    final RmsNorm attnNorm, ffnNorm;
    final Attention attn;
    final Ffn ffn;

    Block(Params.Scope p, Config c) {
        attnNorm = new RmsNorm(p.scope("attn_norm."), c.dim(), c.normEps());
        attn = new Attention(p.scope("attn."), c);
        ffnNorm = new RmsNorm(p.scope("ffn_norm."), c.dim(), c.normEps());
        ffn = Ffn.create(p.scope("ffn."), c);
    }

    /** Training: x (B·T, C) → (B·T, C). */
    Var forward(F f, Var x, int B, int T) {
        x = f.add(x, attn.forward(f, attnNorm.forward(f, x), B, T));   // (B·T, C)
        return f.add(x, ffn.forward(f, ffnNorm.forward(f, x)));        // (B·T, C)
    }

    /**
     * One decode (or prefill) step on a.x (N, C), in place; its rows sit in the caches kc, vc as r says.
     * On entry a.n holds attnNorm(a.x) (made by the op before: the embedding or the previous block); on exit
     * it holds next(a.x), the norm of whatever comes after (the next block's attnNorm, or the final norm):
     * each norm rides on the residual projection before it (Backend#linearRmsnorm).
     */
    void decode(Backend be, DecodeState.Acts a, Tensor kc, Tensor vc, DecodeState.Rows r, RmsNorm next) {
        attn.decode(be, a, kc, vc, r, ffnNorm);                         // x += attn(n); n = ffnNorm(x)
        ffn.decode(be, a.x(), a.n(), a.h(), next);                      // x += ffn(n); n = next(x)
    }

    /** The norm a.n must hold when {@link #decode} starts. */
    RmsNorm firstNorm() { return attnNorm; }
}
