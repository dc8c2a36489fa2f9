package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/** out (1) = (1/n) Σ x (accumulated in float64).  Backward: dx += dy[0] / n everywhere. */
public final class Mean extends Op {
    private final Var x;

    private Mean(Var x) { super("mean"); this.x = x; }

    public static Var apply(Kernels kn, Var x) {
        Shapes.notNull("mean", "x", x);
        Tensor xv = x.value();
        double s = kn.sum(xv.data(), xv.offset(), xv.size()) / xv.size();
        return new Mean(x).record(kn, Tensor.of(new float[] {(float) s}, 1), x);
    }

    @Override protected void backward(Tensor dy) {
        Sum.spread(grad(x), (float) (dy.data()[0] / (double) x.value().size()));
    }
}
