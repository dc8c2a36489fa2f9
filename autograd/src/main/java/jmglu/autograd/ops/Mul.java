package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.autograd.Var;
import jmglu.engine.Kernels;
import jmglu.engine.Tensor;

/** out = a ⊙ b (same shape).  Backward: da += dy ⊙ b, db += dy ⊙ a. */
public final class Mul extends Op {
    private Var a, b;

    private Mul(Var a, Var b) { super("mul"); this.a = a; this.b = b; }

    public static Var apply(Kernels kn, Var a, Var b) {
        Shapes.sameShape("mul", "a", a, "b", b);
        Tensor av = a.value(), bv = b.value(), out = Tensor.zeros(av.shape());
        kn.mul(out.data(), 0, av.data(), av.offset(), bv.data(), bv.offset(), av.size());
        return new Mul(a, b).record(kn, out, a, b);
    }

    @Override protected void backward(Tensor dy) {
        Kernels k = kernels;
        Tensor av = a.value(), bv = b.value();
        int n = dy.size();
        if (needs(a)) k.mulAcc(grad(a), 0, dy.data(), 0, bv.data(), bv.offset(), n);
        if (needs(b)) k.mulAcc(grad(b), 0, dy.data(), 0, av.data(), av.offset(), n);
    }
}
