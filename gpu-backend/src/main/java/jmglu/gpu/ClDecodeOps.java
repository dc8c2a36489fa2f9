package jmglu.gpu;

import static jmglu.gpu.OpenClBackend.elems;
import static jmglu.gpu.OpenClBackend.int16;

import java.util.HashMap;
import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.Rope;
import jmglu.engine.RopeTable;
import jmglu.engine.Tensor;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The {@link OpenClBackend} ops of decode.cl: embedding, rmsnorm, rope, act and the
 * epilogues of the matrix ops (the attention is in {@link ClAttention}). Semantics are {@link jmglu.engine.HostBackend}'s;
 * shapes are checked here, before any launch. Batches go in launches of up to 16 rows (per-row token
 * ids and positions are one int16 kernel argument, so nothing is written to the device per call).
 * RoPE reads cos/sin from a table computed on the host in float64 ({@link jmglu.engine.RopeTable}, the
 * reference's floats) and uploaded once per (rope, hd), again only when a position beyond it comes (the
 * size doubles); the kernels get the pair style as a flag.
 */
final class ClDecodeOps {
    private static final int CHUNK = 16;
    private final OpenClBackend be;
    private final OpenClContext cl;
    private final Map<TableKey, DeviceTable> ropeTables = new HashMap<>();

    private record TableKey(Rope rope, int hd) {}
    private record DeviceTable(cl_mem mem, int positions) {}

    ClDecodeOps(OpenClBackend be) {
        this.be = be;
        this.cl = be.cl;
    }

    private cl_kernel kernel(String name) { return cl.kernel("decode.cl", "", name); }

    /** out (B, C) F32 = table[ids[b]] widened; table (V, C) F32/BF16/F16. */
    void embedding(Tensor out, Tensor table, int[] ids) { launch(embeddingLater(out, table, ids, null, null, ids.length)); }

    /** The buffer of an embedding table, after checking it is (V, C) F32/BF16/F16 on this backend. */
    private ClBuffer table(Tensor table) {
        ClBuffer tb = be.buf(table, "embedding", "table");
        if (table.rank() != 2 || table.dtype() == DType.I32)
            throw new IllegalArgumentException("embedding: table must be (V, C) F32/BF16/F16, got " + table);
        return tb;
    }

