package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Kernels;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;
import jmglu.engine.TopK;

/**
 * Top-K routed MGLU: router logits r (N, nm) = x routerᵀ, router (nm, h); per row keep the K
 * largest (ties to the lower index, as jmglu.engine.decode.TopK), softmax over the kept → G
 * (N, nm), zero elsewhere; y (N, d) = Σ_{i∈topK} G_i · g(s_i) ⊙ (t − s_i).
 *
 * <p>The selection is a constant of the forward. Backward: the MGLU part with route upstream
 * G_i·dy (see {@link MgluCore}), dG[b, i] = ⟨dy_b, u_i,b⟩, then the softmax over the kept logits:
 * dr = G ⊙ (dG − Σ_j G_j dG_j) (zero for the dropped routes, where G = 0), so
 * drouter += drᵀ x and dx += dr · router on top of the MGLU part.
 */
public final class MgluTopK extends Op {
    private final Var x, w, L, router;
    private final Act g;
    private final int N;
    private float[] xa, wa, ra, t, s, G;
    private MaskPlanes masks;

    private MgluTopK(Var x, Var w, Var L, Var router, Act g, int N) {
        super("mgluTopK");
        this.x = x; this.w = w; this.L = L; this.router = router; this.g = g; this.N = N;
    }

    public static Var apply(Kernels kn, Var x, Var w, Var maskLogits, Var router, int k, Act g) {
        int[] dims = Mglu.check("mgluTopK", x, w, maskLogits, g);
        int N = dims[0], h = dims[1], d = dims[2], nm = dims[3];
        Shapes.rank("mgluTopK", "router", router, 2);
        if (router.shape()[0] != nm || router.shape()[1] != h)
            throw Shapes.fail("mgluTopK", "router " + Shapes.str(router) + " must be (nm, h) = (" + nm + ", " + h + ") for maskLogits "
                    + Shapes.str(maskLogits) + " and x " + Shapes.str(x));
        if (k < 1 || k > nm) throw Shapes.fail("mgluTopK", "k must be in 1.." + nm + " (nm of maskLogits " + Shapes.str(maskLogits) + "), got " + k);
        MgluTopK op = new MgluTopK(x, w, maskLogits, router, g, N);
        op.xa = Shapes.dense(x.value());
        op.wa = Shapes.dense(w.value());
        op.ra = Shapes.dense(router.value());
        // r (N, nm) = x routerᵀ; G row b = softmax over the k largest of r_b
        float[] r = new float[N * nm];
        kn.matmulTransB(r, 0, op.xa, 0, op.ra, 0, N, h, nm, false);
        op.G = new float[N * nm];
        for (int b = 0; b < N; b++) {
            float[] rb = java.util.Arrays.copyOfRange(r, b * nm, (b + 1) * nm);
            for (int i = 0; i < nm; i++)
                if (!Float.isFinite(rb[i]))
                    throw Shapes.fail("mgluTopK", "router logits of row " + b + " hold " + rb[i] + " (x " + Shapes.str(x) + ", router " + Shapes.str(router) + ")");
            System.arraycopy(TopK.weights(rb, nm, k), 0, op.G, b * nm, nm);
        }
        op.masks = MaskPacker.pack(Shapes.dense(maskLogits.value()), nm, d, h);
        op.t = new float[N * d];
        op.s = new float[nm * N * d];
        MgluCore.scores(kn, op.t, op.s, op.xa, op.wa, op.masks, N);
        float[] y = MgluCore.combine(kn, g, op.t, op.s, op.G, N, d, nm);
        return op.record(kn, Tensor.of(y, Shapes.withLast(x.shape(), d)), x, w, maskLogits, router);
    }

    /** The routing weights G (N, nm) of the forward (zero for dropped routes); for tests. */
    public static float[] routing(Kernels kernels, Var x, Var router, int k) {
        int nm = router.shape()[0], h = router.shape()[1], N = x.value().size() / h;
        float[] r = new float[N * nm], G = new float[N * nm];
        kernels.matmulTransB(r, 0, Shapes.dense(x.value()), 0, Shapes.dense(router.value()), 0, N, h, nm, false);
        for (int b = 0; b < N; b++)
            System.arraycopy(TopK.weights(java.util.Arrays.copyOfRange(r, b * nm, (b + 1) * nm), nm, k), 0, G, b * nm, nm);
        return G;
    }

    @Override protected void backward(Tensor dy) {
        Kernels k = kernels;
        int nm = masks.nm(), h = masks.cols();
        boolean viaRouter = needs(router) || needs(x);
        float[] dG = viaRouter ? new float[N * nm] : null;
        float[] dx = needs(x) ? grad(x) : null;
        MgluCore.backward(k, g, dy.data(), G, t, s, xa, wa, masks, N,
                dx, needs(w) ? grad(w) : null, needs(L) ? grad(L) : null, dG);
        if (!viaRouter) return;
        float[] dr = new float[N * nm];                 // (N, nm) softmax backward over the kept
        k.softmaxBackward(dr, 0, G, 0, dG, 0, N, nm);
        if (needs(router)) k.matmulTransA(grad(router), 0, dr, 0, xa, 0, nm, N, h, true);
        if (dx != null) k.matmul(dx, 0, dr, 0, ra, 0, N, nm, h, true);
    }

    @Override protected void release() { xa = wa = ra = t = s = G = null; masks = null; }
}
