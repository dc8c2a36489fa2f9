package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.DType;
import jmglu.engine.WeightMatrix;

/**
 * Decode GEMV y (B, d) = x (B, h) · Wᵀ on stored weights (F32, BF16, F16). Each row of W is read
 * from memory once: widened into an L1 scratch ({@link WeightRows}), then dotted with up to 4
 * rows of x per sweep (two accumulators per x row to hide the add latency). Rows of W are split
 * over threads.
 */
final class SimdGemv {
    private SimdGemv() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    static void gemv(float[] y, float[] x, WeightMatrix w, int B) {
        int d = w.rows(), h = w.cols();
        if (B < 1 || x.length < B * h || y.length < B * d)
            throw new IllegalArgumentException("gemv: W (" + d + ", " + h + "), B=" + B + " needs x of " + B * h + " and y of " + B * d
                    + " floats, got " + x.length + " and " + y.length);
        int hp = SimdFlashMglu.padded(h);
        float[] xp = SimdFlashMglu.padX(x, B, h, hp);
        Parallel.rows(d, (long) d * h * B, 16, (lo, hi) -> {
            float[] wr = rowScratch(hp);
            for (int r = lo; r < hi; r++) {
                if (w.dtype() == DType.F32 && hp == h) dots(y, r, d, w.f32(), r * h, xp, B, hp);
                else { WeightRows.widen(wr, w, r); java.util.Arrays.fill(wr, h, hp, 0f); dots(y, r, d, wr, 0, xp, B, hp); }
            }
        });
    }

    static float[] rowScratch(int n) {
        float[][] box = ROW.get();
        if (box[0].length < n) box[0] = new float[n];
        return box[0];
    }

    /** out[o + b·stride] = x_b · w for b < B; w and x rows hold hp (a multiple of L) floats. */
    static void dots(float[] out, int o, int stride, float[] w, int wo, float[] x, int B, int hp) {
        int b = 0;
        for (; b + 4 <= B; b += 4) dot4(out, o + b * stride, stride, w, wo, x, b * hp, hp);
        for (; b < B; b++) out[o + b * stride] = dot1(w, wo, x, b * hp, hp);
    }

    static float dot1(float[] w, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int c = 0;
        for (; c + 2 * L <= hp; c += 2 * L) {
            a0 = FloatVector.fromArray(S, w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = FloatVector.fromArray(S, w, wo + c + L).fma(FloatVector.fromArray(S, x, xo + c + L), a1);
        }
        if (c < hp) a0 = FloatVector.fromArray(S, w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    static void dot4(float[] out, int o, int stride, float[] w, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < hp; c += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wo + c);
            a0 = wv.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = wv.fma(FloatVector.fromArray(S, x, xo + hp + c), a1);
            a2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * hp + c), a2);
            a3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * hp + c), a3);
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + stride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * stride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * stride] = a3.reduceLanes(VectorOperators.ADD);
    }
}
