package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Row-wise softmax over the last dimension: x (N, C) (or (…, C)) → y, max-subtracted.
 * The output y is saved; backward: dx += y ⊙ (dy − Σ_j dy_j y_j) per row.
 */
public final class Softmax extends Op {
    private final Var x;
    private final int rows, C;
    private float[] y;

    private Softmax(Var x, int rows, int C, float[] y) { super("softmax"); this.x = x; this.rows = rows; this.C = C; this.y = y; }

    public static Var apply(Kernels kn, Var x) {
        Shapes.rankAtLeast("softmax", "x", x, 1);
        Tensor xv = x.value();
        int C = Shapes.last(x), rows = xv.size() / C;
        float[] y = new float[xv.size()];
        kn.softmax(y, 0, xv.data(), xv.offset(), rows, C);
        return new Softmax(x, rows, C, y).record(kn, Tensor.of(y, xv.shape()), x);
    }

    @Override protected void backward(Tensor dy) {
        kernels.softmaxBackward(grad(x), 0, y, 0, dy.data(), 0, rows, C);
    }

    @Override protected void release() { y = null; }
}
