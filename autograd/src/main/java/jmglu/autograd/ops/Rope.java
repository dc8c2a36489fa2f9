package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Rotary position embedding on x (B, T, nH, hd), positions 0..T−1, interleaved pairs
 * (see Kernels.rope): each pair (x₂ⱼ, x₂ⱼ₊₁) at position p is rotated by θ_j = p·theta^(−2j/hd).
 * A rotation is orthogonal, so the backward rotates dy back: dx += Rᵀ dy.
 */
public final class Rope extends Op {
    private final Var x;
    private final int B, T, nH, hd;
    private final float theta;

    private Rope(Var x, int B, int T, int nH, int hd, float theta) {
        super("rope");
        this.x = x; this.B = B; this.T = T; this.nH = nH; this.hd = hd; this.theta = theta;
    }

    public static Var apply(Kernels kn, Var x, float theta) {
        Shapes.rank("rope", "x", x, 4);
        int[] s = x.shape();
        if (s[3] % 2 != 0) throw Shapes.fail("rope", "x " + Shapes.str(x) + ": head dimension hd must be even");
        if (!(theta > 0) || !Float.isFinite(theta)) throw Shapes.fail("rope", "theta must be finite and > 0, got " + theta);
        Tensor xv = x.value(), out = Tensor.zeros(s);
        kn.rope(out.data(), 0, xv.data(), xv.offset(), s[0], s[1], s[2], s[3], 0, theta);
        return new Rope(x, s[0], s[1], s[2], s[3], theta).record(kn, out, x);
    }

    @Override protected void backward(Tensor dy) {
        kernels.ropeBackward(grad(x), 0, dy.data(), 0, B, T, nH, hd, 0, theta);
    }
}
