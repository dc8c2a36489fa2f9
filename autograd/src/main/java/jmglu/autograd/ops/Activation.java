package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Tensor;

/** out = g(x) elementwise, g = SiLU / GELU (tanh form) / ReLU.  Backward: dx += g'(x) ⊙ dy. */
public final class Activation extends Op {
    private final Act g;
    private final Var x;

    private Activation(Act g, Var x) { super("act"); this.g = g; this.x = x; }

    public static Var apply(Kernels kn, Act g, Var x) {
        Shapes.notNull("act", "g", g);
        Shapes.notNull("act", "x", x);
        Tensor xv = x.value(), out = Tensor.zeros(xv.shape());
        kn.act(g, out.data(), 0, xv.data(), xv.offset(), xv.size());
        return new Activation(g, x).record(kn, out, x);
    }

    @Override protected void backward(Tensor dy) {
        Tensor xv = x.value();
        kernels.actBackward(g, grad(x), 0, xv.data(), xv.offset(), dy.data(), 0, dy.size());
    }
}
