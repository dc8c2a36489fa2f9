package jmglu.autograd.ops;

import jmglu.engine.Act;
import jmglu.engine.Kernels;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

import java.util.Arrays;

/**
 * The arithmetic shared by {@link Mglu} and {@link MgluTopK} (docs/DESIGN.md, "The math").
 *
 * <p>Forward, from t = x Wᵀ (N, d) and s_i = x (M_i⊙W)ᵀ (nm, N, d) (Kernels.mgluScores, one pass
 * over W and the bit-plane masks): route i contributes u_i = g(s_i) ⊙ (t − s_i), weighted per row
 * by G[b, i] in the Top-K variant (G = 1 for plain MGLU): y = Σ_i G_i · u_i.
 *
 * <p>Backward with the route's upstream dy_i = G_i · dy, a_i = g(s_i), v_i = t − s_i:
 * <pre>
 *   ds_i = dy_i ⊙ (v_i ⊙ g'(s_i) − a_i)          (N, d)
 *   dt   = Σ_i dy_i ⊙ a_i                         (N, d)
 *   dx  += dt W + Σ_i ds_i (M_i ⊙ W)              (N, h)
 *   dW  += dtᵀ x + Σ_i M_i ⊙ (ds_iᵀ x)            (d, h)
 *   dL_i += W ⊙ (ds_iᵀ x)                         (d, h)  straight-through: dL_i = dM_i
 *   dG[b, i] = ⟨dy_b, u_i,b⟩                      (N, nm) Top-K only
 * </pre>
 * M_i ⊙ W is materialised per route (one (d, h) buffer reused across routes).
 */
final class MgluCore {
    private MgluCore() {}

    /** t (N, d) and s (nm, N, d) from x (N, h), W (d, h) F32 and the masks. */
    static void scores(Kernels k, float[] t, float[] s, float[] x, float[] w, MaskPlanes m, int N) {
        k.mgluScores(t, s, x, WeightMatrix.ofF32(w, 0, m.rows(), m.cols()), m, N);
    }

    /** y (N, d) = Σ_i G_i · g(s_i) ⊙ (t − s_i); G (N, nm) or null for all ones. */
    static float[] combine(Kernels k, Act g, float[] t, float[] s, float[] G, int N, int d, int nm) {
        int n = N * d;
        float[] y = new float[n], a = new float[n], v = new float[n], u = new float[n];
        for (int i = 0; i < nm; i++) {
            if (G != null && unused(G, i, N, nm)) continue;
            route(k, g, a, v, t, s, i, n);
            if (G == null) { k.mulAcc(y, 0, a, 0, v, 0, n); continue; }
            k.mul(u, 0, a, 0, v, 0, n);
            for (int b = 0; b < N; b++) {
                float gb = G[b * nm + i];
                if (gb != 0f) k.addScaled(y, b * d, u, b * d, gb, d);
            }
        }
        return y;
    }

    /** a = g(s_i), v = t − s_i over n = N·d elements. */
    private static void route(Kernels k, Act g, float[] a, float[] v, float[] t, float[] s, int i, int n) {
        k.act(g, a, 0, s, i * n, n);
        System.arraycopy(t, 0, v, 0, n);
        k.addScaled(v, 0, s, i * n, -1f, n);
    }

    /** True when no row routes through i (G[:, i] all zero), so route i contributes nothing. */
    static boolean unused(float[] G, int i, int N, int nm) {
        for (int b = 0; b < N; b++) if (G[b * nm + i] != 0f) return false;
        return true;
    }

    /**
     * Accumulates the gradients (any of dx, dW, dL, dG may be null when not wanted; dG is
     * overwritten, the others accumulate). dy (N, d); x (N, h); W (d, h); G (N, nm) or null.
     */
    static void backward(Kernels k, Act g, float[] dy, float[] G, float[] t, float[] s, float[] x, float[] w,
                         MaskPlanes m, int N, float[] dx, float[] dW, float[] dL, float[] dG) {
        int d = m.rows(), h = m.cols(), nm = m.nm(), n = N * d;
        float[] dt = new float[n], a = new float[n], v = new float[n], ds = new float[n], tmp = new float[n];
        float[] dyi = G == null ? dy : new float[n];
        boolean wantDs = dx != null || dW != null || dL != null;
        float[] mask = wantDs ? new float[d * h] : null, mw = dx != null ? new float[d * h] : null;
        float[] dsx = dW != null || dL != null ? new float[d * h] : null;
        if (dG != null) Arrays.fill(dG, 0f);
        for (int i = 0; i < nm; i++) {
            if (G != null && unused(G, i, N, nm)) continue;
            route(k, g, a, v, t, s, i, n);
            if (dG != null) {                                   // dG[b, i] = ⟨dy_b, a_b ⊙ v_b⟩
                k.mul(tmp, 0, a, 0, v, 0, n);
                for (int b = 0; b < N; b++) dG[b * nm + i] = (float) k.dot(dy, b * d, tmp, b * d, d);
            }
            if (G != null)                                      // dy_i = G[:, i] · dy, row by row
                for (int b = 0; b < N; b++) k.scale(dyi, b * d, dy, b * d, G[b * nm + i], d);
            k.mulAcc(dt, 0, dyi, 0, a, 0, n);                   // dt += dy_i ⊙ a_i
            if (!wantDs) continue;
            // ds_i = g'(s_i) ⊙ (dy_i ⊙ v_i) − dy_i ⊙ a_i
            k.mul(tmp, 0, dyi, 0, v, 0, n);
            Arrays.fill(ds, 0f);
            k.actBackward(g, ds, 0, s, i * n, tmp, 0, n);
            k.mul(tmp, 0, dyi, 0, a, 0, n);
            k.addScaled(ds, 0, tmp, 0, -1f, n);
            unpackPlane(m, i, mask);                            // M_i (d, h) as 0/1 floats
            if (dx != null) {                                   // dx += ds_i (M_i ⊙ W)
                k.mul(mw, 0, mask, 0, w, 0, d * h);
                k.matmul(dx, 0, ds, 0, mw, 0, N, d, h, true);
            }
            if (dsx != null) {
                k.matmulTransA(dsx, 0, ds, 0, x, 0, d, N, h, false);   // ds_iᵀ x (d, h)
                if (dW != null) k.mulAcc(dW, 0, mask, 0, dsx, 0, d * h);
                if (dL != null) k.mulAcc(dL, i * d * h, w, 0, dsx, 0, d * h);
            }
        }
        if (dx != null) k.matmul(dx, 0, dt, 0, w, 0, N, d, h, true);        // dx += dt W
        if (dW != null) k.matmulTransA(dW, 0, dt, 0, x, 0, d, N, h, true);  // dW += dtᵀ x
    }

    /** Mask plane i of m as 0/1 floats into out (rows, cols). */
    static void unpackPlane(MaskPlanes m, int i, float[] out) {
        int rows = m.rows(), cols = m.cols(), nm = m.nm(), wpr = m.wordsPerRow();
        for (int r = 0; r < rows; r++) {
            long base = (long) (r * nm + i) * wpr;
            for (int c = 0; c < cols; c++) out[r * cols + c] = (m.word(base + (c >>> 5)) >>> (c & 31)) & 1;
        }
    }
}
