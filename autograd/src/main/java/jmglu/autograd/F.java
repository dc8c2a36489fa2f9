package jmglu.autograd;

import jmglu.autograd.ops.Activation;
import jmglu.autograd.ops.Add;
import jmglu.autograd.ops.Attention;
import jmglu.autograd.ops.CrossEntropy;
import jmglu.autograd.ops.Embedding;
import jmglu.autograd.ops.Linear;
import jmglu.autograd.ops.Matmul;
import jmglu.autograd.ops.Mean;
import jmglu.autograd.ops.Mglu;
import jmglu.autograd.ops.MgluTopK;
import jmglu.autograd.ops.Mul;
import jmglu.autograd.ops.RepeatKv;
import jmglu.autograd.ops.Reshape;
import jmglu.autograd.ops.RmsNorm;
import jmglu.autograd.ops.Rope;
import jmglu.autograd.ops.Scale;
import jmglu.autograd.ops.Softmax;
import jmglu.autograd.ops.Sum;
import jmglu.engine.Act;
import jmglu.engine.Kernels;

/**
 * The differentiable ops over one set of {@link Kernels}, one line each (like torch.nn.functional,
 * but bound to the kernels it was made with: there is no global backend). Every op is a small
 * class in jmglu.autograd.ops with its forward and backward side by side, and its backward runs
 * on the same kernels as its forward. Shapes are checked; a mismatch throws one
 * IllegalArgumentException naming the op and the shapes. SwiGLU and the GELU MLP are
 * compositions: mul(act(g, linear(x, wg)), linear(x, wv)).
 */
public final class F {
    private final Kernels k;

    public F(Kernels kernels) {
        if (kernels == null) throw new IllegalArgumentException("F: kernels are null");
        this.k = kernels;
    }

    /** The kernels these ops run on. */
    public Kernels kernels() { return k; }

    /** y (N, out) = x (N, in) · wᵀ, w (out, in) like nn.Linear without bias; x may be (…, in). */
    public Var linear(Var x, Var w) { return Linear.apply(k, x, w); }

    /** (M, K) · (K, N) → (M, N). */
    public Var matmul(Var a, Var b) { return Matmul.apply(k, a, b); }

    /** a + b, same shape. */
    public Var add(Var a, Var b) { return Add.apply(k, a, b); }

    /** a ⊙ b, same shape. */
    public Var mul(Var a, Var b) { return Mul.apply(k, a, b); }

    /** s · a. */
    public Var scale(Var a, float s) { return Scale.apply(k, a, s); }

    /** g(x) elementwise: SiLU, GELU (tanh form) or ReLU. */
    public Var act(Act g, Var x) { return Activation.apply(k, g, x); }

    /** RMSNorm over the last dimension: x (N, C), w (C): x / √(mean(x²) + eps) ⊙ w. */
    public Var rmsnorm(Var x, Var w, float eps) { return RmsNorm.apply(k, x, w, eps); }

    /** Rotary embedding on x (B, T, nH, hd), positions 0..T−1: pairs and angles as rope says (interleaved or halves). */
    public Var rope(Var x, jmglu.engine.Rope rope) { return Rope.apply(k, x, rope); }

    /**
     * Grouped-query attention's shared keys/values: x (B, T, nKv, hd) → (B, T, nKv·group, hd), head j a copy of
     * head j / group; the backward sums each group. group = 1 returns x.
     */
    public Var repeatKv(Var x, int group) { return RepeatKv.apply(k, x, group); }

    /** Causal self-attention, q, k, v (B, T, nH, hd) → (B, T, nH, hd). */
    public Var attention(Var q, Var key, Var v) { return Attention.apply(k, q, key, v); }

    /** Rows of table (V, C) → (ids.length, C). */
    public Var embedding(Var table, int[] ids) { return Embedding.apply(k, table, ids); }

    /** Mean softmax cross-entropy of logits (N, V) (or (…, V)) against targets (N) → (1). */
    public Var crossEntropy(Var logits, int[] targets) { return CrossEntropy.apply(k, logits, targets); }

    /** A view with a new shape of the same size (one dimension may be -1). */
    public Var reshape(Var x, int... shape) { return Reshape.apply(k, x, shape); }

    /** Σ x → (1). */
    public Var sum(Var x) { return Sum.apply(k, x); }

    /** mean x → (1). */
    public Var mean(Var x) { return Mean.apply(k, x); }

    /** Row-wise softmax over the last dimension (an addition to the contract; Top-K tests compose with it). */
    public Var softmax(Var x) { return Softmax.apply(k, x); }

    /**
     * MGLU: x (N, h), w (d, h), maskLogits (nm, d, h) → y (N, d) = Σ_i g(s_i) ⊙ (t − s_i),
     * t = x wᵀ, s_i = x (M_i⊙w)ᵀ, hard masks M_i = 1[L_i &gt; 0], straight-through dL_i = dM_i.
     */
    public Var mglu(Var x, Var w, Var maskLogits, Act g) { return Mglu.apply(k, x, w, maskLogits, g); }

    /**
     * Top-K routed MGLU: r = x routerᵀ (N, nm), router (nm, h); keep the k largest per row, softmax
     * over them → G; y = Σ_{i∈topK} G_i · g(s_i) ⊙ (t − s_i).
     */
    public Var mgluTopK(Var x, Var w, Var maskLogits, Var router, int topK, Act g) {
        return MgluTopK.apply(k, x, w, maskLogits, router, topK, g);
    }
}
