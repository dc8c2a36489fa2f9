package jmglu.autograd.demo;

import jmglu.autograd.Autograd;
import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Kernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;

import java.io.PrintStream;

/**
 * Trains ONE MGLU layer with learned masks through autograd, end to end, in a few seconds.
 *
 * <p>Task: regression onto a fixed random teacher of the same form,
 * y* = MGLU*(x) · Wo*ᵀ with x (B, h) ~ N(0, 1), a fresh batch every step (so the loss measures
 * generalisation, not memorisation). The student y = MGLU(x) · Woᵀ (SwiMGLU, nm = 4 masks over one
 * shared W (d, h), Wo (h, d)) starts from W, Wo random and mask logits L = 0.01·randn; it
 * minimises mean((y − y*)²) with AdamW (Kernels.adamw) on W, L and Wo together: the hard masks
 * M_i = 1[L_i &gt; 0] are trained through the straight-through estimator, as in the paper.
 */
public final class MgluRegressionDemo {
    private MgluRegressionDemo() {}

    public static final int B = 32, h = 16, d = 32, nm = 4;
    static final Act G = Act.SILU;

    /**
     * What a run measured: the loss per step, the mean loss of always predicting 0 on the same
     * batches (the scale of the targets), and the fraction of mask elements the training flipped.
     */
    public record Result(double[] losses, double zeroLoss, double maskFlips) {}

    /** Trains for steps steps from seed, printing the loss every few steps to out (may be null). */
    public static Result train(Kernels k, long seed, int steps, PrintStream out) { return train(k, seed, steps, out, true); }

    /** As {@link #train(Kernels, long, int, PrintStream)}; with trainMasks false the mask logits stay at their initial values (ablation). */
    public static Result train(Kernels k, long seed, int steps, PrintStream out, boolean trainMasks) {
        F f = new F(k);
        if (steps < 1) throw new IllegalArgumentException("MgluRegressionDemo: steps must be >= 1, got " + steps);
        Rng rng = new Rng(seed);
        // teacher (constants)
        Var tW = Var.constant(Tensor.randn(rng, 1 / Math.sqrt(h), d, h));
        Var tL = Var.constant(Tensor.randn(rng, 1, nm, d, h));
        Var tWo = Var.constant(Tensor.randn(rng, 1 / Math.sqrt(d), h, d));
        // student (parameters)
        Var W = Var.param(Tensor.randn(rng, 1 / Math.sqrt(h), d, h));
        Tensor l0 = Tensor.randn(rng, 0.01, nm, d, h);
        Var L = trainMasks ? Var.param(l0) : Var.constant(l0);
        Var Wo = Var.param(Tensor.randn(rng, 1 / Math.sqrt(d), h, d));
        Var[] params = trainMasks ? new Var[] {W, L, Wo} : new Var[] {W, Wo};
        float[] L0 = L.value().toArray();
        float[][] m = new float[params.length][], v = new float[params.length][];
        for (int p = 0; p < params.length; p++) { m[p] = new float[params[p].value().size()]; v[p] = new float[m[p].length]; }
        float lr0 = 1e-2f, wd = 0f;
        double[] losses = new double[steps];
        double zeroLoss = 0;   // Σ mean(y*²): the loss of always predicting 0, for scale
        int every = Math.max(1, steps / 20);
        if (out != null)
            out.printf("MGLU regression: B=%d h=%d d=%d nm=%d g=%s, AdamW lr=%.0e with cosine decay, %d steps, kernels=%s%n", B, h, d, nm, G, lr0, steps, k.name());
        for (int step = 1; step <= steps; step++) {
            Var x = Var.constant(Tensor.randn(rng, 1, B, h));                                      // (B, h)
            Var target = Autograd.noGrad(() -> f.linear(f.mglu(x, tW, tL, G), tWo));                // (B, h)
            Var pred = f.linear(f.mglu(x, W, L, G), Wo);                                            // (B, h)
            Var diff = f.add(pred, f.scale(target, -1f));
            Var loss = f.mean(f.mul(diff, diff));                                                   // (1)
            zeroLoss += Autograd.noGrad(() -> f.mean(f.mul(target, target))).value().get(0);
            for (Var p : params) p.zeroGrad();
            loss.backward();
            float lr = (float) (lr0 * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / steps)));   // cosine decay to 0
            for (int p = 0; p < params.length; p++) {
                Tensor pv = params[p].value();
                k.adamw(pv.data(), params[p].grad().data(), m[p], v[p], pv.size(), lr, 0.9f, 0.999f, 1e-8f, wd, step);
            }
            losses[step - 1] = loss.value().get(0);
            if (out != null && (step == 1 || step % every == 0 || step == steps))
                out.printf("step %4d  loss %.5f  masks on %.1f%%%n", step, losses[step - 1], 100 * onFraction(L));
        }
        float[] L1 = L.value().toArray();
        int flips = 0;
        for (int i = 0; i < L0.length; i++) if ((L0[i] > 0) != (L1[i] > 0)) flips++;
        Result r = new Result(losses, zeroLoss / steps, (double) flips / L0.length);
        if (out != null) out.printf("(predicting 0 scores %.5f on the same batches; training flipped %.1f%% of the mask elements)%n", r.zeroLoss(), 100 * r.maskFlips());
        return r;
    }

    /** Fraction of mask elements that are on (L &gt; 0). */
    static double onFraction(Var L) {
        float[] a = L.value().toArray();
        int on = 0;
        for (float x : a) if (x > 0) on++;
        return (double) on / a.length;
    }

    /**
     * Runs the demo, printing the loss every few steps, then the same run (same initialisation and
     * batches) with the masks frozen, to show what training the masks adds.
     */
    public static void run(Kernels k, PrintStream out, long seed, int steps) {
        long t0 = System.nanoTime();
        double[] l = train(k, seed, steps, out).losses();
        int tail = Math.min(10, steps);
        out.printf("loss %.5f -> %.5f (mean of the first and last %d steps: %.5f -> %.5f) in %.1f s%n", l[0], l[l.length - 1],
                tail, meanOf(l, 0, tail), meanOf(l, steps - tail, steps), (System.nanoTime() - t0) / 1e9);
        double[] frozen = train(k, seed, steps, null, false).losses();
        out.printf("same batches with the masks frozen at their initialisation: last %d steps %.5f (learned masks: %.5f)%n",
                tail, meanOf(frozen, steps - tail, steps), meanOf(l, steps - tail, steps));
    }

    /** Mean of a[from, to) clipped to the array. */
    public static double meanOf(double[] a, int from, int to) {
        from = Math.max(0, from); to = Math.min(a.length, to);
        double s = 0;
        for (int i = from; i < to; i++) s += a[i];
        return s / (to - from);
    }

    /** Usage: MgluRegressionDemo [seed] [steps] (on the reference kernels). */
    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 1;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        run(new jmglu.engine.ReferenceKernels(), System.out, seed, steps);
    }
}
