package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Grouped-query attention's key/value sharing: x (B, T, nKv, hd) → out (B, T, nKv·group, hd),
 * out[b, t, j, :] = x[b, t, j / group, :] (query head j reads key/value head j / group, as
 * HF's repeat_kv). Head j of row (b, t) sits at ((b·T + t)·nH + j)·hd, nH = nKv·group.
 * Backward: each key/value head gathers its group: dx[b, t, g, :] += Σ_{j : j/group = g} dy[b, t, j, :].
 * group = 1 is x itself (no copy, no op).
 */
public final class RepeatKv extends Op {
    private final Var x;
    private final int rows, nKv, group, hd;

    private RepeatKv(Var x, int rows, int nKv, int group, int hd) {
        super("repeatKv");
        this.x = x; this.rows = rows; this.nKv = nKv; this.group = group; this.hd = hd;
    }

    public static Var apply(Kernels kn, Var x, int group) {
        Shapes.rank("repeatKv", "x", x, 4);
        if (group < 1) throw Shapes.fail("repeatKv", "group must be ≥ 1, got " + group);
        if (group == 1) return x;
        int[] s = x.shape();
        int rows = s[0] * s[1], nKv = s[2], hd = s[3], nH = nKv * group;
        float[] xa = Shapes.dense(x.value()), out = new float[Math.multiplyExact(rows, nH * hd)];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < nH; j++) System.arraycopy(xa, (r * nKv + j / group) * hd, out, (r * nH + j) * hd, hd);
        return new RepeatKv(x, rows, nKv, group, hd).record(kn, Tensor.of(out, s[0], s[1], nH, hd), x);
    }

    @Override protected void backward(Tensor dy) {
        float[] dx = grad(x), d = dy.data();
        int nH = nKv * group;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < nH; j++) kernels.addScaled(dx, (r * nKv + j / group) * hd, d, (r * nH + j) * hd, 1f, hd);
    }
}
