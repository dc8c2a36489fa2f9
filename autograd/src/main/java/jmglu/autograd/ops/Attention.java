package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Causal self-attention: q, k, v, out (B, T, nH, hd);
 * out = softmax(q kᵀ/√hd + causal mask) v per batch and head. The probabilities
 * att (B, nH, T, T) are saved for the backward (Kernels.attentionBackward), which accumulates
 * dq, dk, dv; datt (B, nH, T, T) is scratch allocated during the backward only.
 */
public final class Attention extends Op {
    private final Var q, k, v;
    private final int B, T, nH, hd;
    private float[] qa, ka, va, att;   // dense copies/views of the inputs and the saved probabilities

    private Attention(Var q, Var k, Var v, int[] s, float[] qa, float[] ka, float[] va, float[] att) {
        super("attention");
        this.q = q; this.k = k; this.v = v;
        this.B = s[0]; this.T = s[1]; this.nH = s[2]; this.hd = s[3];
        this.qa = qa; this.ka = ka; this.va = va; this.att = att;
    }

    public static Var apply(Kernels kn, Var q, Var k, Var v) {
        Shapes.rank("attention", "q", q, 4);
        Shapes.sameShape("attention", "q", q, "k", k);
        Shapes.sameShape("attention", "q", q, "v", v);
        int[] s = q.shape();
        float[] qa = Shapes.dense(q.value()), ka = Shapes.dense(k.value()), va = Shapes.dense(v.value());
        float[] out = new float[q.value().size()], att = new float[s[0] * s[2] * s[1] * s[1]];
        kn.attention(out, att, qa, ka, va, s[0], s[1], s[2], s[3]);
        return new Attention(q, k, v, s, qa, ka, va, att).record(kn, Tensor.of(out, s), q, k, v);
    }

    @Override protected void backward(Tensor dout) {
        int n = qa.length;
        float[] dq = needs(q) ? grad(q) : new float[n];
        float[] dk = needs(k) ? grad(k) : new float[n];
        float[] dv = needs(v) ? grad(v) : new float[n];
        float[] datt = new float[att.length];
        kernels.attentionBackward(dq, dk, dv, datt, dout.data(), qa, ka, va, att, B, T, nH, hd);
    }

    @Override protected void release() { qa = ka = va = att = null; }
}
