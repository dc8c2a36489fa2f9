package jmglu.simd;

import jmglu.engine.Act;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.WeightMatrix;

/**
 * The Kernels contract on the Java Vector API (FloatVector.SPECIES_PREFERRED: 16 float lanes on
 * AVX-512), multi-threaded over rows. Each family lives in its own class; this one dispatches.
 * Vectorised here: the three GEMMs, GEMV, FlashMGLU and the MGLU scores, element-wise maps,
 * reductions, softmax, RMSNorm, attention (forward, backward, decode step) and AdamW.
 * Inherited from {@link ReferenceKernels} (plain loops, memory-bound or off the hot path):
 * rope, embedding (row copies) and cross-entropy.
 */
public final class SimdKernels extends ReferenceKernels {

    @Override public String name() { return "simd"; }

    @Override public void matmul(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        SimdMatmul.gemm("matmul", c, co, a, ao, K, 1, b, bo, N, 1, M, K, N, acc);
    }

    @Override public void matmulTransB(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        SimdMatmul.gemm("matmulTransB", c, co, a, ao, K, 1, b, bo, 1, K, M, K, N, acc);
    }

    @Override public void matmulTransA(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        SimdMatmul.gemm("matmulTransA", c, co, a, ao, 1, M, b, bo, N, 1, M, K, N, acc);
    }

    @Override public void gemv(float[] y, float[] x, WeightMatrix w, int B) { SimdGemv.gemv(y, x, w, B); }

    @Override public void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) { SimdElementwise.add(out, oo, a, ao, b, bo, n); }

    @Override public void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) { SimdElementwise.mul(out, oo, a, ao, b, bo, n); }

    @Override public void mulAcc(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) { SimdElementwise.mulAcc(out, oo, a, ao, b, bo, n); }

    @Override public void scale(float[] out, int oo, float[] a, int ao, float s, int n) { SimdElementwise.scale(out, oo, a, ao, s, n); }

    @Override public void addScaled(float[] out, int oo, float[] a, int ao, float s, int n) { SimdElementwise.addScaled(out, oo, a, ao, s, n); }

    @Override public void act(Act g, float[] out, int oo, float[] x, int xo, int n) { SimdElementwise.act(g, out, oo, x, xo, n); }

    @Override public void actBackward(Act g, float[] dx, int dxo, float[] x, int xo, float[] dy, int dyo, int n) {
        SimdElementwise.actBackward(g, dx, dxo, x, xo, dy, dyo, n);
    }

    @Override public double sum(float[] x, int xo, int n) { return SimdElementwise.sum(x, xo, n); }

    @Override public double dot(float[] a, int ao, float[] b, int bo, int n) { return SimdElementwise.dot(a, ao, b, bo, n); }

    @Override public void softmax(float[] out, int oo, float[] x, int xo, int rows, int cols) { SimdRows.softmax(out, oo, x, xo, rows, cols); }

    @Override public void softmaxBackward(float[] dx, int dxo, float[] y, int yo, float[] dy, int dyo, int rows, int cols) {
        SimdRows.softmaxBackward(dx, dxo, y, yo, dy, dyo, rows, cols);
    }

    @Override public void rmsnorm(float[] out, int oo, float[] rstd, int ro, float[] x, int xo, float[] w, int wo, int rows, int C, float eps) {
        SimdRows.rmsnorm(out, oo, rstd, ro, x, xo, w, wo, rows, C, eps);
    }

    @Override public void rmsnormBackward(float[] dx, int dxo, float[] dw, int dwo, float[] dy, int dyo, float[] x, int xo,
                                          float[] w, int wo, float[] rstd, int ro, int rows, int C) {
        SimdRows.rmsnormBackward(dx, dxo, dw, dwo, dy, dyo, x, xo, w, wo, rstd, ro, rows, C);
    }

    @Override public void attention(float[] out, float[] att, float[] q, float[] k, float[] v, int B, int T, int nH, int hd) {
        SimdAttention.forward(out, att, q, k, v, B, T, nH, hd);
    }

    @Override public void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] q, float[] k, float[] v,
                                            float[] att, int B, int T, int nH, int hd) {
        SimdAttention.backward(dq, dk, dv, datt, dout, q, k, v, att, B, T, nH, hd);
    }

    @Override public void attentionStep(float[] out, float[] q, float[] kCache, float[] vCache, int len, int nH, int hd, float[] scratch) {
        SimdAttention.step(out, q, kCache, vCache, len, nH, hd, scratch);
    }

    @Override public void mgluScores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) { SimdFlashMglu.scores(t, s, x, w, m, B); }

    @Override public void flashMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) { SimdFlashMglu.flash(y, x, w, m, B, g); }

    @Override public void adamw(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2, float eps, float wd, int step) {
        SimdElementwise.adamw(p, g, m, v, n, lr, beta1, beta2, eps, wd, step);
    }
}
