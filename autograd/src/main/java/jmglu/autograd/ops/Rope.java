package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Rotary position embedding on x (B, T, nH, hd), positions 0..T−1 (see Kernels.rope): pair j of each
 * head — (x₂ⱼ, x₂ⱼ₊₁) interleaved or (xⱼ, xⱼ₊hd/2) halves — at position p is rotated by
 * θ_j = p·invFreq[j] ({@link jmglu.engine.Rope#invFreq}). A rotation is orthogonal, so the backward
 * rotates dy back: dx += Rᵀ dy.
 */
public final class Rope extends Op {
    private final Var x;
    private final int B, T, nH, hd;
    private final jmglu.engine.Rope rope;

    private Rope(Var x, int B, int T, int nH, int hd, jmglu.engine.Rope rope) {
        super("rope");
        this.x = x; this.B = B; this.T = T; this.nH = nH; this.hd = hd; this.rope = rope;
    }

    public static Var apply(Kernels kn, Var x, jmglu.engine.Rope rope) {
        Shapes.rank("rope", "x", x, 4);
        int[] s = x.shape();
        if (s[3] % 2 != 0) throw Shapes.fail("rope", "x " + Shapes.str(x) + ": head dimension hd must be even");
        if (rope == null) throw Shapes.fail("rope", "rope is null (Rope.interleaved(theta) or Rope.halves(theta, scaling))");
        Tensor xv = x.value(), out = Tensor.zeros(s);
        kn.rope(out.data(), 0, xv.data(), xv.offset(), s[0], s[1], s[2], s[3], 0, rope);
        return new Rope(x, s[0], s[1], s[2], s[3], rope).record(kn, out, x);
    }

    @Override protected void backward(Tensor dy) {
        kernels.ropeBackward(grad(x), 0, dy.data(), 0, B, T, nH, hd, 0, rope);
    }
}
