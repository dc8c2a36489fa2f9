package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;

/**
 * Causal multi-head self-attention with rotary position embeddings (RoPE), no biases:
 * q, k, v = x Wqᵀ, x Wkᵀ, x Wvᵀ; q, k rotated by position; y = softmax(q kᵀ/√hd + causal) v;
 * out = y Woᵀ.
 */
public final class Attention {
    final Var wq, wk, wv, wo;    // (C, C) each, nn.Linear layout (out, in)
    final int nH, hd;
    final float theta;

    Attention(Params.Scope p, Config c) {
        int C = c.dim();
        double std = 0.02, resid = 0.02 / Math.sqrt(2.0 * c.nLayers());  // GPT-2: residual projections scaled down
        wq = p.randn("wq.weight", std, C, C);
        wk = p.randn("wk.weight", std, C, C);
        wv = p.randn("wv.weight", std, C, C);
        wo = p.randn("wo.weight", resid, C, C);
        nH = c.nHeads();
        hd = c.headDim();
        theta = c.ropeTheta();
    }

    /** x (B·T, C) → (B·T, C). */
    Var forward(Var x, int B, int T) {
        int C = nH * hd;
        Var q = F.rope(F.reshape(F.linear(x, wq), B, T, nH, hd), theta);    // (B, T, nH, hd)
        Var k = F.rope(F.reshape(F.linear(x, wk), B, T, nH, hd), theta);    // (B, T, nH, hd)
        Var v = F.reshape(F.linear(x, wv), B, T, nH, hd);                   // (B, T, nH, hd)
        Var y = F.reshape(F.attention(q, k, v), B * T, C);                  // (B·T, C)
        return F.linear(y, wo);                                             // (B·T, C)
    }
}
