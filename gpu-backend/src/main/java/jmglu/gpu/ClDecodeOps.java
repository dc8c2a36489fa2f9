package jmglu.gpu;

import static jmglu.gpu.OpenClBackend.elems;
import static jmglu.gpu.OpenClBackend.int16;

import java.util.HashMap;
import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The {@link OpenClBackend} ops of decode.cl: embedding, rmsnorm, rope, the attention step (KV-cache
 * write + attention, grouped-query heads), act. Semantics are {@link jmglu.engine.HostBackend}'s;
 * shapes are checked here, before any launch. Batches go in launches of up to 16 rows (per-row token
 * ids and positions are one int16 kernel argument, so nothing is written to the device per call).
 * RoPE reads cos/sin from a table computed on the host in float64 (like the reference) and uploaded
 * once per (hd, theta), again only when a position beyond it comes (the size doubles).
 */
final class ClDecodeOps {
    private static final int CHUNK = 16, LS = 64;
    private final OpenClBackend be;
    private final OpenClContext cl;
    private final Map<String, RopeTable> ropeTables = new HashMap<>();

    private record RopeTable(cl_mem mem, int positions) {}

    ClDecodeOps(OpenClBackend be) {
        this.be = be;
        this.cl = be.cl;
    }

    private cl_kernel kernel(String name) { return cl.kernel("decode.cl", "", name); }

