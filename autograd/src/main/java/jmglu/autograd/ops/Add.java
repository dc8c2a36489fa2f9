package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/** out = a + b (same shape).  Backward: da += dy, db += dy. */
public final class Add extends Op {
    private final Var a, b;

    private Add(Var a, Var b) { super("add"); this.a = a; this.b = b; }

    public static Var apply(Kernels kn, Var a, Var b) {
        Shapes.sameShape("add", "a", a, "b", b);
        Tensor av = a.value(), bv = b.value(), out = Tensor.zeros(av.shape());
        kn.add(out.data(), 0, av.data(), av.offset(), bv.data(), bv.offset(), av.size());
        return new Add(a, b).record(kn, out, a, b);
    }

    @Override protected void backward(Tensor dy) {
        int n = dy.size();
        if (needs(a)) kernels.addScaled(grad(a), 0, dy.data(), 0, 1f, n);
        if (needs(b)) kernels.addScaled(grad(b), 0, dy.data(), 0, 1f, n);
    }
}
