package jmglu.engine;

/**
 * The primitive operations the model needs. {@link ReferenceKernels} implements them with plain
 * loops and is the ground truth; backends (SIMD, OpenCL) implement the same contract faster and
 * are tested against it.
 *
 * <p>Conventions (llm.c style): arguments are plain arrays with an offset and int sizes, the
 * output first. All matrices are row-major. "acc" means the kernel adds into the output
 * ({@code +=}) instead of overwriting it; every backward accumulates into its gradients.
 * Kernels validate only what is cheap (O(1) per call): {@link ReferenceKernels} checks every size
 * and (array, offset, length) region through {@link KernelArgs} and throws one
 * IllegalArgumentException naming the op; Tensor and autograd check shapes before calling.
 */
public interface Kernels {

    /** Short name: reference, simd. */
    String name();

    // ---------------------------------------------------------------- matmul
    /** C (M,N) [+]= A (M,K) · B (K,N). */
    void matmul(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc);

    /** C (M,N) [+]= A (M,K) · Bᵀ, B stored (N,K): the Linear forward y = x Wᵀ, and dx = dy W uses {@link #matmul}. */
    void matmulTransB(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc);

    /** C (M,N) [+]= Aᵀ · B, A stored (K,M): the weight gradient dW = dyᵀ x. */
    void matmulTransA(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc);

    /** Decode GEMV on stored weights: y (B, d) = x (B, h) · Wᵀ, W (d, h) in F32/BF16/F16. */
    void gemv(float[] y, float[] x, WeightMatrix w, int B);

    // ---------------------------------------------------------------- elementwise
    /** out = a + b. */
    void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n);

    /** out = a ⊙ b. */
    void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n);

    /** out += a ⊙ b (the backward of mul). */
    void mulAcc(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n);

    /** out = s · a. */
    void scale(float[] out, int oo, float[] a, int ao, float s, int n);

    /** out += s · a (axpy). */
    void addScaled(float[] out, int oo, float[] a, int ao, float s, int n);

    /** out = g(x). */
    void act(Act g, float[] out, int oo, float[] x, int xo, int n);

    /** dx += g'(x) ⊙ dy. */
    void actBackward(Act g, float[] dx, int dxo, float[] x, int xo, float[] dy, int dyo, int n);

    // ---------------------------------------------------------------- reductions
    /** Σ x (accumulated in float64). */
    double sum(float[] x, int xo, int n);

    /** Σ a ⊙ b (accumulated in float64). */
    double dot(float[] a, int ao, float[] b, int bo, int n);

    /** Σ x² (accumulated in float64): gradient-norm clipping. */
    default double sumSquares(float[] x, int xo, int n) { return dot(x, xo, x, xo, n); }

    // ---------------------------------------------------------------- rows: softmax, norms
    /** Row-wise softmax over (rows, cols), max-subtracted. */
    void softmax(float[] out, int oo, float[] x, int xo, int rows, int cols);

    /** dx += y ⊙ (dy − Σ_j dy_j y_j), row by row, y the softmax output. */
    void softmaxBackward(float[] dx, int dxo, float[] y, int yo, float[] dy, int dyo, int rows, int cols);

    /** RMSNorm over rows of width C: rstd[r] = 1/√(mean(x²) + eps), out = x · rstd · w. */
    void rmsnorm(float[] out, int oo, float[] rstd, int ro, float[] x, int xo, float[] w, int wo, int rows, int C, float eps);

    /**
     * Backward of RMSNorm with the saved rstd. With x̂ = x·rstd:
     * dw += Σ_rows dy ⊙ x̂;  dx += rstd · (dy⊙w − x̂ · mean(dy⊙w⊙x̂)).
     */
    void rmsnormBackward(float[] dx, int dxo, float[] dw, int dwo, float[] dy, int dyo, float[] x, int xo,
                         float[] w, int wo, float[] rstd, int ro, int rows, int C);

    // ---------------------------------------------------------------- positions, tokens, loss
    /**
     * Rotary position embedding on x (B, T, nH, hd): for position p = pos0 + t and pair j of every head,
     * θ_j = p · invFreq[j] ({@link Rope#invFreq}), (x_a, x_b) ↦ (x_a cosθ − x_b sinθ, x_a sinθ + x_b cosθ)
     * with (a, b) = (2j, 2j+1) for interleaved pairs or (j, j + hd/2) for halves ({@link Rope}).
     * out may be x (in place). hd must be even.
     */
    void rope(float[] out, int oo, float[] x, int xo, int B, int T, int nH, int hd, int pos0, Rope rope);

    /** dx += Rᵀ dy (rotation by −θ). */
    void ropeBackward(float[] dx, int dxo, float[] dy, int dyo, int B, int T, int nH, int hd, int pos0, Rope rope);

    /** out (n, C) = table[ids[i]] rows. */
    void embedding(float[] out, int oo, float[] table, int to, int[] ids, int n, int C);

    /** dtable[ids[i]] += dy[i] (scatter-add; repeated ids accumulate). */
    void embeddingBackward(float[] dtable, int dto, float[] dy, int dyo, int[] ids, int n, int C);

    /**
     * Softmax cross-entropy over logits (rows, V) against targets; writes the probabilities to
     * probs (rows, V) and returns the mean loss −(1/rows) Σ log p[target].
     */
    double crossEntropy(float[] probs, float[] logits, int lo, int[] targets, int rows, int V);

    /** dlogits += dloss/rows · (probs − onehot(target)). */
    void crossEntropyBackward(float[] dlogits, int dlo, float[] probs, int[] targets, int rows, int V, float dloss);

    // ---------------------------------------------------------------- attention
    /**
     * Causal self-attention, q/k/v/out (B, T, nH, hd) contiguous, att (B, nH, T, T) the saved
     * probabilities (entries above the diagonal are 0): out = softmax(q kᵀ / √hd + causal) v.
     */
    void attention(float[] out, float[] att, float[] q, float[] k, float[] v, int B, int T, int nH, int hd);

    /** Backward of {@link #attention}; accumulates into dq, dk, dv. datt is scratch (B, nH, T, T). */
    void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] q, float[] k, float[] v,
                           float[] att, int B, int T, int nH, int hd);

    /**
     * One decode step over a KV cache: q (nH, hd) at position len−1; caches (maxT, nH, hd) hold
     * positions 0..len−1. out (nH, hd); scratch needs len floats.
     */
    void attentionStep(float[] out, float[] q, float[] kCache, float[] vCache, int len, int nH, int hd, float[] scratch);

    // ---------------------------------------------------------------- MGLU
    /**
     * The MGLU pre-activations from packed masks, one pass over W (the training forward):
     * t (B, d) = x Wᵀ and s (nm, B, d) with s_i = x (M_i ⊙ W)ᵀ. x (B, h), W (d, h) in F32/BF16/F16.
     */
    void mgluScores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B);

    /**
     * FlashMGLU: y (B, d) = Σ_i g(s_i) ⊙ (t − s_i) with t, s_i as in {@link #mgluScores}, in one
     * pass over W and the bit-plane masks; W may be F32, BF16 or F16.
     */
    void flashMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g);

    // ---------------------------------------------------------------- optimizer
    /**
     * One AdamW step on n parameters (decoupled weight decay, bias-corrected moments; step ≥ 1):
     * m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²;  p −= lr·(m̂/(√v̂ + eps) + wd·p).
     */
    void adamw(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2, float eps, float wd, int step);
}
