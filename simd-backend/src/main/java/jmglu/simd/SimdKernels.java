package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jmglu.engine.Act;
import jmglu.engine.Kernels;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Rope;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.WeightMatrix;

/**
 * The Kernels contract on the Java Vector API (FloatVector.SPECIES_PREFERRED: 16 float lanes on
 * AVX-512), multi-threaded over rows. Each family lives in its own class; this one dispatches.
 * Vectorised here: the three GEMMs, GEMV, FlashMGLU and the MGLU scores, element-wise maps,
 * reductions, softmax, RMSNorm, attention (forward, backward, decode step) and AdamW. The plain
 * reference runs, on purpose and op by op below, rope, embedding and cross-entropy (with their
 * backwards): they are memory-bound or off the hot path.
 *
 * <p>Settings ({@link SimdSettings}: threads, tile choices) are fixed at construction. Results are
 * reproducible bit for bit: every float sum is in a fixed order ({@link Lanes}, {@link VecAct}),
 * so interpreted and JIT-compiled code agree, and no sum is split across threads ({@link Parallel}).
 * Weights and masks are read from their segments where they are: heap, off-heap or a mapped file
 * ({@link Storage}); over segments of a confined arena the kernels stay on the calling thread.
 */
public final class SimdKernels implements Kernels {
    private final SimdSettings settings;
    private final ReferenceKernels reference = new ReferenceKernels();
    final Parallel par;
    final SimdGemv gemv;
    private final SimdMatmul matmul;
    private final SimdRows rows;
    private final SimdAttention attention;
    final SimdFlashMglu flash;

    public SimdKernels(SimdSettings settings) {
        this.settings = settings;
        this.par = new Parallel(settings.threads());
        this.gemv = new SimdGemv(par);
        this.matmul = new SimdMatmul(par);
        this.rows = new SimdRows(par);
        this.attention = new SimdAttention(par);
        this.flash = new SimdFlashMglu(settings, par);
    }

    /** With {@link SimdSettings#defaults()}. */
    public SimdKernels() { this(SimdSettings.defaults()); }

    public SimdSettings settings() { return settings; }

    /** "simd (N threads, L float lanes)". */
    public String describe() { return "simd (" + settings.threads() + " threads, " + FloatVector.SPECIES_PREFERRED.length() + " float lanes)"; }

    @Override public String name() { return "simd"; }

    // ---------------------------------------------------------------- matmul
    @Override public void matmul(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        matmul.gemm("matmul", c, co, a, ao, K, 1, b, bo, N, 1, M, K, N, acc);
    }

    @Override public void matmulTransB(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        matmul.gemm("matmulTransB", c, co, a, ao, K, 1, b, bo, 1, K, M, K, N, acc);
    }

    @Override public void matmulTransA(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        matmul.gemm("matmulTransA", c, co, a, ao, 1, M, b, bo, N, 1, M, K, N, acc);
    }

    @Override public void gemv(float[] y, float[] x, WeightMatrix w, int B) { gemv.gemv(y, x, w, B); }

