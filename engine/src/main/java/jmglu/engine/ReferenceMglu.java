package jmglu.engine;

/**
 * Reference MGLU, in two forms that must agree:
 * <ul>
 *   <li>{@link #dense}: straight from the definition, with materialised masks as floats,
 *       gate_i = x (M_i⊙W)ᵀ, value_i = x ((1−M_i)⊙W)ᵀ, y = Σ_i g(gate_i) ⊙ value_i;</li>
 *   <li>{@link #flash}: the FlashMGLU identity over packed bit-planes — one pass over each row
 *       of W accumulates t = x·w_r and every s_i = x·(m_ir ⊙ w_r); then
 *       y = Σ_i g(s_i)·(t − s_i). Every fast FlashMGLU kernel is tested against this one.</li>
 * </ul>
 * Shapes: x (B, h), W (d, h), masks (nm, d, h), y (B, d).
 */
public final class ReferenceMglu {
    private ReferenceMglu() {}

    /** The definition: y (B, d) from W (d, h) and masks (nm, d, h) of 0/1 floats, float64 sums. */
    public static void dense(float[] y, float[] x, float[] w, float[] masks, int B, int h, int d, int nm, Act g) {
        MaskPlanes.checkNm(nm, "ReferenceMglu.dense");
        KernelArgs.dims("ReferenceMglu.dense", B, h, d);
        KernelArgs.region("ReferenceMglu.dense", "y (B,d)", y, 0, (long) B * d);
        KernelArgs.region("ReferenceMglu.dense", "x (B,h)", x, 0, (long) B * h);
        KernelArgs.region("ReferenceMglu.dense", "W (d,h)", w, 0, (long) d * h);
        KernelArgs.region("ReferenceMglu.dense", "masks (nm,d,h)", masks, 0, (long) nm * d * h);
        for (int b = 0; b < B; b++)
            for (int r = 0; r < d; r++) {
                double acc = 0;
                for (int i = 0; i < nm; i++) {
                    double gate = 0, value = 0;
                    for (int c = 0; c < h; c++) {
                        double xw = (double) x[b * h + c] * w[r * h + c];
                        float mi = masks[(i * d + r) * h + c];
                        gate += mi * xw;
                        value += (1 - mi) * xw;
                    }
                    acc += g.apply(gate) * value;
                }
                y[b * d + r] = (float) acc;
            }
    }

    /** t (B, d) = x Wᵀ and s (nm, B, d), s_i = x (M_i ⊙ W)ᵀ, from packed masks. */
    public static void scores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) {
        int d = w.rows(), h = w.cols(), nm = m.nm();
        checkShapes("mgluScores", w, m);
        KernelArgs.dims("mgluScores", B);
        KernelArgs.region("mgluScores", "x (B,h)", x, 0, (long) B * h);
        KernelArgs.region("mgluScores", "t (B,d)", t, 0, (long) B * d);
        KernelArgs.region("mgluScores", "s (nm,B,d)", s, 0, (long) nm * B * d);
        float[] si = new float[nm];
        for (int b = 0; b < B; b++)
            for (int r = 0; r < d; r++) {
                float tr = rowPass(si, x, b * h, w, m, r);
                t[b * d + r] = tr;
                for (int i = 0; i < nm; i++) s[(i * B + b) * d + r] = si[i];
            }
    }

    /** FlashMGLU: y (B, d) = Σ_i g(s_i)(t − s_i), one pass over W per row. */
    public static void flash(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) {
        int d = w.rows(), h = w.cols(), nm = m.nm();
        checkShapes("flashMglu", w, m);
        KernelArgs.dims("flashMglu", B);
        KernelArgs.region("flashMglu", "x (B,h)", x, 0, (long) B * h);
        KernelArgs.region("flashMglu", "y (B,d)", y, 0, (long) B * d);
        float[] si = new float[nm];
        for (int b = 0; b < B; b++)
            for (int r = 0; r < d; r++) {
                float tr = rowPass(si, x, b * h, w, m, r);
                float acc = 0f;
                for (int i = 0; i < nm; i++) acc += g.apply(si[i]) * (tr - si[i]);
                y[b * d + r] = acc;
            }
    }

    /** One pass over row r of W: returns t = x·w_r and fills si[i] = x·(m_ir ⊙ w_r). */
    private static float rowPass(float[] si, float[] x, int xo, WeightMatrix w, MaskPlanes m, int r) {
        int h = w.cols(), nm = m.nm(), wpr = m.wordsPerRow();
        java.util.Arrays.fill(si, 0f);
        float t = 0f;
        for (int c = 0; c < h; c++) {
            float xw = x[xo + c] * w.get(r, c);
            t += xw;
            for (int i = 0; i < nm; i++)
                if (((m.word((long) (r * nm + i) * wpr + (c >>> 5)) >>> (c & 31)) & 1) != 0) si[i] += xw;
        }
        return t;
    }

    /** W (d, h) and the masks (nm, d, h) must cover the same matrix. */
    public static void checkShapes(String op, WeightMatrix w, MaskPlanes m) {
        if (w == null || m == null) throw new IllegalArgumentException(op + ": W and masks must not be null");
        if (w.rows() != m.rows() || w.cols() != m.cols())
            throw new IllegalArgumentException(op + ": W is (" + w.rows() + ", " + w.cols() + ") but masks are (" + m.rows() + ", " + m.cols() + ")");
    }
}
