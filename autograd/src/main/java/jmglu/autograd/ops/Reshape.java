package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * A view of x with a new shape of the same size (one dimension may be -1); the value shares x's
 * storage. Backward: dx += dy (the same elements in the same row-major order).
 */
public final class Reshape extends Op {
    private final Var x;

    private Reshape(Var x) { super("reshape"); this.x = x; }

    public static Var apply(Kernels kn, Var x, int... shape) {
        Shapes.notNull("reshape", "x", x);
        Shapes.notNull("reshape", "shape", shape);
        Tensor view;
        try {
            view = x.value().reshape(shape);
        } catch (IllegalArgumentException e) {
            throw Shapes.fail("reshape", "cannot view x " + Shapes.str(x) + " as " + java.util.Arrays.toString(shape));
        }
        return new Reshape(x).record(kn, view, x);
    }

    @Override protected void backward(Tensor dy) {
        kernels.addScaled(grad(x), 0, dy.data(), 0, 1f, dy.size());
    }
}
