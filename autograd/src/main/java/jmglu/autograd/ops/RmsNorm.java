package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * RMSNorm over the last dimension: x (N, C) (or (…, C)), w (C);
 * rstd = 1/√(mean(x²) + eps), out = x · rstd ⊙ w. rstd (N) is saved for the backward:
 * dw += Σ_rows dy ⊙ x̂,  dx += rstd · (dy⊙w − x̂ · mean(dy⊙w⊙x̂)),  x̂ = x · rstd.
 */
public final class RmsNorm extends Op {
    private final Var x, w;
    private final int rows, C;
    private float[] rstd;   // (rows)

    private RmsNorm(Var x, Var w, int rows, int C, float[] rstd) {
        super("rmsnorm");
        this.x = x; this.w = w; this.rows = rows; this.C = C; this.rstd = rstd;
    }

    public static Var apply(Kernels kn, Var x, Var w, float eps) {
        Shapes.rankAtLeast("rmsnorm", "x", x, 1);
        Shapes.rank("rmsnorm", "w", w, 1);
        int C = Shapes.last(x);
        if (w.shape()[0] != C)
            throw Shapes.fail("rmsnorm", "x " + Shapes.str(x) + " and w " + Shapes.str(w) + ": w must have the size of x's last dimension");
        if (!(eps >= 0) || !Float.isFinite(eps)) throw Shapes.fail("rmsnorm", "eps must be finite and >= 0, got " + eps);
        Tensor xv = x.value(), wv = w.value(), out = Tensor.zeros(xv.shape());
        int rows = xv.size() / C;
        float[] rstd = new float[rows];
        kn.rmsnorm(out.data(), 0, rstd, 0, xv.data(), xv.offset(), wv.data(), wv.offset(), rows, C, eps);
        return new RmsNorm(x, w, rows, C, rstd).record(kn, out, x, w);
    }

    @Override protected void backward(Tensor dy) {
        Tensor xv = x.value(), wv = w.value();
        // the kernel writes both gradients: a scratch buffer stands in for the one not wanted
        float[] dx = needs(x) ? grad(x) : new float[xv.size()];
        float[] dw = needs(w) ? grad(w) : new float[C];
        kernels.rmsnormBackward(dx, 0, dw, 0, dy.data(), 0, xv.data(), xv.offset(), wv.data(), wv.offset(), rstd, 0, rows, C);
    }

    @Override protected void release() { rstd = null; }
}
