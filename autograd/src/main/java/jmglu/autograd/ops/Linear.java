package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.autograd.Var;
import jmglu.engine.Kernels;
import jmglu.engine.Tensor;

/**
 * nn.Linear without bias: y (N, out) = x (N, in) · wᵀ, w stored (out, in) row-major.
 * x may carry leading dimensions (…, in); they are flattened into N and kept in y (…, out).
 * Backward: dx (N, in) += dy (N, out) · w;  dw (out, in) += dyᵀ · x.
 */
public final class Linear extends Op {
    private final Var x, w;
    private final int N, in, out;

    private Linear(Var x, Var w, int N, int in, int out) {
        super("linear");
        this.x = x; this.w = w; this.N = N; this.in = in; this.out = out;
    }

    public static Var apply(Kernels kn, Var x, Var w) {
        Shapes.rankAtLeast("linear", "x", x, 1);
        Shapes.rank("linear", "w", w, 2);
        int in = Shapes.last(x), out = w.shape()[0];
        if (w.shape()[1] != in)
            throw Shapes.fail("linear", "x " + Shapes.str(x) + " and w " + Shapes.str(w) + ": inner dimensions differ");
        Tensor xv = x.value(), wv = w.value();
        int N = xv.size() / in;
        Tensor y = Tensor.zeros(Shapes.withLast(xv.shape(), out));
        kn.matmulTransB(y.data(), 0, xv.data(), xv.offset(), wv.data(), wv.offset(), N, in, out, false);
        return new Linear(x, w, N, in, out).record(kn, y, x, w);
    }

    @Override protected void backward(Tensor dy) {
        Kernels k = kernels;
        Tensor xv = x.value(), wv = w.value();
        if (needs(x)) k.matmul(grad(x), 0, dy.data(), 0, wv.data(), wv.offset(), N, out, in, true);
        if (needs(w)) k.matmulTransA(grad(w), 0, dy.data(), 0, xv.data(), xv.offset(), out, N, in, true);
    }
}
