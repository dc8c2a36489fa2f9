package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jmglu.engine.Act;

/**
 * The gate nonlinearities on a whole vector (the epilogues of FlashMGLU and SwiGLU):
 * SiLU x·σ(x) = x / (1 + e^−x); GELU (tanh form) ½x(1 + tanh(√(2/π)(x + 0.044715x³)));
 * ReLU max(x, 0). EXP and TANH are the Vector API's (SVML-backed on x86), within a few ulp
 * of the float64 reference in {@link Act}.
 */
final class VecAct {
    private VecAct() {}

    static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);

    static FloatVector apply(Act g, FloatVector x) {
        return switch (g) {
            case SILU -> x.div(x.neg().lanewise(VectorOperators.EXP).add(1f));
            case GELU -> x.mul(0.5f).mul(x.mul(x).mul(x).mul(0.044715f).add(x).mul(GELU_C).lanewise(VectorOperators.TANH).add(1f));
            case RELU -> x.max(0f);
        };
    }

    /** g'(x) on a vector: SiLU σ(1 + x(1 − σ)); GELU ½(1+th) + ½x(1−th²)·√(2/π)(1 + 3·0.044715x²); ReLU 1[x>0]. */
    static FloatVector derivative(Act g, FloatVector x) {
        return switch (g) {
            case SILU -> {
                FloatVector s = FloatVector.broadcast(x.species(), 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
                yield s.mul(x.mul(s.neg().add(1f)).add(1f));
            }
            case GELU -> {
                FloatVector x2 = x.mul(x);
                FloatVector th = x2.mul(x).mul(0.044715f).add(x).mul(GELU_C).lanewise(VectorOperators.TANH);
                FloatVector du = x2.mul(3 * 0.044715f).add(1f).mul(GELU_C);
                yield th.add(1f).mul(0.5f).add(x.mul(0.5f).mul(th.mul(th).neg().add(1f)).mul(du));
            }
            case RELU -> FloatVector.zero(x.species()).blend(1f, x.compare(VectorOperators.GT, 0f));
        };
    }
}
