package jmglu.lab.gpu;

import jmglu.engine.RopeTable;

/**
 * {@link PersistentStep}'s answer in double, by plain loops over the same buffers: one B = 1 decode step of a SwiMGLU
 * transformer at position pos (fp16 W row-major as int pairs, per layer Wqkv (3C, C), Wo (C, C), W (D, C), W2 (C, D),
 * then the head (V, C); masks (L, D, NM, C/32) bit-planes; norm gains (2L + 1, C); the cache (2L, maxT, C) holding
 * positions before pos; RoPE on interleaved pairs from rt). Returns the logits (V).
 */
final class HostStep {
    private HostStep() {}

    static double[] logits(int[] w, int[] masks, float[] g, float[] kv, RopeTable rt, float[] xin,
                           int C, int NH, int D, int NM, int L, int V, int pos, int maxT) {
        int HD = C / NH, wpr = C / 32;
        long wLayer = 3L * C * C + (long) C * C + (long) D * C + (long) C * D;
        double[] x = new double[C];
        for (int i = 0; i < C; i++) x[i] = xin[i];
        for (int l = 0; l < L; l++) {
            long o = l * wLayer;
            double[] xn = norm(x, g, 2 * l * C);
            double[] qkv = gemv(w, o, 3 * C, C, xn);
            for (int c = 0; c < 2 * C; c += 2) {                       // RoPE on q and k, pair (c, c + 1) at pos
                int jj = (c % C % HD) / 2;
                double cs = rt.cos()[pos * (HD / 2) + jj], sn = rt.sin()[pos * (HD / 2) + jj], a = qkv[c], b = qkv[c + 1];
                qkv[c] = a * cs - b * sn;
                qkv[c + 1] = a * sn + b * cs;
            }
            long kb = (long) (2 * l) * maxT * C, vb = (long) (2 * l + 1) * maxT * C;
            double[] att = new double[C];
            for (int h = 0; h < NH; h++) {
                double[] s = new double[pos + 1];
                double m = Double.NEGATIVE_INFINITY, z = 0;
                for (int t = 0; t <= pos; t++) {
                    double d = 0;
                    for (int e = 0; e < HD; e++) d += qkv[h * HD + e] * (t == pos ? qkv[C + h * HD + e] : kv[(int) (kb + (long) t * C + h * HD + e)]);
                    s[t] = d / Math.sqrt(HD);
                    m = Math.max(m, s[t]);
                }
                for (int t = 0; t <= pos; t++) z += s[t] = Math.exp(s[t] - m);
                for (int t = 0; t <= pos; t++)
                    for (int e = 0; e < HD; e++) att[h * HD + e] += s[t] / z * (t == pos ? qkv[2 * C + h * HD + e] : kv[(int) (vb + (long) t * C + h * HD + e)]);
            }
            double[] xb = gemv(w, o + 3L * C * C, C, C, att);
            for (int i = 0; i < C; i++) xb[i] += x[i];
            double[] xn2 = norm(xb, g, (2 * l + 1) * C), hid = new double[D];
            long wu = o + 4L * C * C;
            for (int r = 0; r < D; r++) {
                double t = 0;
                double[] si = new double[NM];
                for (int c = 0; c < C; c++) {
                    double p = half(w, wu + (long) r * C + c) * xn2[c];
                    t += p;
                    for (int i = 0; i < NM; i++)
                        if ((masks[((l * D + r) * NM + i) * wpr + c / 32] >>> (c % 32) & 1) != 0) si[i] += p;
                }
                for (int i = 0; i < NM; i++) hid[r] += si[i] / (1 + Math.exp(-si[i])) * (t - si[i]);
            }
            double[] xc = gemv(w, wu + (long) D * C, C, D, hid);
            for (int i = 0; i < C; i++) x[i] = xb[i] + xc[i];
        }
        return gemv(w, L * wLayer, V, C, norm(x, g, 2 * L * C));
    }

    private static double half(int[] w, long i) { return Float.float16ToFloat((short) (w[(int) (i >>> 1)] >>> (16 * (int) (i & 1)))); }

    /** y (rows) = W[o ..] (rows, h) · x */
    private static double[] gemv(int[] w, long o, int rows, int h, double[] x) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < h; c++) s += half(w, o + (long) r * h + c) * x[c];
            y[r] = s;
        }
        return y;
    }

    /** x · rsqrt(mean x² + 1e-5) · g[go ..] */
    private static double[] norm(double[] x, float[] g, int go) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + 1e-5);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * inv * g[go + i];
        return y;
    }
}