    // ---------------------------------------------------------------- elementwise
    @Override public void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) { SimdElementwise.add(out, oo, a, ao, b, bo, n); }

    @Override public void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) { SimdElementwise.mul(out, oo, a, ao, b, bo, n); }

    @Override public void mulAcc(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) { SimdElementwise.mulAcc(out, oo, a, ao, b, bo, n); }

    @Override public void scale(float[] out, int oo, float[] a, int ao, float s, int n) { SimdElementwise.scale(out, oo, a, ao, s, n); }

    @Override public void addScaled(float[] out, int oo, float[] a, int ao, float s, int n) { SimdElementwise.addScaled(out, oo, a, ao, s, n); }

    @Override public void act(Act g, float[] out, int oo, float[] x, int xo, int n) { SimdElementwise.act(g, out, oo, x, xo, n); }

    @Override public void actBackward(Act g, float[] dx, int dxo, float[] x, int xo, float[] dy, int dyo, int n) {
        SimdElementwise.actBackward(g, dx, dxo, x, xo, dy, dyo, n);
    }

    // ---------------------------------------------------------------- reductions
    @Override public double sum(float[] x, int xo, int n) { return SimdElementwise.sum(x, xo, n); }

    @Override public double dot(float[] a, int ao, float[] b, int bo, int n) { return SimdElementwise.dot(a, ao, b, bo, n); }

    @Override public double sumSquares(float[] x, int xo, int n) { return SimdElementwise.dot(x, xo, x, xo, n); }

    // ---------------------------------------------------------------- rows: softmax, norms
    @Override public void softmax(float[] out, int oo, float[] x, int xo, int rows, int cols) { this.rows.softmax(out, oo, x, xo, rows, cols); }

    @Override public void softmaxBackward(float[] dx, int dxo, float[] y, int yo, float[] dy, int dyo, int rows, int cols) {
        this.rows.softmaxBackward(dx, dxo, y, yo, dy, dyo, rows, cols);
    }

    @Override public void rmsnorm(float[] out, int oo, float[] rstd, int ro, float[] x, int xo, float[] w, int wo, int rows, int C, float eps) {
        this.rows.rmsnorm(out, oo, rstd, ro, x, xo, w, wo, rows, C, eps);
    }

    @Override public void rmsnormBackward(float[] dx, int dxo, float[] dw, int dwo, float[] dy, int dyo, float[] x, int xo,
                                          float[] w, int wo, float[] rstd, int ro, int rows, int C) {
        this.rows.rmsnormBackward(dx, dxo, dw, dwo, dy, dyo, x, xo, w, wo, rstd, ro, rows, C);
    }

    // ---------------------------------------------------------------- positions, tokens, loss: the reference on purpose
    /** The reference: a few sin/cos per pair, memory-bound on (B, T, C). */
    @Override public void rope(float[] out, int oo, float[] x, int xo, int B, int T, int nH, int hd, int pos0, Rope rope) {
        reference.rope(out, oo, x, xo, B, T, nH, hd, pos0, rope);
    }

    /** The reference: as {@link #rope}. */
    @Override public void ropeBackward(float[] dx, int dxo, float[] dy, int dyo, int B, int T, int nH, int hd, int pos0, Rope rope) {
        reference.ropeBackward(dx, dxo, dy, dyo, B, T, nH, hd, pos0, rope);
    }

    /** The reference: row copies (System.arraycopy), nothing to vectorise. */
    @Override public void embedding(float[] out, int oo, float[] table, int to, int[] ids, int n, int C) {
        reference.embedding(out, oo, table, to, ids, n, C);
    }

    /** The reference: a scatter-add of n rows, off the hot path. */
    @Override public void embeddingBackward(float[] dtable, int dto, float[] dy, int dyo, int[] ids, int n, int C) {
        reference.embeddingBackward(dtable, dto, dy, dyo, ids, n, C);
    }

    /** The reference: once per step over (rows, V), dominated by the matmul that makes the logits. */
    @Override public double crossEntropy(float[] probs, float[] logits, int lo, int[] targets, int rows, int V) {
        return reference.crossEntropy(probs, logits, lo, targets, rows, V);
    }

    /** The reference: one pass over (rows, V), off the hot path. */
    @Override public void crossEntropyBackward(float[] dlogits, int dlo, float[] probs, int[] targets, int rows, int V, float dloss) {
        reference.crossEntropyBackward(dlogits, dlo, probs, targets, rows, V, dloss);
    }

    // ---------------------------------------------------------------- attention
    @Override public void attention(float[] out, float[] att, float[] q, float[] k, float[] v, int B, int T, int nH, int hd) {
        attention.forward(out, att, q, k, v, B, T, nH, hd);
    }

    @Override public void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] q, float[] k, float[] v,
                                            float[] att, int B, int T, int nH, int hd) {
        attention.backward(dq, dk, dv, datt, dout, q, k, v, att, B, T, nH, hd);
    }

    @Override public void attentionStep(float[] out, float[] q, float[] kCache, float[] vCache, int len, int nH, int hd, float[] scratch) {
        attention.step(out, q, kCache, vCache, len, nH, hd, scratch);
    }

    // ---------------------------------------------------------------- MGLU
    @Override public void mgluScores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) { flash.scores(t, s, x, w, m, B); }

    @Override public void flashMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) { flash.flash(y, x, w, m, B, g); }

    // ---------------------------------------------------------------- optimizer
    @Override public void adamw(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2, float eps, float wd, int step) {
        SimdElementwise.adamw(p, g, m, v, n, lr, beta1, beta2, eps, wd, step);
    }
}
