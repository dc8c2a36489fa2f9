package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention side of a decode step for {@link SimdBackend}, on the caches in place:
 * <pre>
 *   rope:  x (B, nH·hd) at xo, row b at position pos[b]; pair j of every head turns by
 *          θ = pos · theta^(−2j/hd): (x₂ⱼ, x₂ⱼ₊₁) ↦ (x₂ⱼcosθ − x₂ⱼ₊₁sinθ, x₂ⱼsinθ + x₂ⱼ₊₁cosθ)
 *   step:  caches (B, maxT, nKv·hd): K row u of sequence b, KV head g at b·maxT·kv + u·kv + g·hd;
 *          k[b], v[b] are written at u = pos[b], then for query head j (KV head g = j / (nH/nKv))
 *          out[b, j] = Σ_{u ≤ pos[b]} softmax_u(q[b, j] · K[b, u, g] / √hd) V[b, u, g]
 * </pre>
 * cos and sin come from a table per (hd, theta) built once for the positions seen so far (the same
 * float64 formula as the reference, so the same floats). The step is vectorised over hd (masked at
 * its end): the scores take four cached keys per sweep of q (their lanes summed by one fold), the
 * weighted sum of V rows runs four independent chains over the positions; the softmax's exp is
 * vectorised over the positions ({@link VecAct#exp}). The (b, head) pairs are split over threads,
 * each with its own score scratch; a head's arithmetic depends only on its length.
 */
final class DecodeAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** cos/sin (positions, hd/2) of one (hd, theta), immutable once built. */
    private record RopeTable(int hd, float theta, int positions, float[] cos, float[] sin) {
        static RopeTable of(int hd, float theta, int positions) {
            int half = hd / 2;
            float[] c = new float[positions * half], s = new float[positions * half];
            for (int j = 0; j < half; j++) {
                double f = Math.pow(theta, -2.0 * j / hd);
                for (int p = 0; p < positions; p++) {
                    double ang = p * f;
                    c[p * half + j] = (float) Math.cos(ang);
                    s[p * half + j] = (float) Math.sin(ang);
                }
            }
            return new RopeTable(hd, theta, positions, c, s);
        }
    }
    private volatile RopeTable rope;
    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[4 * L]});

    private final Parallel par;

    DecodeAttention(Parallel par) { this.par = par; }

    private RopeTable table(int hd, float theta, int maxPos) {
        RopeTable t = rope;
        if (t == null || t.hd() != hd || t.theta() != theta || t.positions() <= maxPos) {
            int n = Math.max(256, Integer.highestOneBit(maxPos) * 2);
            if (t != null && t.hd() == hd && t.theta() == theta) n = Math.max(n, 2 * t.positions());
            rope = t = RopeTable.of(hd, theta, n);
        }
        return t;
    }

    void rope(float[] x, int xo, int nH, int hd, int[] pos, float theta) {
        int maxPos = 0;
        for (int p : pos) maxPos = Math.max(maxPos, p);
        RopeTable t = table(hd, theta, maxPos);
        int half = hd / 2;
        for (int b = 0; b < pos.length; b++) {
            int ct = pos[b] * half;
            for (int hh = 0; hh < nH; hh++) {
                int o = xo + (b * nH + hh) * hd;
                for (int j = 0; j < half; j++) {
                    float cos = t.cos()[ct + j], sin = t.sin()[ct + j], x0 = x[o + 2 * j], x1 = x[o + 2 * j + 1];
                    x[o + 2 * j] = x0 * cos - x1 * sin;
                    x[o + 2 * j + 1] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    /** Writes k, v (B, kv) into the caches at pos[b], then out (B, nH·hd) = attention of q (B, nH·hd) over positions 0..pos[b]. */
    void step(float[] out, int oo, float[] q, int qo, float[] k, int ko, float[] v, int vo,
              float[] kc, int kco, float[] vc, int vco, int maxT, int[] pos, int nH, int nKv, int hd) {
        int B = pos.length, kv = nKv * hd, C = nH * hd, group = nH / nKv;
        long work = 0;
        for (int b = 0; b < B; b++) {
            if (pos[b] < 0 || pos[b] >= maxT) throw new IllegalArgumentException("attentionStep: position " + pos[b] + " outside the cache of " + maxT);
            System.arraycopy(k, ko + b * kv, kc, kco + (b * maxT + pos[b]) * kv, kv);
            System.arraycopy(v, vo + b * kv, vc, vco + (b * maxT + pos[b]) * kv, kv);
            work += 2L * (pos[b] + 1) * C;
        }
        float scale = (float) (1.0 / Math.sqrt(hd));
        par.chunks(B * nH, work, 1, (lo, hi) -> {
            for (int bj = lo; bj < hi; bj++) {
                int b = bj / nH, j = bj % nH, len = pos[b] + 1, g = j / group;
                int base = (b * maxT) * kv + g * hd;
                head(out, oo + b * C + j * hd, q, qo + b * C + j * hd, kc, kco + base, vc, vco + base, kv, len, hd, scale);
            }
        });
    }

    /** One query head: q (hd) at qi against len cached rows kv apart from kb (keys) and vb (values); out (hd) at oi. */
    private static void head(float[] out, int oi, float[] q, int qi, float[] kc, int kb, float[] vc, int vb, int kv, int len, int hd, float scale) {
        float[][] box = SCORES.get();                      // [scores, four dot products' accumulators]
        if (box[0].length < len) box[0] = new float[Math.max(len, 2 * box[0].length)];
        float[] s = box[0], acc4 = box[1];
        int u = 0;
        for (; u + 4 <= len; u += 4) {                     // four positions per sweep of q: the lanes are summed by one fold
            dot4(acc4, q, qi, kc, kb + u * kv, kv, hd);
            Lanes.fold(acc4, 0, 4);
            for (int k = 0; k < 4; k++) s[u + k] = (acc4[k] + tail(q, qi, kc, kb + (u + k) * kv, hd)) * scale;
        }
        for (; u < len; u++) s[u] = dot(q, qi, kc, kb + u * kv, hd) * scale;
        float max = Float.NEGATIVE_INFINITY;
        for (u = 0; u < len; u++) max = Math.max(max, s[u]);
        float z = exps(s, len, max);
        float inv = 1f / z;
        for (int e = 0; e < hd; e += L) {                  // out[e..e+L) = Σ_t p_t V[t, e..e+L): four chains over t, in registers
            VectorMask<Float> in = S.indexInRange(e, hd);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int t = 0;
            for (; t + 4 <= len; t += 4) {
                int o = vb + t * kv + e;
                a0 = FloatVector.fromArray(S, vc, o, in).fma(FloatVector.broadcast(S, s[t]), a0);
                a1 = FloatVector.fromArray(S, vc, o + kv, in).fma(FloatVector.broadcast(S, s[t + 1]), a1);
                a2 = FloatVector.fromArray(S, vc, o + 2 * kv, in).fma(FloatVector.broadcast(S, s[t + 2]), a2);
                a3 = FloatVector.fromArray(S, vc, o + 3 * kv, in).fma(FloatVector.broadcast(S, s[t + 3]), a3);
            }
            for (; t < len; t++) a0 = FloatVector.fromArray(S, vc, vb + t * kv + e, in).fma(FloatVector.broadcast(S, s[t]), a0);
            a0.add(a1).add(a2.add(a3)).mul(inv).intoArray(out, oi + e, in);
        }
    }

    /** s[u] = e^(s[u] − max) for u &lt; len (the polynomial exp of VecAct, the scalar tail by Math.exp); returns their sum. A method of its own: no vector crosses a call. */
    private static float exps(float[] s, int len, float max) {
        FloatVector zv = FloatVector.zero(S);
        int u = 0;
        for (int up = S.loopBound(len); u < up; u += L) {
            FloatVector e = VecAct.exp(FloatVector.fromArray(S, s, u).sub(max));
            e.intoArray(s, u);
            zv = zv.add(e);
        }
        float z = Lanes.sum(zv);
        for (; u < len; u++) { s[u] = (float) Math.exp(s[u] - max); z += s[u]; }
        return z;
    }

    /** acc[k·L, +L) = lanes of q · K_k over the vector part of hd, for the four rows K_k at kb + k·kv. */
    private static void dot4(float[] acc, float[] q, int qi, float[] kc, int kb, int kv, int hd) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int e = 0, up = S.loopBound(hd); e < up; e += L) {
            FloatVector qv = FloatVector.fromArray(S, q, qi + e);
            a0 = qv.fma(FloatVector.fromArray(S, kc, kb + e), a0);
            a1 = qv.fma(FloatVector.fromArray(S, kc, kb + kv + e), a1);
            a2 = qv.fma(FloatVector.fromArray(S, kc, kb + 2 * kv + e), a2);
            a3 = qv.fma(FloatVector.fromArray(S, kc, kb + 3 * kv + e), a3);
        }
        a0.intoArray(acc, 0); a1.intoArray(acc, L); a2.intoArray(acc, 2 * L); a3.intoArray(acc, 3 * L);
    }

    /** Σ_{e ≥ ⌊hd/L⌋·L} q_e k_e: the part of a dot product below one vector. */
    private static float tail(float[] q, int qi, float[] k, int ki, int hd) {
        float t = 0f;
        for (int e = S.loopBound(hd); e < hd; e++) t += q[qi + e] * k[ki + e];
        return t;
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        float s = Lanes.sum(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
