package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jmglu.engine.Act;

/**
 * The gate nonlinearities on a whole vector (the epilogues of FlashMGLU and SwiGLU, and softmax's
 * exp): SiLU x·σ(x) = x / (1 + e^−x); GELU (tanh form) ½x(1 + tanh(√(2/π)(x + 0.044715x³)));
 * ReLU max(x, 0).
 *
 * <p>exp and tanh are computed here from exact lane-wise operations (add, mul, fma, div, bit
 * moves), not with the Vector API's EXP/TANH: those run SVML when C2-compiled and Math.exp per
 * lane when interpreted, which round differently, so results would change once a caller got hot.
 * <pre>
 *   exp(x): n = rint(x·log2 e), r = x − n·ln2 (ln2 in two parts, Cody–Waite), e^r by the Cephes
 *           expf polynomial on |r| ≤ ½ln2 (about 1 ulp), times 2^n as 2^⌊n/2⌋ · 2^(n−⌊n/2⌋) so that
 *           results near overflow and in the subnormal range round once; x is clamped to
 *           [−104, 89] (outside, e^x rounds to 0 or +∞ anyway); NaN stays NaN.
 *   tanh(x) = sign(x) · (1 − e) / (1 + e), e = exp(−2|x|) ∈ (0, 1]: no overflow, absolute error
 *           a few 1e-8.
 * </pre>
 */
final class VecAct {
    private VecAct() {}

    static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);
    private static final float LOG2E = 1.44269504088896341f, ROUND = 0x1.8p23f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f; // LN2_HI has 10 bits: n·LN2_HI is exact

    static FloatVector apply(Act g, FloatVector x) {
        return switch (g) {
            case SILU -> x.div(exp(x.neg()).add(1f));
            case GELU -> x.mul(0.5f).mul(tanh(x.mul(x).mul(x).mul(0.044715f).add(x).mul(GELU_C)).add(1f));
            case RELU -> x.max(0f);
        };
    }

    /** g'(x) on a vector: SiLU σ(1 + x(1 − σ)); GELU ½(1+th) + ½x(1−th²)·√(2/π)(1 + 3·0.044715x²); ReLU 1[x>0]. */
    static FloatVector derivative(Act g, FloatVector x) {
        return switch (g) {
            case SILU -> {
                FloatVector s = FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
                yield s.mul(x.mul(s.neg().add(1f)).add(1f));
            }
            case GELU -> {
                FloatVector x2 = x.mul(x);
                FloatVector th = tanh(x2.mul(x).mul(0.044715f).add(x).mul(GELU_C));
                FloatVector du = x2.mul(3 * 0.044715f).add(1f).mul(GELU_C);
                yield th.add(1f).mul(0.5f).add(x.mul(0.5f).mul(th.mul(th).neg().add(1f)).mul(du));
            }
            case RELU -> FloatVector.zero(x.species()).blend(1f, x.compare(VectorOperators.GT, 0f));
        };
    }

    /** e^x lane by lane (see the class comment). */
    static FloatVector exp(FloatVector x) {
        x = x.max(-104f).min(89f);
        FloatVector t = x.mul(LOG2E).add(ROUND);                    // n + 1.5·2^23: rounded to an integer, n in the low bits
        IntVector n = t.reinterpretAsInts().sub(ROUND_BITS);
        FloatVector k = t.sub(ROUND);                                // n as a float
        FloatVector r = k.fma(c(k, -LN2_HI), x);
        r = k.fma(c(k, -LN2_LO), r);                                      // r = x − n·ln2, |r| ≤ ½ln2
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, c(r, 8.3334519073e-3f));
        p = p.fma(r, c(r, 4.1665795894e-2f));
        p = p.fma(r, c(r, 1.6666665459e-1f));
        p = p.fma(r, c(r, 5.0000001201e-1f));
        FloatVector er = p.fma(r.mul(r), r).add(1f);                 // e^r = 1 + r + r²·p(r)
        IntVector n1 = n.lanewise(VectorOperators.ASHR, 1), n2 = n.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return er.mul(s1).mul(s2);
    }

    private static FloatVector c(FloatVector like, float v) { return FloatVector.broadcast(like.species(), v); }

    /** tanh x lane by lane (see the class comment). */
    static FloatVector tanh(FloatVector x) {
        FloatVector e = exp(x.abs().mul(-2f));
        FloatVector t = e.neg().add(1f).div(e.add(1f));
        return t.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
    }
}
