package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Mean softmax cross-entropy: logits (N, V) (or (…, V), flattened to N rows) against targets
 * (N) → loss (1) = −(1/N) Σ_r log softmax(logits_r)[target_r]. The probabilities (N, V) are
 * saved; backward: dlogits += dloss/N · (p − onehot(target)).
 * Non-finite logits are rejected: a NaN loss would silently poison every parameter.
 */
public final class CrossEntropy extends Op {
    private final Var logits;
    private final int[] targets;
    private final int N, V;
    private float[] probs;   // (N, V)

    private CrossEntropy(Var logits, int[] targets, int N, int V, float[] probs) {
        super("crossEntropy");
        this.logits = logits; this.targets = targets; this.N = N; this.V = V; this.probs = probs;
    }

    public static Var apply(Kernels kn, Var logits, int[] targets) {
        Shapes.rankAtLeast("crossEntropy", "logits", logits, 1);
        Shapes.notNull("crossEntropy", "targets", targets);
        Tensor lv = logits.value();
        int V = Shapes.last(logits), N = lv.size() / V;
        if (targets.length != N)
            throw Shapes.fail("crossEntropy", "logits " + Shapes.str(logits) + " have " + N + " rows but there are " + targets.length + " targets");
        for (int r = 0; r < N; r++)
            if (targets[r] < 0 || targets[r] >= V)
                throw Shapes.fail("crossEntropy", "target " + targets[r] + " at row " + r + " is outside the vocabulary 0.." + (V - 1) + " of logits " + Shapes.str(logits));
        float[] la = lv.data();
        for (int i = 0; i < lv.size(); i++) {
            float z = la[lv.offset() + i];
            if (!Float.isFinite(z))
                throw Shapes.fail("crossEntropy", "logits " + Shapes.str(logits) + " hold " + z + " at row " + (i / V) + ", column " + (i % V));
        }
        float[] probs = new float[N * V];
        double loss = kn.crossEntropy(probs, la, lv.offset(), targets, N, V);
        return new CrossEntropy(logits, targets.clone(), N, V, probs).record(kn, Tensor.of(new float[] {(float) loss}, 1), logits);
    }

    @Override protected void backward(Tensor dloss) {
        kernels.crossEntropyBackward(grad(logits), 0, probs, targets, N, V, dloss.data()[0]);
    }

    @Override protected void release() { probs = null; }
}
