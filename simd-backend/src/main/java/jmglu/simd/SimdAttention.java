package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal self-attention on the Vector API, q/k/v/out (B, T, nH, hd), att (B, nH, T, T):
 * out = softmax(q kᵀ/√hd + causal) v. The hd-long dot products and axpys are vector loops;
 * the (b, head) pairs are split over threads (each owns its rows of att, out, dq; the backward
 * accumulates dk, dv across t within one (b, head), so it is split the same way). Dot products sum
 * their lanes in a fixed order ({@link Lanes}); the softmax uses Math.exp in float64.
 */
final class SimdAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private final Parallel par;

    SimdAttention(Parallel par) { this.par = par; }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        float s = Lanes.sum(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo..] += s · x[xo..] over n. */
    static void axpy(float[] y, int yo, float s, float[] x, int xo, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L)
            FloatVector.fromArray(S, x, xo + i).fma(FloatVector.broadcast(S, s), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    void forward(float[] out, float[] att, float[] q, float[] k, float[] v, int B, int T, int nH, int hd) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        int C = nH * hd;
        par.rows(B * nH, (long) B * nH * T * T * hd, 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / nH, hh = bh % nH;
                for (int t = 0; t < T; t++) {
                    int a = (bh * T + t) * T, qi = (b * T + t) * C + hh * hd;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        att[a + u] = dot(q, qi, k, (b * T + u) * C + hh * hd, hd) * scale;
                        max = Math.max(max, att[a + u]);
                    }
                    double z = 0;
                    for (int u = 0; u <= t; u++) z += Math.exp(att[a + u] - max);
                    for (int u = 0; u < T; u++) att[a + u] = u <= t ? (float) (Math.exp(att[a + u] - max) / z) : 0f;
                    java.util.Arrays.fill(out, qi, qi + hd, 0f);
                    for (int u = 0; u <= t; u++) axpy(out, qi, att[a + u], v, (b * T + u) * C + hh * hd, hd);
                }
            }
        });
    }

    void backward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] q, float[] k, float[] v,
                         float[] att, int B, int T, int nH, int hd) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        int C = nH * hd;
        par.rows(B * nH, (long) B * nH * T * T * hd * 2, 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / nH, hh = bh % nH;
                for (int t = 0; t < T; t++) {
                    int a = (bh * T + t) * T, qi = (b * T + t) * C + hh * hd;
                    // out = att · v  →  datt = dout · vᵀ, dv += attᵀ · dout
                    for (int u = 0; u <= t; u++) {
                        int vi = (b * T + u) * C + hh * hd;
                        datt[a + u] = dot(dout, qi, v, vi, hd);
                        axpy(dv, vi, att[a + u], dout, qi, hd);
                    }
                    double dotAd = 0;
                    for (int u = 0; u <= t; u++) dotAd += (double) att[a + u] * datt[a + u];
                    for (int u = 0; u <= t; u++) {
                        float dpre = (float) (att[a + u] * (datt[a + u] - dotAd)) * scale;
                        int ki = (b * T + u) * C + hh * hd;
                        axpy(dq, qi, dpre, k, ki, hd);
                        axpy(dk, ki, dpre, q, qi, hd);
                    }
                }
            }
        });
    }

    void step(float[] out, float[] q, float[] kCache, float[] vCache, int len, int nH, int hd, float[] scratch) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        int C = nH * hd;
        for (int hh = 0; hh < nH; hh++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int u = 0; u < len; u++) {
                scratch[u] = dot(q, hh * hd, kCache, u * C + hh * hd, hd) * scale;
                max = Math.max(max, scratch[u]);
            }
            double z = 0;
            for (int u = 0; u < len; u++) { scratch[u] = (float) Math.exp(scratch[u] - max); z += scratch[u]; }
            java.util.Arrays.fill(out, hh * hd, hh * hd + hd, 0f);
            for (int u = 0; u < len; u++) axpy(out, hh * hd, (float) (scratch[u] / z), vCache, u * C + hh * hd, hd);
        }
    }
}
