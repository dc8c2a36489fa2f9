package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/** out = s · a.  Backward: da += s · dy. */
public final class Scale extends Op {
    private final Var a;
    private final float s;

    private Scale(Var a, float s) { super("scale"); this.a = a; this.s = s; }

    public static Var apply(Kernels kn, Var a, float s) {
        Shapes.notNull("scale", "a", a);
        if (!Float.isFinite(s)) throw Shapes.fail("scale", "factor must be finite, got " + s + " for a " + Shapes.str(a));
        Tensor av = a.value(), out = Tensor.zeros(av.shape());
        kn.scale(out.data(), 0, av.data(), av.offset(), s, av.size());
        return new Scale(a, s).record(kn, out, a);
    }

    @Override protected void backward(Tensor dy) {
        kernels.addScaled(grad(a), 0, dy.data(), 0, s, dy.size());
    }
}
