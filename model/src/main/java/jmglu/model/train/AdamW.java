package jmglu.model.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.autograd.Var;
import jmglu.engine.Kernels;
import jmglu.engine.Tensor;

/**
 * AdamW (Loshchilov &amp; Hutter) with β = (0.9, 0.99), ε = 1e-8, decoupled weight decay, and global
 * gradient-norm clipping.
 *
 * <p>What decays (nanoGPT's rule plus one exception): every parameter with two or more
 * dimensions — the attention and FFN matrices, the shared MGLU W, the router, the embedding
 * table and an untied LM head — decays with weight decay wd; the 1-D RMSNorm gains do not (they
 * are scales that should stay near 1); the MGLU mask logits do not either: the hard mask only
 * reads their sign, and decay would pull every logit towards the decision boundary 0, where the
 * masks flip at random, instead of letting them settle.
 */
public final class AdamW {
    public static final float BETA1 = 0.9f, BETA2 = 0.99f, EPS = 1e-8f;

    private record Slot(String name, Var p, float[] m, float[] v, boolean decay) {}

    private final List<Slot> slots = new ArrayList<>();
    private final Kernels k;
    private final float weightDecay;
    private int step;   // updates done so far

    public AdamW(Kernels kernels, Map<String, Var> params, float weightDecay) {
        this.k = kernels;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, Var> e : params.entrySet()) {
            int n = e.getValue().value().size();
            slots.add(new Slot(e.getKey(), e.getValue(), new float[n], new float[n], decays(e.getKey(), e.getValue())));
        }
    }

    /** The decay rule documented on the class. */
    public static boolean decays(String name, Var p) {
        return p.shape().length >= 2 && !name.endsWith("mask_logits");
    }

    public int step() { return step; }

    /** √(Σ over all gradients of g²) (missing gradients count as 0). */
    public double gradNorm() {
        double s = 0;
        for (Slot sl : slots) {
            Tensor g = sl.p.grad();
            if (g != null) s += k.sumSquares(g.data(), g.offset(), g.size());
        }
        return Math.sqrt(s);
    }

    /** Scales every gradient by maxNorm/norm when the global norm exceeds maxNorm; returns the norm before clipping. */
    public double clipGradNorm(double maxNorm) {
        double norm = gradNorm();
        if (norm > maxNorm && Double.isFinite(norm)) {
            float s = (float) (maxNorm / norm);
            for (Slot sl : slots) {
                Tensor g = sl.p.grad();
                if (g != null) k.scale(g.data(), g.offset(), g.data(), g.offset(), s, g.size());
            }
        }
        return norm;
    }

    /** One update with learning rate lr; parameters without a gradient keep their moments and value. */
    public void update(float lr) {
        step++;
        for (Slot sl : slots) {
            Tensor g = sl.p.grad();
            if (g == null) continue;
            Tensor p = sl.p.value();
            float[] pa = p.data(), ga = g.data();
            if (p.offset() != 0 || g.offset() != 0) throw new IllegalStateException("AdamW: parameter " + sl.name + " is a view; expected its own storage");
            k.adamw(pa, ga, sl.m, sl.v, p.size(), lr, BETA1, BETA2, EPS, sl.decay ? weightDecay : 0f, step);
        }
    }

    public void zeroGrad() { for (Slot sl : slots) sl.p.zeroGrad(); }

    // ---------------------------------------------------------------- checkpoint state

    /** optim.m.NAME and optim.v.NAME for every parameter, as views of the moments (no copy; the step goes into the metadata). */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Slot sl : slots) {
            int[] shape = sl.p.shape();
            out.put("optim.m." + sl.name, Tensor.of(sl.m, shape));
            out.put("optim.v." + sl.name, Tensor.of(sl.v, shape));
        }
        return out;
    }

    public void loadState(Map<String, Tensor> t, int step) {
        for (Slot sl : slots)
            for (String which : new String[] {"m", "v"}) {
                String name = "optim." + which + "." + sl.name;
                Tensor r = t.get(name);
                if (r == null) throw new IllegalArgumentException("checkpoint has no optimizer state '" + name + "'; it cannot be resumed");
                if (!java.util.Arrays.equals(r.shape(), sl.p.shape()) || r.dtype() != jmglu.engine.DType.F32)
                    throw new IllegalArgumentException("optimizer state '" + name + "' is " + r + ", expected F32 " + java.util.Arrays.toString(sl.p.shape()));
                float[] src = r.toArray();
                System.arraycopy(src, 0, which.equals("m") ? sl.m : sl.v, 0, src.length);
            }
        this.step = step;
    }
}