    /** out (B, C) F32 = table[ids[b]] widened; table (V, C) F32/BF16/F16. */
    void embedding(Tensor out, Tensor table, int[] ids) {
        ClBuffer tb = be.buf(table, "embedding", "table");
        if (table.rank() != 2 || table.dtype() == DType.I32)
            throw new IllegalArgumentException("embedding: table must be (V, C) F32/BF16/F16, got " + table);
        int V = table.dim(0), C = table.dim(1), B = ids.length;
        ClBuffer ob = be.f32(out, "embedding", "out", (long) B * C);
        for (int b = 0; b < B; b++)
            if (ids[b] < 0 || ids[b] >= V) throw new IllegalArgumentException("embedding: token " + ids[b] + " outside vocabulary of " + V);
        int wt = OpenClMglu.wt(table.dtype());
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            cl.launch(kernel("embed"), (long) n * C, 0, null, ob.mem(), elems(out) + b0 * C, tb.mem(), elems(table), wt,
                    int16(ids, b0, b0 + n), n, C);
        }
    }

    /** out (rows, C) = x · rstd · w per row; w (C) F32. */
    void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) {
        ClBuffer wb = be.buf(w, "rmsnorm", "w");
        if (w.dtype() != DType.F32) throw new IllegalArgumentException("rmsnorm: w must be F32, got " + w);
        int C = w.size();
        if (x.size() % C != 0) throw new IllegalArgumentException("rmsnorm: x " + x + " is not rows of " + C);
        int rows = x.size() / C;
        ClBuffer xb = be.f32(x, "rmsnorm", "x", x.size()), ob = be.f32(out, "rmsnorm", "out", x.size());
        int ls = (int) Math.min(256, cl.maxWorkGroup);
        cl.launch(kernel("rmsnorm"), (long) rows * ls, ls, null, ob.mem(), elems(out), xb.mem(), elems(x), wb.mem(), elems(w), C, eps,
                new OpenClContext.Local(4L * ls));
    }

    /** RoPE in place on x (B, nH·hd), row b at position pos[b]. */
    void rope(Tensor x, int nH, int hd, int[] pos, float theta) {
        if (hd <= 0 || hd % 2 != 0 || nH <= 0) throw new IllegalArgumentException("rope: needs nH ≥ 1 and an even head size, got nH=" + nH + " hd=" + hd);
        int B = pos.length, maxPos = 0;
        ClBuffer xb = be.f32(x, "rope", "x", (long) B * nH * hd);
        for (int p : pos) {
            if (p < 0) throw new IllegalArgumentException("rope: negative position " + p);
            maxPos = Math.max(maxPos, p);
        }
        cl_mem tab = ropeTable(hd, theta, maxPos);
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            cl.launch(kernel("rope"), (long) n * nH * (hd / 2), 0, null, xb.mem(), elems(x) + b0 * nH * hd, tab,
                    int16(pos, b0, b0 + n), n, nH, hd);
        }
    }

    /** The (P, hd/2, 2) cos/sin table for (hd, theta) with P > maxPos. */
    private cl_mem ropeTable(int hd, float theta, int maxPos) {
        String key = hd + "/" + Float.floatToIntBits(theta);
        RopeTable t = ropeTables.get(key);
        if (t != null && t.positions() > maxPos) return t.mem();
        int P = Math.max(64, Integer.highestOneBit(maxPos) << 1);
        float[] tab = new float[P * hd];
        for (int p = 0; p < P; p++)
            for (int j = 0; j < hd / 2; j++) {
                double ang = p * Math.pow(theta, -2.0 * j / hd);           // as ReferenceKernels.rope
                tab[(p * (hd / 2) + j) * 2] = (float) Math.cos(ang);
                tab[(p * (hd / 2) + j) * 2 + 1] = (float) Math.sin(ang);
            }
        if (t != null) OpenClContext.release(t.mem());                    // freed once the launches using it have run
        cl_mem m = cl.upload(tab);
        ropeTables.put(key, new RopeTable(m, P));
        return m;
    }

    /** Writes k[b], v[b] into the caches at pos[b], then out[b] = attention of q[b] over positions 0..pos[b]. */
    void attentionStep(Tensor out, Tensor q, Tensor k, Tensor v, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd) {
        String op = "attentionStep";
        if (nH <= 0 || nKv <= 0 || hd <= 0 || nH % nKv != 0)
            throw new IllegalArgumentException(op + ": nH=" + nH + " must be a positive multiple of nKv=" + nKv + ", hd=" + hd + " positive");
        int B = pos.length, kv = nKv * hd;
        if (kCache.rank() != 3 || kCache.dim(0) < B || kCache.dim(2) != kv || !kCache.sameShape(vCache))
            throw new IllegalArgumentException(op + ": caches must be (≥ B=" + B + ", maxT, " + kv + "), got " + kCache + " and " + vCache);
        int maxT = kCache.dim(1);
        for (int p : pos) if (p < 0 || p >= maxT) throw new IllegalArgumentException(op + ": position " + p + " outside the cache of " + maxT);
        ClBuffer ob = be.f32(out, op, "out", (long) B * nH * hd), qb = be.f32(q, op, "q", (long) B * nH * hd),
                kb = be.f32(k, op, "k", (long) B * kv), vb = be.f32(v, op, "v", (long) B * kv),
                kcb = be.f32(kCache, op, "kCache", kCache.size()), vcb = be.f32(vCache, op, "vCache", vCache.size());
        int ls = (int) Math.min(LS, cl.maxWorkGroup);
        cl_mem sc = be.scratch(OpenClBackend.SCORES, 4L * Math.min(CHUNK, B) * nH * maxT);
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            int[] p16 = int16(pos, b0, b0 + n);
            int kco = elems(kCache) + b0 * maxT * kv, vco = elems(vCache) + b0 * maxT * kv;
            cl.launch(kernel("kv_write"), (long) n * kv, 0, null, kcb.mem(), kco, vcb.mem(), vco,
                    kb.mem(), elems(k) + b0 * kv, vb.mem(), elems(v) + b0 * kv, p16, n, kv, maxT);
            cl.launch(kernel("attn_step"), (long) n * nH * ls, ls, null, ob.mem(), elems(out) + b0 * nH * hd, qb.mem(), elems(q) + b0 * nH * hd,
                    kcb.mem(), kco, vcb.mem(), vco, sc, p16, nH, nKv, hd, maxT, scale, new OpenClContext.Local(4L * ls));
        }
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
