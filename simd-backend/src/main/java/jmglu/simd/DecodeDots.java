package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one float row w (h values, L1-resident) with B rows of x, the inner sweep of the
 * decode GEMVs ({@link DecodeGemv}): x rows are h apart from xo, unpadded; any h.
 * <pre>
 *   out[o + b·stride] (=|+=) Σ_c w[wo + c] · x[xo + b·h + c]      b &lt; B
 * </pre>
 * x is taken in tiles of 8, 4, 2 and 1 rows; each w vector is loaded once per tile. A tile keeps
 * 8 independent FMA chains where it can (8 rows × 1, 4 × 2, 2 × 2 and 1 × 2 even/odd vectors), so
 * the FMA latency is hidden. A tile stores its accumulators into res (one slot of L floats per row)
 * and {@link #finish} sums them in scalar code: lanes in a fixed order ({@link Lanes#fold}), then
 * the tail c ≥ ⌊h/L⌋·L in index order. (A tile that summed its own vectors would outgrow C2's inlining
 * budget, and a vector passed to a call that is not inlined is boxed.)
 */
final class DecodeDots {
    private DecodeDots() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** res needs 8·L floats. */
    static void dots(float[] out, int o, int stride, boolean acc, float[] w, int wo, float[] x, int xo, int h, int B, float[] res) {
        int b = 0;
        for (; b + 8 <= B; b += 8) { dot8(res, w, wo, x, xo + b * h, h); finish(out, o + b * stride, stride, acc, res, 8, w, wo, x, xo + b * h, h); }
        if (B - b >= 4) { dot4(res, w, wo, x, xo + b * h, h); finish(out, o + b * stride, stride, acc, res, 4, w, wo, x, xo + b * h, h); b += 4; }
        if (B - b >= 2) { dot2(res, w, wo, x, xo + b * h, h); finish(out, o + b * stride, stride, acc, res, 2, w, wo, x, xo + b * h, h); b += 2; }
        if (b < B) { dot1(res, w, wo, x, xo + b * h, h); finish(out, o + b * stride, stride, acc, res, 1, w, wo, x, xo + b * h, h); }
    }

    /** out[o + b·stride] (=|+=) Σ lanes of res slot b + the scalar tail of row b, for b &lt; rows. */
    private static void finish(float[] out, int o, int stride, boolean acc, float[] res, int rows, float[] w, int wo, float[] x, int xo, int h) {
        Lanes.fold(res, 0, rows);
        int c0 = S.loopBound(h);
        for (int b = 0; b < rows; b++) {
            float s = res[b];
            for (int c = c0; c < h; c++) s += w[wo + c] * x[xo + b * h + c];
            int i = o + b * stride;
            out[i] = acc ? out[i] + s : s;
        }
    }

    static void dot1(float[] res, float[] w, int wo, float[] x, int xo, int h) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        int c = 0;
        for (; c + 2 * L <= h; c += 2 * L) {
            a0 = FloatVector.fromArray(S, w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = FloatVector.fromArray(S, w, wo + c + L).fma(FloatVector.fromArray(S, x, xo + c + L), a1);
        }
        if (c + L <= h) a0 = FloatVector.fromArray(S, w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
        a0.add(a1).intoArray(res, 0);
    }

    static void dot2(float[] res, float[] w, int wo, float[] x, int xo, int h) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, e0 = a0, e1 = a0;
        int c = 0, x1 = xo + h;
        for (; c + 2 * L <= h; c += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(S, w, wo + c), w1 = FloatVector.fromArray(S, w, wo + c + L);
            a0 = w0.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = w0.fma(FloatVector.fromArray(S, x, x1 + c), a1);
            e0 = w1.fma(FloatVector.fromArray(S, x, xo + c + L), e0);
            e1 = w1.fma(FloatVector.fromArray(S, x, x1 + c + L), e1);
        }
        if (c + L <= h) {
            FloatVector w0 = FloatVector.fromArray(S, w, wo + c);
            a0 = w0.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = w0.fma(FloatVector.fromArray(S, x, x1 + c), a1);
        }
        a0.add(e0).intoArray(res, 0);
        a1.add(e1).intoArray(res, L);
    }

    static void dot4(float[] res, float[] w, int wo, float[] x, int xo, int h) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        int c = 0, x1 = xo + h, x2 = xo + 2 * h, x3 = xo + 3 * h;
        for (; c + 2 * L <= h; c += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(S, w, wo + c), w1 = FloatVector.fromArray(S, w, wo + c + L);
            a0 = w0.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = w0.fma(FloatVector.fromArray(S, x, x1 + c), a1);
            a2 = w0.fma(FloatVector.fromArray(S, x, x2 + c), a2);
            a3 = w0.fma(FloatVector.fromArray(S, x, x3 + c), a3);
            e0 = w1.fma(FloatVector.fromArray(S, x, xo + c + L), e0);
            e1 = w1.fma(FloatVector.fromArray(S, x, x1 + c + L), e1);
            e2 = w1.fma(FloatVector.fromArray(S, x, x2 + c + L), e2);
            e3 = w1.fma(FloatVector.fromArray(S, x, x3 + c + L), e3);
        }
        if (c + L <= h) {
            FloatVector w0 = FloatVector.fromArray(S, w, wo + c);
            a0 = w0.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = w0.fma(FloatVector.fromArray(S, x, x1 + c), a1);
            a2 = w0.fma(FloatVector.fromArray(S, x, x2 + c), a2);
            a3 = w0.fma(FloatVector.fromArray(S, x, x3 + c), a3);
        }
        a0.add(e0).intoArray(res, 0);
        a1.add(e1).intoArray(res, L);
        a2.add(e2).intoArray(res, 2 * L);
        a3.add(e3).intoArray(res, 3 * L);
    }

    static void dot8(float[] res, float[] w, int wo, float[] x, int xo, int h) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int c = 0, up = S.loopBound(h); c < up; c += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wo + c);
            a0 = wv.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = wv.fma(FloatVector.fromArray(S, x, xo + h + c), a1);
            a2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * h + c), a2);
            a3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * h + c), a3);
            a4 = wv.fma(FloatVector.fromArray(S, x, xo + 4 * h + c), a4);
            a5 = wv.fma(FloatVector.fromArray(S, x, xo + 5 * h + c), a5);
            a6 = wv.fma(FloatVector.fromArray(S, x, xo + 6 * h + c), a6);
            a7 = wv.fma(FloatVector.fromArray(S, x, xo + 7 * h + c), a7);
        }
        a0.intoArray(res, 0); a1.intoArray(res, L); a2.intoArray(res, 2 * L); a3.intoArray(res, 3 * L);
        a4.intoArray(res, 4 * L); a5.intoArray(res, 5 * L); a6.intoArray(res, 6 * L); a7.intoArray(res, 7 * L);
    }
}
