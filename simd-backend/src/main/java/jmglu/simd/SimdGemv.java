package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.DType;
import jmglu.engine.WeightMatrix;

/**
 * Decode GEMV y (B, d) = x (B, h) · Wᵀ on stored weights (F32, BF16, F16). Each row of W is read
 * from memory once. B = 1 on BF16 (h a multiple of 32) widens in registers; otherwise the row is
 * widened into an L1 scratch ({@link WeightRows}), then dotted with up to 4
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
                if (B == 1 && w.dtype() == DType.BF16 && hp == h) y[r] = dot1Bf16(w.half(), r * h, xp, 0, hp);
                else if (w.dtype() == DType.F32 && hp == h) dots(y, r, d, w.f32(), r * h, xp, B, hp);
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

    /** BF16 row (raw 16-bit patterns at w[wo..wo+hp)) · x, widened in registers: the B = 1 decode path. */
    static float dot1Bf16(short[] w, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int c = 0; c < hp; c += 2 * L) {
            a0 = bf16(w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = bf16(w, wo + c + L).fma(FloatVector.fromArray(S, x, xo + c + L), a1);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** outA[o] = wa·x, outB[o] = wb·x for two BF16 rows in one sweep (SwiGLU's gate and value rows). */
    static void dot2Bf16(float[] outA, float[] outB, int o, short[] wa, short[] wb, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, b0 = a0, b1 = a0;
        for (int c = 0; c < hp; c += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, x, xo + c), x1 = FloatVector.fromArray(S, x, xo + c + L);
            a0 = bf16(wa, wo + c).fma(x0, a0);
            a1 = bf16(wa, wo + c + L).fma(x1, a1);
            b0 = bf16(wb, wo + c).fma(x0, b0);
            b1 = bf16(wb, wo + c + L).fma(x1, b1);
        }
        outA[o] = a0.add(a1).reduceLanes(VectorOperators.ADD);
        outB[o] = b0.add(b1).reduceLanes(VectorOperators.ADD);
    }

    /** 16 BF16 patterns → floats: widen to ints, shift into the high half. */
    static FloatVector bf16(short[] w, int off) {
        return ((IntVector) ShortVector.fromArray(WeightRows.SH, w, off).convertShape(VectorOperators.S2I, WeightRows.SI, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