    /** out (rows, C) = x · rstd · w per row; w (C) F32. */
    void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) {
        ClBuffer wb = be.buf(w, "rmsnorm", "w");
        if (w.dtype() != DType.F32) throw new IllegalArgumentException("rmsnorm: w must be F32, got " + w);
        int C = w.size();
        if (x.size() % C != 0) throw new IllegalArgumentException("rmsnorm: x " + x + " is not rows of " + C);
        int rows = x.size() / C;
        ClBuffer xb = be.f32(x, "rmsnorm", "x", x.size()), ob = be.f32(out, "rmsnorm", "out", x.size());
        launchRmsnorm(cl, ob.mem(), elems(out), xb.mem(), elems(x), wb.mem(), elems(w), rows, C, eps);
    }

    /** decode.cl rmsnorm, a work-group per row: out[oo + r·C ..] = x[xo + r·C ..] · rstd · w[wo ..] for rows r. */
    static void launchRmsnorm(OpenClContext cl, cl_mem out, int oo, cl_mem x, int xo, cl_mem w, int wo, int rows, int C, float eps) {
        int ls = (int) Math.min(256, cl.maxWorkGroup);
        cl.launch(cl.kernel("decode.cl", "", "rmsnorm"), (long) rows * ls, ls, null, out, oo, x, xo, w, wo, C, eps, new OpenClContext.Local(4L * ls));
    }

    /** out[b] = argmax of row b of logits (B, V) (ties to the lower index; −1 for a NaN or +Inf row): one launch, B ints read back. */
    void argmax(int[] out, Tensor logits) {
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        if (out.length < B) throw new IllegalArgumentException("argmax: " + B + " rows of logits, out has " + out.length);
        cl_mem ids = be.scratch.slot(ClScratch.IDS, 4L * B);
        argmax(ids, logits);
        cl.readInts(ids, 0, out, B);
    }

    /** The same into ids[0, B) of a device buffer, nothing read back. */
    void argmax(cl_mem ids, Tensor logits) {
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        ClBuffer lb = be.f32(logits, "argmax", "logits", (long) B * V);
        int ls = (int) Math.min(256, cl.maxWorkGroup);
        cl.launch(kernel("argmax_rows"), (long) B * ls, ls, null, ids, lb.mem(), elems(logits), V,
                new OpenClContext.Local(4L * ls), new OpenClContext.Local(4L * ls), new OpenClContext.Local(4L * ls));
    }

    /** out (B, C) F32 = table[ids[b]] with the B ids in a device buffer (an id outside the vocabulary gives a row of NaN). */
    void embedding(Tensor out, Tensor table, cl_mem ids, int B) { launch(embeddingLater(out, table, null, null, ids, B)); }

    /**
     * out (B, C) = table[ids] resolved and checked but not launched: {@link #launch(Embed)} writes it (embed with the host's
     * ids, embed_ids with ids on the device), or a consumer gathers the rows itself ({@link Embed#in}). hostIds or ids.
     */
    record Embed(Tensor out, Tensor idsT, cl_mem outMem, int oo, cl_mem table, int to, int wt, int[] hostIds, cl_mem ids, int B, int C, int V) {
        /** The rows as a GEMV input (gemv_b1.cl EMBIN; one host id at most), write: the embedding's own launch. */
        GemvExtras.EmbIn in(Runnable write) {
            return new GemvExtras.EmbIn(table, to, wt, ids != null ? ids : table, ids != null ? Integer.MIN_VALUE : hostIds[0], V, write);
        }
    }

    /** {@link #embedding(Tensor, Tensor, int[])} or (host null) {@link #embedding(Tensor, Tensor, cl_mem, int)}, not launched yet. */
    Embed embeddingLater(Tensor out, Tensor table, int[] host, Tensor idsT, cl_mem ids, int B) {
        ClBuffer tb = table(table);
        int V = table.dim(0), C = table.dim(1);
        ClBuffer ob = be.f32(out, "embedding", "out", (long) B * C);
        if (host != null)
            for (int id : host) if (id < 0 || id >= V) throw new IllegalArgumentException("embedding: token " + id + " outside vocabulary of " + V);
        return new Embed(out, idsT, ob.mem(), elems(out), tb.mem(), elems(table), OpenClMglu.wt(table.dtype()), host == null ? null : host.clone(),
                ids, B, C, V);
    }

    /** Writes an embedding made by {@link #embeddingLater} (one launch per 16 rows). */
    void launch(Embed e) {
        if (e.ids() != null) {
            cl.launch(kernel("embed_ids"), (long) e.B() * e.C(), 0, null, e.outMem(), e.oo(), e.table(), e.to(), e.wt(), e.ids(), e.B(), e.C(), e.V());
            return;
        }
        for (int b0 = 0; b0 < e.B(); b0 += CHUNK) {
            int n = Math.min(CHUNK, e.B() - b0);
            cl.launch(kernel("embed"), (long) n * e.C(), 0, null, e.outMem(), e.oo() + b0 * e.C(), e.table(), e.to(), e.wt(),
                    int16(e.hostIds(), b0, b0 + n), n, e.C());
        }
    }

    /** RoPE in place on x (B, nH·hd), row b at position pos[b], pairs as rope says. */
    void rope(Tensor x, int nH, int hd, int[] pos, Rope rope) {
        if (hd <= 0 || hd % 2 != 0 || nH <= 0) throw new IllegalArgumentException("rope: needs nH ≥ 1 and an even head size, got nH=" + nH + " hd=" + hd);
        int B = pos.length, maxPos = 0;
        ClBuffer xb = be.f32(x, "rope", "x", (long) B * nH * hd);
        for (int p : pos) {
            if (p < 0) throw new IllegalArgumentException("rope: negative position " + p);
            maxPos = Math.max(maxPos, p);
        }
        cl_mem tab = ropeTable(rope, hd, maxPos);
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            cl.launch(kernel("rope"), (long) n * nH * (hd / 2), 0, null, xb.mem(), elems(x) + b0 * nH * hd, tab,
                    int16(pos, b0, b0 + n), n, nH, hd, rope.halves() ? 1 : 0);
        }
    }

    /** The kernels' rope flag: 1 interleaved pairs (2j, 2j+1), 2 halves (j, j + hd/2); 0 is "no RoPE". */
    static int mode(Rope rope) { return rope.halves() ? 2 : 1; }

    /** The (P, hd/2, 2) cos/sin table of (rope, hd) with P > maxPos: [p][j] = cos θ, sin θ, θ = p · invFreq[j]. */
    cl_mem ropeTable(Rope rope, int hd, int maxPos) {
        TableKey key = new TableKey(rope, hd);
        DeviceTable t = ropeTables.get(key);
        if (t != null && t.positions() > maxPos) return t.mem();
        int P = Math.max(64, Integer.highestOneBit(Math.max(1, maxPos)) << 1), half = hd / 2;
        RopeTable host = RopeTable.build(rope, hd, P);
        float[] tab = new float[P * hd];
        for (int i = 0; i < P * half; i++) {
            tab[2 * i] = host.cos()[i];
            tab[2 * i + 1] = host.sin()[i];
        }
        if (t != null) OpenClContext.release(t.mem());                    // freed once the launches using it have run
        cl_mem m = cl.upload(tab);
        ropeTables.put(key, new DeviceTable(m, P));
        return m;
    }

    /** x = g(x) in place. */
    void act(Act g, Tensor x) {
        ClBuffer xb = be.f32(x, "act", "x", x.size());
        launchAct(xb.mem(), elems(x), x.size(), g);
    }

    void launchAct(cl_mem x, int xo, int n, Act g) { cl.launch(kernel("act_inplace"), n, 0, null, x, xo, n, g.ordinal()); }

    /** a[ao, ao + n) ⊙= b[bo, bo + n). */
    void launchMul(cl_mem a, int ao, cl_mem b, int bo, int n) { cl.launch(kernel("mul_inplace"), n, 0, null, a, ao, b, bo, n); }

    /** y[yo..] = the top-K combination of t (n, d), s (nm, n, d), r (n, nm) (see decode.cl topk_combine). */
    void launchTopK(cl_mem y, int yo, cl_mem t, cl_mem s, cl_mem r, int n, int d, int nm, int k, Act g) {
        cl.launch(kernel("topk_combine"), (long) n * d, 0, null, y, yo, t, s, r, n, d, nm, k, g.ordinal());
    }
}
