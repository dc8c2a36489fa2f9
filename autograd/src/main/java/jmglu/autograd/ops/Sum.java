package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/** out (1) = Σ x (accumulated in float64).  Backward: dx += dy[0] everywhere. */
public final class Sum extends Op {
    private final Var x;

    private Sum(Var x) { super("sum"); this.x = x; }

    public static Var apply(Kernels kn, Var x) {
        Shapes.notNull("sum", "x", x);
        Tensor xv = x.value();
        double s = kn.sum(xv.data(), xv.offset(), xv.size());
        return new Sum(x).record(kn, Tensor.of(new float[] {(float) s}, 1), x);
    }

    @Override protected void backward(Tensor dy) {
        spread(grad(x), dy.data()[0]);
    }

    /** g[i] += v for every i. */
    static void spread(float[] g, float v) {
        for (int i = 0; i < g.length; i++) g[i] += v;
    }
}
