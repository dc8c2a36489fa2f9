package jmglu.autograd;

import jmglu.engine.Rng;
import jmglu.engine.Tensor;

/** Test inputs: random parameters and constants from fixed seeds. */
final class Vars {
    private Vars() {}

    /** A parameter with std · N(0,1) entries. */
    static Var param(long seed, double std, int... shape) { return Var.param(Tensor.randn(new Rng(seed), std, shape)); }

    /** A parameter whose entries are ±(min + |N(0,1)|·std): kept away from 0 (ReLU kinks, mask thresholds). */
    static Var awayFromZero(long seed, double min, double std, int... shape) {
        Tensor t = Tensor.randn(new Rng(seed), 1.0, shape);
        float[] a = t.data();
        for (int i = 0; i < a.length; i++) a[i] = (float) (Math.signum(a[i]) * (min + Math.abs(a[i]) * std));
        return Var.param(t);
    }

    static Var constant(float[] data, int... shape) { return Var.constant(Tensor.of(data, shape)); }
}
