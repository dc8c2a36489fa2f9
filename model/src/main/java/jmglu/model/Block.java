package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;

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

    /** x (B·T, C) → (B·T, C). */
    Var forward(Var x, int B, int T) {
        x = F.add(x, attn.forward(attnNorm.forward(x), B, T));   // (B·T, C)
        return F.add(x, ffn.forward(ffnNorm.forward(x)));        // (B·T, C)
    }
}
