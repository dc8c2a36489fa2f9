package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;

/**
 * Masked GLU (MoEG, arXiv 2506.23225): x (N, h) (or (…, h)), W (d, h), mask logits L (nm, d, h)
 * → y (N, d) = Σ_i g(s_i) ⊙ (t − s_i), with hard masks M_i = 1[L_i &gt; 0], t = x Wᵀ and
 * s_i = x (M_i⊙W)ᵀ, i.e. Σ_i g(gate_i) ⊙ value_i with gate_i = x(M_i⊙W)ᵀ, value_i = x((1−M_i)⊙W)ᵀ.
 *
 * <p>The masks are packed into bit-planes and t, s come from Kernels.mgluScores in one pass over
 * W; t and s (nm·N·d floats) are saved for the backward ({@link MgluCore#backward}). The mask
 * logits get the straight-through gradient dL_i = dM_i = W ⊙ (ds_iᵀ x).
 */
public final class Mglu extends Op {
    private final Var x, w, L;
    private final Act g;
    private final int N;
    private float[] xa, wa, t, s;
    private MaskPlanes masks;

    private Mglu(Var x, Var w, Var L, Act g, int N, float[] xa, float[] wa, MaskPlanes masks, float[] t, float[] s) {
        super("mglu");
        this.x = x; this.w = w; this.L = L; this.g = g; this.N = N;
        this.xa = xa; this.wa = wa; this.masks = masks; this.t = t; this.s = s;
    }

    public static Var apply(Kernels kn, Var x, Var w, Var maskLogits, Act g) {
        int[] dims = check("mglu", x, w, maskLogits, g);
        int N = dims[0], h = dims[1], d = dims[2], nm = dims[3];
        float[] xa = Shapes.dense(x.value()), wa = Shapes.dense(w.value());
        MaskPlanes m = MaskPacker.pack(Shapes.dense(maskLogits.value()), nm, d, h);
        float[] t = new float[N * d], s = new float[nm * N * d];
        MgluCore.scores(kn, t, s, xa, wa, m, N);
        float[] y = MgluCore.combine(kn, g, t, s, null, N, d, nm);
        Tensor out = Tensor.of(y, Shapes.withLast(x.shape(), d));
        return new Mglu(x, w, maskLogits, g, N, xa, wa, m, t, s).record(kn, out, x, w, maskLogits);
    }

    /** Validates the MGLU operands; returns {N, h, d, nm}. */
    static int[] check(String op, Var x, Var w, Var L, Act g) {
        Shapes.notNull(op, "g", g);
        Shapes.rankAtLeast(op, "x", x, 2);
        Shapes.rank(op, "w", w, 2);
        Shapes.rank(op, "maskLogits", L, 3);
        int h = Shapes.last(x), d = w.shape()[0], nm = L.shape()[0];
        if (w.shape()[1] != h)
            throw Shapes.fail(op, "x " + Shapes.str(x) + " and w " + Shapes.str(w) + ": inner dimensions differ");
        if (nm < 1 || nm > MaskPlanes.MAX_MASKS)
            throw Shapes.fail(op, "nm must be in 1.." + MaskPlanes.MAX_MASKS + ", got maskLogits " + Shapes.str(L));
        if (L.shape()[1] != d || L.shape()[2] != h)
            throw Shapes.fail(op, "maskLogits " + Shapes.str(L) + " and w " + Shapes.str(w) + ": each mask must have w's shape");
        return new int[] {x.value().size() / h, h, d, nm};
    }

    @Override protected void backward(Tensor dy) {
        MgluCore.backward(kernels, g, dy.data(), null, t, s, xa, wa, masks, N,
                needs(x) ? grad(x) : null, needs(w) ? grad(w) : null, needs(L) ? grad(L) : null, null);
    }

    @Override protected void release() { xa = wa = t = s = null; masks = null; }
}
