package jmglu.model;

import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Backend;
import jmglu.engine.Tensor;

/** RMSNorm (Zhang &amp; Sennrich 2019): y = x / √(mean(x²) + eps) ⊙ weight, over the last dimension C. */
public final class RmsNorm {
    final Var weight;    // (C), initialised to ones
    final float eps;

    RmsNorm(Params.Scope p, int C, float eps) {
        this.weight = p.ones("weight", C);
        this.eps = eps;
    }

    /** x (N, C) → (N, C). */
    Var forward(F f, Var x) { return f.rmsnorm(x, weight, eps); }

    /** out (B, C) = norm(x (B, C)). */
    void decode(Backend be, Tensor out, Tensor x) { be.rmsnorm(out, x, weight.value(), eps); }

    /** y (B, C) += x · Wᵀ, then n (B, C) = norm(y): a residual projection and this norm as one op ({@link Backend#linearRmsnorm}). */
    void decodeAfter(Backend be, Tensor y, Tensor x, Tensor w, Tensor n) { be.linearRmsnorm(y, x, w, true, n, weight.value(), eps); }

    /** out (B, C) = table[ids], then n (B, C) = norm(out) ({@link Backend#embeddingRmsnorm}). */
    void decodeEmbedding(Backend be, Tensor out, Tensor table, int[] ids, Tensor n) { be.embeddingRmsnorm(out, table, ids, n, weight.value(), eps); }

    /** The same with the ids in a (B) I32 tensor on the backend (a pipelined step). */
    void decodeEmbedding(Backend be, Tensor out, Tensor table, Tensor ids, Tensor n) { be.embeddingRmsnorm(out, table, ids, n, weight.value(), eps); }
}
