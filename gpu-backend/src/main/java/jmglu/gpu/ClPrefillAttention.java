package jmglu.gpu;

import org.jocl.cl_mem;

/**
 * The causal attention of a whole prefill in one launch (attn_prefill.cl): P query rows at positions
 * p0 .. p0 + P − 1 of the sequence in cache row crow, every head, over the keys rope_kv has already
 * written to the caches. Work-groups of 16 query rows × one head stream tiles of 32 keys through local
 * memory (flash-attention style, f32), instead of one work-group per (row, head, split) re-reading every key
 * for each row as rope_attn does per 16 rows. Used by {@link ClAttention#prefill} when the prefill's q, k, v
 * come from one GEMM ({@link ClGemm}).
 */
final class ClPrefillAttention {
    static final int QB = 16, KB = 32, LS = 128;

    private ClPrefillAttention() {}

    /** Whether the tiles of a head size hd fit the device's local memory and its work-groups hold LS threads. */
    static boolean fits(OpenClContext cl, int hd) { return localBytes(hd) <= cl.localMemBytes && cl.maxWorkGroup >= LS; }

    private static long localBytes(int hd) { return 4L * ((QB + 2L * KB) * (hd + 1) + QB * KB); }

    /**
     * out (from element oo, rows of nH·hd) = softmax(q kᵀ/√hd) v per head, causal; q rows at q[qo + i·qs]
     * (unrotated: RoPE at position p0 + i with tab, mode as {@link ClDecodeOps#mode}, 0 none); caches from
     * elements kco, vco, of halves (kvh) or floats.
     */
    static void launch(OpenClContext cl, cl_mem out, int oo, cl_mem q, int qo, int qs, cl_mem kc, int kco, cl_mem vc, int vco,
                       boolean kvh, cl_mem tab, int mode, int crow, int p0, int P, int nH, int nKv, int hd, int maxT) {
        var k = cl.kernel("attn_prefill.cl", "-DHD=" + hd + " -DROPE=" + mode + (kvh ? " -DKVH=1" : ""), "prefill_attn");
        long groups = (long) ((P + QB - 1) / QB) * nH;
        cl.launch(k, groups * LS, LS, null, out, oo, q, qo, qs, kc, kco, vc, vco, tab, crow, p0, P, nH, nKv, maxT,
                (float) (1.0 / Math.sqrt(hd)), new OpenClContext.Local(4L * QB * (hd + 1)), new OpenClContext.Local(4L * KB * (hd + 1)),
                new OpenClContext.Local(4L * KB * (hd + 1)), new OpenClContext.Local(4L * QB * KB));
    }
}
