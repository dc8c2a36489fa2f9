package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.Rope;
import jmglu.engine.RopeTable;

/**
 * The attention side of a decode step for {@link SimdBackend}, on the caches in place:
 * <pre>
 *   rope:  x (B, nH·hd) at xo, row b at position pos[b]; pair j of every head turns by
 *          θ = pos · invFreq[j]: (x_a, x_b) ↦ (x_a cosθ − x_b sinθ, x_a sinθ + x_b cosθ),
 *          (a, b) = (2j, 2j+1) interleaved or (j, j + hd/2) halves ({@link Rope})
 *   step:  caches (B, maxT, nKv·hd): K row u of sequence b, KV head g at b·maxT·kv + u·kv + g·hd;
 *          k[b], v[b] are written at u = pos[b], then for query head j (KV head g = j / (nH/nKv))
 *          out[b, j] = Σ_{u ≤ pos[b]} softmax_u(q[b, j] · K[b, u, g] / √hd) V[b, u, g]
 * </pre>
 * cos and sin come from a {@link RopeTable} per (rope, hd) built once for the positions seen so far (the
 * same float64 formula as the reference, so the same floats). The step is vectorised over hd (masked at
 * its end): the scores take four cached keys per sweep of q (their lanes summed by one fold), the
 * weighted sum of V rows runs four independent chains over the positions; the softmax's exp is
 * vectorised over the positions ({@link VecAct#exp}). The (b, head) pairs are split over threads,
 * each with its own score scratch; a head's arithmetic depends only on its length.
 */
final class DecodeAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private volatile RopeTable rope;                   // the latest (rope, hd) table: cos, sin (positions, hd/2)
    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[4 * L]});

    private final Parallel par;

    DecodeAttention(Parallel par) { this.par = par; }

    /** RoPE in place on x (B, nH·hd) at xo, row b at position pos[b]: pair (a, b) of every head as {@link Rope} says. */
    void rope(float[] x, int xo, int nH, int hd, int[] pos, Rope r) {
        int maxPos = 0;
        for (int p : pos) maxPos = Math.max(maxPos, p);
        RopeTable t = rope = RopeTable.grow(rope, r, hd, maxPos);
        int half = hd / 2, stride = r.halves() ? 1 : 2, second = r.halves() ? half : 1;   // pair j: a = stride·j, b = a + second
        float[] cs = t.cos(), sn = t.sin();
        for (int b = 0; b < pos.length; b++) {
            int ct = pos[b] * half;
            for (int hh = 0; hh < nH; hh++) {
                int o = xo + (b * nH + hh) * hd;
                for (int j = 0; j < half; j++) {
                    int ia = o + stride * j, ib = ia + second;
                    float cos = cs[ct + j], sin = sn[ct + j], x0 = x[ia], x1 = x[ib];
                    x[ia] = x0 * cos - x1 * sin;
                    x[ib] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    /** Writes k, v (B, kv) into the caches at pos[b], then out (B, nH·hd) = attention of q (B, nH·hd) over positions 0..pos[b]. */
    void step(float[] out, int oo, float[] q, int qo, float[] k, int ko, float[] v, int vo,
              float[] kc, int kco, float[] vc, int vco, int maxT, int[] pos, int nH, int nKv, int hd) {
        int B = pos.length, kv = nKv * hd, dq = nH * hd, group = nH / nKv;
        long work = 0;
        for (int b = 0; b < B; b++) {
            if (pos[b] < 0 || pos[b] >= maxT) throw new IllegalArgumentException("attentionStep: position " + pos[b] + " outside the cache of " + maxT);
            System.arraycopy(k, ko + b * kv, kc, kco + (b * maxT + pos[b]) * kv, kv);
            System.arraycopy(v, vo + b * kv, vc, vco + (b * maxT + pos[b]) * kv, kv);
            work += 2L * (pos[b] + 1) * dq;
        }
        float scale = (float) (1.0 / Math.sqrt(hd));
        par.chunks(B * nH, work, 1, (lo, hi) -> {
            for (int bj = lo; bj < hi; bj++) {
                int b = bj / nH, j = bj % nH, len = pos[b] + 1, g = j / group;
                int base = (b * maxT) * kv + g * hd;
                head(out, oo + b * dq + j * hd, q, qo + b * dq + j * hd, kc, kco + base, vc, vco + base, kv, len, hd, scale);
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
        for (; u < len; u++) s[u] = SimdAttention.dot(q, qi, kc, kb + u * kv, hd) * scale;
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
}
