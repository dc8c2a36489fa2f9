package jmglu.autograd;

import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;

import java.util.function.Supplier;

/**
 * Gradient checking by central finite differences.
 *
 * <p>For a function f of some parameters (rebuilt on every call from their current values), the
 * checked scalar is L = Σ_j c_j · f_j with fixed random weights c (c = 1 when f is a scalar), so
 * every output element matters. The analytic gradient comes from autograd's backward of
 * sum(mul(f, c)); the numeric one is (L(p + ε) − L(p − ε)) / (actual step) per parameter element,
 * with L summed in float64 so that only f's own float32 rounding limits the precision. Ops run
 * in float32: use ε ≈ 1e-2…1e-3 and a tolerance abs + rel·|numeric|, e.g. 2e-3 + 2e-2.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The analytic gradients of L w.r.t. params (zeros where none flowed), in params order. */
    public static float[][] analytic(Supplier<Var> f, float[] c, Var... params) {
        for (Var p : params) p.zeroGrad();
        Var out = f.get();
        F ref = new F(new ReferenceKernels());             // the weighting is plain arithmetic: any kernels do
        Var loss = ref.sum(ref.mul(out, Var.constant(Tensor.of(c.clone(), out.shape()))));
        loss.backward();
        float[][] g = new float[params.length][];
        for (int i = 0; i < params.length; i++)
            g[i] = params[i].grad() == null ? new float[params[i].value().size()] : params[i].grad().toArray();
        return g;
    }

    /** The central-difference gradient of L w.r.t. p (p's value is perturbed in place and restored). */
    public static double[] numeric(Supplier<Var> f, float[] c, Var p, double eps) {
        Tensor v = p.value();
        float[] data = v.data();
        double[] g = new double[v.size()];
        for (int j = 0; j < g.length; j++) {
            int at = v.offset() + j;
            float orig = data[at];
            float plus = (float) (orig + eps), minus = (float) (orig - eps);
            data[at] = plus;
            double lp = weighted(f, c);
            data[at] = minus;
            double lm = weighted(f, c);
            data[at] = orig;
            g[j] = (lp - lm) / ((double) plus - (double) minus);
        }
        return g;
    }

    /** L = Σ c ⊙ f in float64, evaluated without recording a graph. */
    public static double weighted(Supplier<Var> f, float[] c) {
        float[] y = Autograd.noGrad(() -> f.get().value().toArray());
        if (y.length != c.length) throw new IllegalArgumentException("GradCheck: f has " + y.length + " elements, weights " + c.length);
        double s = 0;
        for (int j = 0; j < y.length; j++) s += (double) c[j] * y[j];
        return s;
    }

    /** Random weights c for f's output (1 for a scalar), from a fixed seed. */
    public static float[] weights(Supplier<Var> f, long seed) {
        int n = Autograd.noGrad(() -> f.get().value().size());
        float[] c = new float[n];
        if (n == 1) c[0] = 1f;
        else new Rng(seed).fillGaussian(c, 0, n, 1.0);
        return c;
    }

    /**
     * Checks every element of every param: |analytic − numeric| ≤ abs + rel·|numeric|; throws an
     * AssertionError naming the check, the param, the element and both values. Returns the
     * largest |analytic − numeric| seen.
     */
    public static double check(String what, Supplier<Var> f, double eps, double abs, double rel, Var... params) {
        float[] c = weights(f, 1234);
        float[][] ana = analytic(f, c, params);
        double worst = 0;
        for (int i = 0; i < params.length; i++) {
            double[] num = numeric(f, c, params[i], eps);
            for (int j = 0; j < num.length; j++) {
                double diff = Math.abs(ana[i][j] - num[j]);
                worst = Math.max(worst, diff);
                if (!(diff <= abs + rel * Math.abs(num[j])))
                    throw new AssertionError(what + ": d/d(param " + i + " " + java.util.Arrays.toString(params[i].shape()) + ")[" + j + "] analytic "
                            + ana[i][j] + " vs numeric " + num[j] + " (|diff| " + diff + " > abs " + abs + " + rel " + rel + "·|numeric|)");
            }
        }
        return worst;
    }
}
