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
import jmglu.autograd.ops.Reshape;
import jmglu.autograd.ops.RmsNorm;
import jmglu.autograd.ops.Rope;
import jmglu.autograd.ops.Scale;
import jmglu.autograd.ops.Softmax;
import jmglu.autograd.ops.Sum;
import jmglu.engine.Act;

/**
 * The differentiable ops, one line each: every op is a small class in jmglu.autograd.ops with
 * its forward and backward side by side. Shapes are checked; a mismatch throws one
 * IllegalArgumentException naming the op and the shapes. SwiGLU and the GELU MLP are
 * compositions: mul(act(g, linear(x, wg)), linear(x, wv)).
 */
public final class F {
    private F() {}

    /** y (N, out) = x (N, in) · wᵀ, w (out, in) like nn.Linear without bias; x may be (…, in). */
    public static Var linear(Var x, Var w) { return Linear.apply(x, w); }

    /** (M, K) · (K, N) → (M, N). */
    public static Var matmul(Var a, Var b) { return Matmul.apply(a, b); }

    /** a + b, same shape. */
    public static Var add(Var a, Var b) { return Add.apply(a, b); }

    /** a ⊙ b, same shape. */
    public static Var mul(Var a, Var b) { return Mul.apply(a, b); }

    /** s · a. */
    public static Var scale(Var a, float s) { return Scale.apply(a, s); }

    /** g(x) elementwise: SiLU, GELU (tanh form) or ReLU. */
    public static Var act(Act g, Var x) { return Activation.apply(g, x); }

    /** RMSNorm over the last dimension: x (N, C), w (C): x / √(mean(x²) + eps) ⊙ w. */
    public static Var rmsnorm(Var x, Var w, float eps) { return RmsNorm.apply(x, w, eps); }

    /** Rotary embedding on x (B, T, nH, hd), positions 0..T−1, interleaved pairs. */
    public static Var rope(Var x, float theta) { return Rope.apply(x, theta); }

    /** Causal self-attention, q, k, v (B, T, nH, hd) → (B, T, nH, hd). */
    public static Var attention(Var q, Var k, Var v) { return Attention.apply(q, k, v); }

    /** Rows of table (V, C) → (ids.length, C). */
    public static Var embedding(Var table, int[] ids) { return Embedding.apply(table, ids); }

    /** Mean softmax cross-entropy of logits (N, V) (or (…, V)) against targets (N) → (1). */
    public static Var crossEntropy(Var logits, int[] targets) { return CrossEntropy.apply(logits, targets); }

    /** A view with a new shape of the same size (one dimension may be -1). */
    public static Var reshape(Var x, int... shape) { return Reshape.apply(x, shape); }

    /** Σ x → (1). */
    public static Var sum(Var x) { return Sum.apply(x); }

    /** mean x → (1). */
    public static Var mean(Var x) { return Mean.apply(x); }

    /** Row-wise softmax over the last dimension (an addition to the contract; Top-K tests compose with it). */
    public static Var softmax(Var x) { return Softmax.apply(x); }

    /**
     * MGLU: x (N, h), w (d, h), maskLogits (nm, d, h) → y (N, d) = Σ_i g(s_i) ⊙ (t − s_i),
     * t = x wᵀ, s_i = x (M_i⊙w)ᵀ, hard masks M_i = 1[L_i &gt; 0], straight-through dL_i = dM_i.
     */
    public static Var mglu(Var x, Var w, Var maskLogits, Act g) { return Mglu.apply(x, w, maskLogits, g); }

    /**
     * Top-K routed MGLU: r = x routerᵀ (N, nm), router (nm, h); keep the k largest per row, softmax
     * over them → G; y = Σ_{i∈topK} G_i · g(s_i) ⊙ (t − s_i).
     */
    public static Var mgluTopK(Var x, Var w, Var maskLogits, Var router, int k, Act g) {
        return MgluTopK.apply(x, w, maskLogits, router, k, g);
    }
}
