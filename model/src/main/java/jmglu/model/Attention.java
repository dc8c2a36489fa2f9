package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Backend;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;

/**
 * Causal self-attention with rotary position embeddings (RoPE), no biases:
 * q, k, v = x Wqᵀ, x Wkᵀ, x Wvᵀ; q, k rotated by position ({@link Rope}: interleaved or halves pairs,
 * scaled frequencies); y = softmax(q kᵀ/√hd + causal) v; out = y Woᵀ. nH query heads of size hd
 * (nH·hd = qDim, which may differ from C), nKv key/value heads (grouped-query attention when
 * nKv &lt; nH): query head j reads key/value head j / (nH / nKv).
 */
public final class Attention {
    final Var wq, wk, wv, wo;    // (qDim, C), (kvDim, C), (kvDim, C), (C, qDim): nn.Linear layout (out, in)
    final int nH, nKv, hd;
    final Rope rope;

    Attention(Params.Scope p, Config c) {
        int C = c.dim(), kv = c.kvDim(), dq = c.qDim();
        double std = 0.02, resid = 0.02 / Math.sqrt(2.0 * c.nLayers());  // GPT-2: residual projections scaled down
        wq = p.randn("wq.weight", std, dq, C);
        wk = p.randn("wk.weight", std, kv, C);
        wv = p.randn("wv.weight", std, kv, C);
        wo = p.randn("wo.weight", resid, C, dq);
        nH = c.nHeads();
        nKv = c.nKvHeads();
        hd = c.headDim();
        rope = c.rope();
    }

    /** Training: x (B·T, C) → (B·T, C). */
    Var forward(F f, Var x, int B, int T) {
        Var q = f.rope(f.reshape(f.linear(x, wq), B, T, nH, hd), rope);     // (B, T, nH, hd)
        Var k = f.rope(f.reshape(f.linear(x, wk), B, T, nKv, hd), rope);    // (B, T, nKv, hd)
        Var v = f.reshape(f.linear(x, wv), B, T, nKv, hd);                  // (B, T, nKv, hd)
        k = f.repeatKv(k, nH / nKv);                                        // (B, T, nH, hd): head j = kv head j / (nH/nKv)
        v = f.repeatKv(v, nH / nKv);
        Var y = f.reshape(f.attention(q, k, v), B * T, nH * hd);            // (B·T, qDim)
        return f.linear(y, wo);                                             // (B·T, C)
    }

    /**
     * One decode step: a.x (N, C) += attention of a.n (N, C) over this layer's caches kc, vc, each row at its
     * position (r: one sequence per row, or a prefill's consecutive positions of one sequence, causal).
     */
    void decode(Backend be, DecodeState.Acts a, Tensor kc, Tensor vc, DecodeState.Rows r, RmsNorm next) {
        // q, k, v = n Wqᵀ, n Wkᵀ, n Wvᵀ; RoPE on q, k; k, v → cache; att = softmax(q Kᵀ/√hd) V   (N, qDim)
        if (r.pos() != null) be.attention(a.att(), a.n(), wq.value(), wk.value(), wv.value(), a.q(), a.k(), a.v(), kc, vc, r.pos(), nH, nKv, hd, rope);
        else be.prefillAttention(a.att(), a.n(), wq.value(), wk.value(), wv.value(), a.q(), a.k(), a.v(), kc, vc, r.row(), r.p0(), nH, nKv, hd, rope);
        next.decodeAfter(be, a.x(), a.att(), wo.value(), a.n());            // x += att Woᵀ; n = next(x)
    }
}
