package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.engine.Kernels;
import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Row lookup: out (n, C) = table (V, C) rows ids[0..n).
 * Backward: scatter-add, dtable[ids[i]] += dy[i] (repeated ids accumulate).
 */
public final class Embedding extends Op {
    private final Var table;
    private final int[] ids;
    private final int C;

    private Embedding(Var table, int[] ids, int C) { super("embedding"); this.table = table; this.ids = ids; this.C = C; }

    public static Var apply(Kernels kn, Var table, int[] ids) {
        Shapes.rank("embedding", "table", table, 2);
        Shapes.notNull("embedding", "ids", ids);
        int V = table.shape()[0], C = table.shape()[1];
        if (ids.length == 0) throw Shapes.fail("embedding", "no ids for table " + Shapes.str(table));
        for (int i = 0; i < ids.length; i++)
            if (ids[i] < 0 || ids[i] >= V)
                throw Shapes.fail("embedding", "id " + ids[i] + " at position " + i + " is outside the table " + Shapes.str(table) + " (ids must be in 0.." + (V - 1) + ")");
        Tensor tv = table.value(), out = Tensor.zeros(ids.length, C);
        int[] copy = ids.clone();
        kn.embedding(out.data(), 0, tv.data(), tv.offset(), copy, copy.length, C);
        return new Embedding(table, copy, C).record(kn, out, table);
    }

    @Override protected void backward(Tensor dy) {
        kernels.embeddingBackward(grad(table), 0, dy.data(), 0, ids, ids.length, C);
    }
}
