package jmglu.gpu;

import static jmglu.gpu.OpenClBackend.elems;
import static jmglu.gpu.OpenClBackend.int16;
import static jmglu.gpu.OpenClBackend.rows;

import jmglu.engine.DType;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The attention ops of {@link OpenClBackend} through attention.cl: the primitive attentionStep (KV
 * write + attention) and the fused attention of a decode step ({@link jmglu.engine.Backend#attention}):
 * <pre>
 *   qkv (n, nH·hd + 2·kv) = x · [Wq; Wk; Wv]ᵀ        one GEMV over the three matrices stacked
 *   rope_attn: RoPE(q), RoPE(k) at pos, k, v → caches, attention split over the KV length (SK keys a split),
 *              the splits of a (row, head) merged by the last of them to finish (a ticket per (row, head))
 * </pre>
 * A decode step's second launch is {@link ClWarpAttention}'s attn_wg (the same work, a work-group of 4 warps per split
 * of 32 keys, 8 keys a warp; -Djmglu.opencl.attnwg=off: attn_warp, one warp per split) where it applies (head sizes up
 * to 256, -Djmglu.opencl.attnkernel not old); rope_attn serves the prefill and the rest.
 * Two launches instead of the composition's eight. The stacked copy [Wq; Wk; Wv] (same dtype, made
 * on the device the first time, kept with Wq's buffer and freed with it) holds the attention's input
 * weights a second time on the device. Semantics are {@link jmglu.engine.HostBackend}'s; q, k, v (the
 * composition's workspace) are left untouched by the fused path.
 */
final class ClAttention {
    private static final int CHUNK = OpenClMglu.MAX_BATCH, LS = 64;
    /**
     * Keys per split of rope_attn: -Djmglu.opencl.attnsplit (a power of two, 1..64), else 16; a 640-key context is then 40
     * splits a head. H200, µs per layer at B = 1, SwiMGLU C 2048, 16 heads, ~530 keys, the merge included (its tail grows
     * with the splits): lab/gpu/decode-run9 call 2 (the merge an online softmax over chunks of 16 splits) 16.4 at 16 keys,
     * 22.1 at 8, call 1 29.4 at 4; decode-run8 (the merge of trees and strided passes) 27 at 8 keys. At B = 8, 16-key
     * splits decoded 5,675 tok/s against 5,170 at 8 keys (decode-run6).
     */
    private static final int SK_SET = splitKeys();

    /** Keys per split for a launch of n rows. */
    static int splitKeys(int n) { return SK_SET > 0 ? SK_SET : 16; }

    private final OpenClBackend be;
    private final OpenClContext cl;
    private final ClDecodeOps decode;
    private final ClScratch scratch;
    private final cl_mem dummy;
    /** The decode steps' kernel (attn_warp.cl) where it applies. */
    final ClWarpAttention warp;
    /** rope_attn's tickets, one uint per (row, head) of a launch, 0 between launches; grown (zeroed) when a launch needs more. */
    private cl_mem tick;
    private long tickLen;

    /** What a stacked copy was made from (buffers compared by identity, offsets in bytes). */
    private record Stack(ClBuffer k, ClBuffer v, long qOff, long kOff, long vOff, long qBytes, long kvBytes) {}

    ClAttention(OpenClBackend be, ClDecodeOps decode) {
        this.be = be;
        this.cl = be.cl;
        this.decode = decode;
        this.scratch = be.scratch;
        this.dummy = cl.alloc(4);
        this.warp = new ClWarpAttention(be);
    }

    void release() { OpenClContext.release(dummy, tick); }

    /** attention.cl's kernel `name` for caches of halves (kvh) or floats. */
    private cl_kernel kernel(String name, boolean kvh) { return cl.kernel("attention.cl", kvh ? "-DKVH=1" : "", name); }

    /** Whether the caches hold halves (F16; else F32, as {@link #check} allows). */
    static boolean kvh(Tensor kCache) { return kCache.dtype() == DType.F16; }

    /** Writes k[b], v[b] into the caches at pos[b], then out[b] = attention of q[b] over positions 0..pos[b]. */
    void attentionStep(Tensor out, Tensor q, Tensor k, Tensor v, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd) {
        String op = "attentionStep";
        int maxT = check(op, out, kCache, vCache, pos, nH, nKv, hd);
        int B = pos.length, kv = nKv * hd;
        ClBuffer qb = be.f32(q, op, "q", (long) B * nH * hd), kb = be.f32(k, op, "k", (long) B * kv), vb = be.f32(v, op, "v", (long) B * kv);
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            run(out, b0, n, qb.mem(), elems(q) + b0 * nH * hd, nH * hd, kb.mem(), elems(k) + b0 * kv, kv, vb.mem(), elems(v) + b0 * kv, kv,
                    kCache, vCache, pos, nH, nKv, hd, maxT, null, 0);
        }
    }

    /** The attention of one decode step from x (B, h): see {@link jmglu.engine.Backend#attention}. */
    void attention(Tensor out, ClNorms.Input in, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                   Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd, Rope rope) {
        String op = "attention";
        Tensor x = in.x;                                                    // normed as loaded when in owes a norm
        int maxT = check(op, out, kCache, vCache, pos, nH, nKv, hd);
        if (hd % 2 != 0) throw new IllegalArgumentException(op + ": RoPE needs an even head size, got hd=" + hd);
        int B = pos.length, kv = nKv * hd, dq = nH * hd, h = wq.dim(1);
        for (Tensor w : new Tensor[] {wq, wk, wv}) be.buf(w, op, "W");
        if (wq.rank() != 2 || wq.dim(0) != dq || wk.rank() != 2 || wk.dim(0) != kv || wk.dim(1) != h || !wk.sameShape(wv))
            throw new IllegalArgumentException(op + ": Wq must be (" + dq + ", h), Wk and Wv (" + kv + ", h), got " + wq + ", " + wk + ", " + wv);
        be.f32(x, op, "x", (long) B * h);
        int maxPos = 0;
        for (int p : pos) maxPos = Math.max(maxPos, p);
        cl_mem tab = decode.ropeTable(rope, hd, maxPos);
        int mode = ClDecodeOps.mode(rope);
        if (wq.dtype() != wk.dtype() || wq.dtype() != wv.dtype()) {          // no stacked copy: three GEMVs, then the fused rest
            be.linear(q, in.given, wq, false);
            be.linear(k, in.given, wk, false);
            be.linear(v, in.given, wv, false);
            ClBuffer qb = be.f32(q, op, "q", (long) B * dq), kb = be.f32(k, op, "k", (long) B * kv), vb = be.f32(v, op, "v", (long) B * kv);
            for (int b0 = 0; b0 < B; b0 += CHUNK) {
                int n = Math.min(CHUNK, B - b0);
                run(out, b0, n, qb.mem(), elems(q) + b0 * dq, dq, kb.mem(), elems(k) + b0 * kv, kv, vb.mem(), elems(v) + b0 * kv, kv,
                        kCache, vCache, pos, nH, nKv, hd, maxT, tab, mode);
            }
            return;
        }
        int width = dq + 2 * kv;
        var stacked = new OpenClMglu.DeviceMatrix(wq.dtype(), width, h, stack(wq, wk, wv));
        cl_mem qkv = scratch.slot(ClScratch.QKV, 4L * Math.min(CHUNK, B) * width);
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            // one row whose embedding is owed: gemv_b1 gathers it from the table and writes x (x seen in place, not copied)
            var emb = in.embIn(B == 1 && x.deviceOffset() % be.cl.baseAlignBytes == 0 && be.mglu.b1GemvApplies(stacked.dtype(), h, 1, true));
            try (var xv = scratch.view(rows(x, B, h, b0, b0 + n), true, false)) {
                be.mglu.gemv(qkv, xv.mem, in.normIn(), emb, stacked, n, false, null);
            }
            run(out, b0, n, qkv, 0, width, qkv, dq, width, qkv, dq + kv, width, kCache, vCache, pos, nH, nKv, hd, maxT, tab, mode);
        }
    }

    /**
     * The attention of positions p0 .. p0 + P − 1 of the sequence in cache row `row`, x (P, h): see
     * {@link jmglu.engine.Backend#prefillAttention}. Per 16 rows: the stacked GEMV, rope_kv (the rows' k, v
     * into the cache), rope_attn reading every key from the cache (causal: row i reads positions ≤ p0 + i).
     * When {@link ClGemm} takes the P rows: one GEMM and one rope_kv for all of them, then the attention of all rows
     * in one launch ({@link ClPrefillAttention}; rope_attn per 16 rows where its tiles do not fit local memory).
     */
    void prefill(Tensor out, ClNorms.Input in, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                 Tensor kCache, Tensor vCache, int row, int p0, int nH, int nKv, int hd, Rope rope) {
        String op = "prefillAttention";
        Tensor x = in.x;                                                    // normed as loaded when in owes a norm
        int h = wq.dim(1), P = x.size() / h;
        if (P < 1 || x.size() % h != 0) throw new IllegalArgumentException(op + ": x " + x + " is not rows of h=" + h);
        if (row < 0 || kCache.rank() != 3 || row >= kCache.dim(0)) throw new IllegalArgumentException(op + ": cache row " + row + " outside the caches " + kCache);
        if (wq.dtype() != wk.dtype() || wq.dtype() != wv.dtype() || hd % 2 != 0) {      // the composition (no stacked copy)
            be.prefillAttentionComposed(out, in.given, wq, wk, wv, q, k, v, kCache, vCache, row, p0, nH, nKv, hd, rope);
            return;
        }
        int[] pos = new int[P];
        for (int i = 0; i < P; i++) pos[i] = p0 + i;
        int maxT = check(op, out, kCache, vCache, pos, nH, nKv, hd, row + 1), kv = nKv * hd, dq = nH * hd, width = dq + 2 * kv;
        be.f32(x, op, "x", (long) P * h);
        cl_mem tab = decode.ropeTable(rope, hd, p0 + P - 1);
        int mode = ClDecodeOps.mode(rope);
        var stacked = new OpenClMglu.DeviceMatrix(wq.dtype(), width, h, stack(wq, wk, wv));
        cl_mem kcb = be.buf(kCache, op, "kCache").mem(), vcb = be.buf(vCache, op, "vCache").mem();
        boolean gemm = be.gemm.applies(wq.dtype(), h, P);              // then qkv (P, width) in one GEMM, all k, v cached at once
        cl_mem qkv = scratch.slot(ClScratch.QKV, 4L * (gemm ? P : Math.min(CHUNK, P)) * width);
        if (gemm)
            try (var xv = scratch.view(in.plain(), true, false)) {                // the GEMM reads the norm written
                gemm = be.gemm.linear(qkv, xv.mem, wq.dtype(), stacked.mem(), width, h, P, false);
            }
        if (gemm) {
            cl.launch(kernel("rope_kv", kvh(kCache)), (long) P * kv / 2, 0, null, kcb, elems(kCache), vcb, elems(vCache), qkv, dq, width, qkv, dq + kv, width,
                    tab, P, p0, row, nKv, hd, maxT, mode == 2 ? 1 : 0);
            if (ClPrefillAttention.fits(cl, hd)) {                      // all rows and heads in one launch
                ClPrefillAttention.launch(cl, be.buf(out, op, "out").mem(), elems(out), qkv, 0, width, kcb, elems(kCache), vcb, elems(vCache),
                        kvh(kCache), tab, mode, row, p0, P, nH, nKv, hd, maxT);
                return;
            }
        }
        for (int b0 = 0; b0 < P; b0 += CHUNK) {
            int n = Math.min(CHUNK, P - b0), o = gemm ? b0 * width : 0;
            if (!gemm) {
                try (var xv = scratch.view(rows(x, P, h, b0, b0 + n), true, false)) {
                    be.mglu.gemv(qkv, xv.mem, in.normIn(), stacked, n, false, null);
                }
                cl.launch(kernel("rope_kv", kvh(kCache)), (long) n * kv / 2, 0, null, kcb, elems(kCache), vcb, elems(vCache), qkv, dq, width, qkv, dq + kv, width,
                        tab, n, p0 + b0, row, nKv, hd, maxT, mode == 2 ? 1 : 0);
            }
            run(out, b0, n, qkv, o, width, qkv, o + dq, width, qkv, o + dq + kv, width, kCache, vCache, pos, nH, nKv, hd, maxT, tab, mode, row);
        }
    }

    /** [Wq; Wk; Wv] stacked in one buffer (rows of Wq, then Wk, then Wv), made on the device once. */
    private cl_mem stack(Tensor wq, Tensor wk, Tensor wv) {
        ClBuffer qb = be.buf(wq, "attention", "Wq"), kb = be.buf(wk, "attention", "Wk"), vb = be.buf(wv, "attention", "Wv");
        long qBytes = wq.byteSize(), kvBytes = wk.byteSize();
        Stack key = new Stack(kb, vb, wq.deviceOffset(), wk.deviceOffset(), wv.deviceOffset(), qBytes, kvBytes);
        return qb.derived(key, () -> {
            cl_mem m = cl.alloc(qBytes + 2 * kvBytes);
            cl.copy(qb.mem(), wq.deviceOffset(), m, 0, qBytes, null);
            cl.copy(kb.mem(), wk.deviceOffset(), m, qBytes, kvBytes, null);
            cl.copy(vb.mem(), wv.deviceOffset(), m, qBytes + kvBytes, kvBytes, null);
            return m;
        });
    }

    /**
     * rope_attn for rows [b0, b0 + n) at positions pos[b]; q, k, v given as buffer, element
     * offset, row stride; mode 0 (tab null): no RoPE, else {@link ClDecodeOps#mode}; crow &lt; 0: row b in cache row b,
     * else all rows in cache row crow (prefill).
     */
    private void run(Tensor out, int b0, int n, cl_mem q, int qo, int qs, cl_mem k, int ko, int ks, cl_mem v, int vo, int vs,
                     Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd, int maxT, cl_mem tab, int mode) {
        run(out, b0, n, q, qo, qs, k, ko, ks, v, vo, vs, kCache, vCache, pos, nH, nKv, hd, maxT, tab, mode, -1);
    }

    private void run(Tensor out, int b0, int n, cl_mem q, int qo, int qs, cl_mem k, int ko, int ks, cl_mem v, int vo, int vs,
                     Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd, int maxT, cl_mem tab, int mode, int crow) {
        int maxLen = 0;
        for (int b = b0; b < b0 + n; b++) maxLen = Math.max(maxLen, pos[b] + 1);
        if (crow < 0 && warp.applies(hd)) {                             // a decode step: one warp per (row, head, split)
            int kv = nKv * hd;
            // the partials of the longest context the cache holds (as main's rope_attn path since 952af33): no reallocation as a sequence grows
            cl_mem part = scratch.slot(ClScratch.PARTS, 4L * n * nH * Math.max(warp.splits(n, nH, maxLen), warp.maxSplits(n, nH, maxT)) * (hd + 2));
            warp.launch(be.buf(out, "attention", "out").mem(), elems(out) + b0 * nH * hd, part, tickets((long) n * nH), q, qo, qs, k, ko, ks,
                    v, vo, vs, be.buf(kCache, "attention", "kCache").mem(), elems(kCache) + b0 * maxT * kv,
                    be.buf(vCache, "attention", "vCache").mem(), elems(vCache) + b0 * maxT * kv, kvh(kCache), tab, mode, pos, b0, n, nH, nKv, hd, maxT, dummy);
            return;
        }
        int SK = splitKeys(n), nsplit = (maxLen + SK - 1) / SK, kv = nKv * hd;
        int ls = (int) Math.min(LS, cl.maxWorkGroup);
        if (ls != LS) throw new IllegalStateException("attention: the device's work-groups hold " + cl.maxWorkGroup + " threads, fewer than " + LS);
        // the partials of the longest context this cache holds, so a growing sequence never reallocates them
        cl_mem part = scratch.slot(ClScratch.PARTS, 4L * n * nH * Math.max(nsplit, (maxT + SK - 1) / SK) * (hd + 2));
        cl_mem ob = be.buf(out, "attention", "out").mem(), kcb = be.buf(kCache, "attention", "kCache").mem(),
                vcb = be.buf(vCache, "attention", "vCache").mem();
        int oo = elems(out) + b0 * nH * hd;
        var hdBytes = new OpenClContext.Local(4L * hd);
        var redBytes = new OpenClContext.Local(4L * LS);
        var skBytes = new OpenClContext.Local(4L * SK);
        cl.launch(kernel("rope_attn", kvh(kCache)), (long) n * nH * nsplit * LS, LS, null, ob, oo, part, tickets((long) n * nH), q, qo, qs, k, ko, ks, v, vo, vs,
                kcb, elems(kCache) + (crow < 0 ? b0 * maxT * kv : 0), vcb, elems(vCache) + (crow < 0 ? b0 * maxT * kv : 0),
                tab == null ? dummy : tab, tab == null ? 0 : mode, int16(pos, b0, b0 + n), crow, nH, nKv, hd, maxT, (float) (1.0 / Math.sqrt(hd)), nsplit, SK, hdBytes, hdBytes, hdBytes, skBytes, redBytes);
    }

    /** The ticket buffer of at least count counters, all 0. */
    private cl_mem tickets(long count) {
        if (count > tickLen) {
            if (tick != null) OpenClContext.release(tick);
            tickLen = Math.max(count, 256);
            tick = cl.alloc(4 * tickLen);
            cl.zero(tick, 0, 4 * tickLen);
        }
        return tick;
    }

    private static int splitKeys() {
        int sk = Integer.getInteger("jmglu.opencl.attnsplit", 0);
        if (sk == 0) return 0;                              // by the rows of a launch
        if (sk < 1 || sk > LS || Integer.bitCount(sk) != 1)
            throw new IllegalArgumentException("-Djmglu.opencl.attnsplit=" + sk + ": expected a power of two in 1.." + LS);
        return sk;
    }

    /** Checks the shapes shared by both ops; returns maxT. */
    private int check(String op, Tensor out, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd) {
        return check(op, out, kCache, vCache, pos, nH, nKv, hd, pos.length);
    }

    /** cacheRows: the cache rows the op uses (B, or a prefill's row + 1). */
    private int check(String op, Tensor out, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd, int cacheRows) {
        if (nH <= 0 || nKv <= 0 || hd <= 0 || nH % nKv != 0)
            throw new IllegalArgumentException(op + ": nH=" + nH + " must be a positive multiple of nKv=" + nKv + ", hd=" + hd + " positive");
        int B = pos.length, kv = nKv * hd;
        if (B < 1) throw new IllegalArgumentException(op + ": no rows");
        if (kCache.rank() != 3 || kCache.dim(0) < cacheRows || kCache.dim(2) != kv || !kCache.sameShape(vCache))
            throw new IllegalArgumentException(op + ": caches must be (≥ " + cacheRows + ", maxT, " + kv + "), got " + kCache + " and " + vCache);
        be.buf(kCache, op, "kCache");
        be.buf(vCache, op, "vCache");
        if (kCache.dtype() != vCache.dtype() || kCache.dtype() != DType.F32 && kCache.dtype() != DType.F16)
            throw new IllegalArgumentException(op + ": caches must both be F32 or both F16, got " + kCache + " and " + vCache);
        be.f32(out, op, "out", (long) B * nH * hd);
        int maxT = kCache.dim(1);
        for (int p : pos) if (p < 0 || p >= maxT) throw new IllegalArgumentException(op + ": position " + p + " outside the cache of " + maxT);
        return maxT;
    }
}
