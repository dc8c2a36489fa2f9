package jmglu.gpu;

import static jmglu.gpu.OpenClBackend.int16;

import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The decode attention of {@link ClAttention} (RoPE, KV write, attention split over the KV length, the merge) as one
 * warp per (row, head, split) through attn_warp.cl: registers and warp shuffles on NVIDIA (no local memory, no
 * barriers), the same arithmetic through local memory elsewhere (PoCL: the tests). For decode steps (every row its own
 * sequence) of head sizes up to 256; the prefill and larger heads keep attention.cl's rope_attn.
 * <p>
 * H200, the kernel alone (lab AttnProbe: 16 heads of 128, f32 caches, K and V from HBM; lab/gpu/attn-run call 2),
 * device µs a launch at 576 / 640 keys: B = 1 rope_attn 18.2 / 18.5, this kernel 14.9 / 14.6 at 32 keys a split
 * (17.5 / 18.1 at 64); B = 8 rope_attn 62.0 / 68.6, this kernel 37.3 / 38.6 (2.0–2.2 TB/s of K and V; 64 keys the same).
 * Warps a work-group 2 or 4 the same, 8 slower at B = 1 (16.6); the shuffles asm volatile or not the same.
 * <p>
 * Switches (system properties, read once): {@code jmglu.opencl.attnkernel} = warp (default) | old;
 * {@code jmglu.opencl.attnkeys} = 32 (default) | 64 keys a split; {@code jmglu.opencl.attnwpg} = warps a work-group on
 * NVIDIA (1, 2, 4, 8; default 4); {@code jmglu.opencl.attnshv} = true (default) | false: the shuffles' inline PTX
 * volatile or not; {@code jmglu.opencl.attnf4} = false (default) | true: K and V rows read as aligned float4 where hd is
 * a multiple of 128 and the caches' offsets allow (H200, bench decode in one call, lab/gpu/decode-run11 call 4: 7% slower
 * at B = 1 and 10% at B = 8 than the default, so it stays off).
 * <p>
 * By default the decode step takes attn_wg.cl instead (faster at B = 1 and B = 8, see {@link #group}): a work-group of NW
 * warps per (row, head, split), KW keys a warp, the warps combined in local memory, the same tickets and merge.
 * Switches: {@code jmglu.opencl.attnwg} = on (default) | off (attn_warp); {@code jmglu.opencl.attnkw} = 4 | 8 (default)
 * | 16; {@code jmglu.opencl.attnnw} = 1, 2, 4, 8 (default by the rows, {@link #rounds}); {@code jmglu.opencl.attnwgf4} = true (default) | false;
 * {@code jmglu.opencl.attnit} = 1..8 rounds of KW·NW keys a split (default by the rows, {@link #rounds}).
 * <p>
 * The caches' storage: {@code jmglu.opencl.kvcache} = f16 (default) | f32 ({@link OpenClBackend#kvCacheType}). Every
 * kernel here (and attention.cl, attn_prefill.cl) is built with KVH = 1 for F16 caches: rows loaded with vload_half4 (the
 * aligned path vloada_half4, the same 4-element alignment rule) and k_p, v_p stored with vstore_half_rte, all arithmetic
 * in F32; a decode step's attention then reads half the bytes. H200 (lab/gpu/kv16-run, AttnProbe, 16 heads of 128, 640
 * keys, device µs a launch): B = 1 13.1 against 14.5 over F32, B = 8 32.7 against 33.2: at B = 8 attn_wg moves 1.3 TB/s
 * of halves in the time it moved 2.5 TB/s of floats, so its time there is its instructions and latency, not K and V's
 * bytes (a lane still issues one load a row, of 8 bytes instead of 16).
 */
final class ClWarpAttention {
    private static final System.Logger LOG = System.getLogger(ClWarpAttention.class.getName());
    /** Head sizes up to 32·MAX_DPL: a lane holds at most MAX_DPL dims of q, k_new, v_new and acc in registers. */
    static final int MAX_DPL = 8;
    private static final boolean ON = !"old".equals(System.getProperty("jmglu.opencl.attnkernel", "warp"));
    private static final int KEYS = keysSet(), WPG = wpgSet();
    /** -Djmglu.opencl.attnshv=false: the shuffles plain asm (the compiler may move them), else asm volatile. */
    private static final boolean SHV = !"false".equals(System.getProperty("jmglu.opencl.attnshv", "true"));
    private static final boolean F4 = Boolean.getBoolean("jmglu.opencl.attnf4");
    private static final int WG_MODE = "off".equals(System.getProperty("jmglu.opencl.attnwg", "on")) ? -1 : 0;
    private static final int KW = pow2("attnkw", 0, 4, 16), NW = pow2("attnnw", 0, 1, 8);
    private static final boolean WG_F4 = !"false".equals(System.getProperty("jmglu.opencl.attnwgf4", "true"));
    private static final int IT = itSet();

    private final OpenClBackend be;
    private final OpenClContext cl;
    private volatile boolean shflRefused;
    /** Off: every launch takes rope_attn (tests of the old kernel's decode path). */
    boolean enabled = ON;

    ClWarpAttention(OpenClBackend be) {
        this.be = be;
        this.cl = be.cl;
    }

    /** Whether the warp kernel takes a decode step of head size hd. */
    boolean applies(int hd) { return enabled && hd <= 32 * MAX_DPL; }

    /** Keys a split (32 or 64), 0: by the rows of the launch ({@link #keys}); set by the tests. */
    int keysSet = KEYS;
    /** Aligned float4 rows where they apply (-Djmglu.opencl.attnf4); set by the tests. */
    boolean f4 = F4;

    /** Keys a split for a launch of n rows: -Djmglu.opencl.attnkeys, else 32 (one key a lane; 64 was slower at B = 1, the same at B = 8). */
    int keys(int n) { return keysSet > 0 ? keysSet : 32; }

    /** Splits of a launch of n rows whose longest row has maxLen keys (the kernel {@link #group} picks). */
    int splits(int n, int nH, int maxLen) {
        int kw = group(n, nH, maxLen), sk = kw * warpsOf(n) * rounds(n);
        return kw > 0 ? (maxLen + sk - 1) / sk : (maxLen + keys(n) - 1) / keys(n);
    }

    /** attn_wg's rounds a split (-Djmglu.opencl.attnit, 1..8; 0: by the rows); set by the tests. */
    int it = IT;

    /**
     * attn_wg's warps a group and rounds a split for a launch of n rows (unless set): 4 warps and 1 round for n ≤ 2 (B = 1
     * wants every key's load in flight at once: many short groups), 2 warps and 8 rounds from n = 3 (fewer, longer-lived
     * groups: fewer tickets and merges). H200, 16 heads of 128, 640 keys, F16 caches, device µs a launch (lab/gpu/normout-run
     * call 2, session7-final call 3): B = 1 rounds 1 / 2 / 4 / 8 12.9 / 14.1 / 16.3 / 23.6; B = 8 (4 warps) 31.7 / 33.6 /
     * 30.8 / 29.5, 2 warps and 8 rounds 27.5 (4 keys a warp 32.9–35.0, 8 warps 33.6–45.0, 16 keys a warp 37.7).
     */
    int rounds(int n) { return it > 0 ? it : n <= 2 ? 1 : 8; }

    /** See {@link #rounds}. */
    int warpsOf(int n) { return nw > 0 ? nw : n <= 2 ? 4 : 2; }

    /** The most splits any length up to maxT gives a launch of n rows (the partials' scratch, sized once). */
    int maxSplits(int n, int nH, int maxT) {
        int fewest = 4 * warpsOf(n) * rounds(n);                                              // attn_wg's fewest keys a split: 4·NW·IT
        return Math.max((maxT + keys(n) - 1) / keys(n), (maxT + fewest - 1) / fewest);
    }

    /** attn_wg (-Djmglu.opencl.attnwg = on (default) | off; set by the tests): 0 or 1 on, -1 off (attn_warp). */
    int wgMode = WG_MODE;
    /** attn_wg's keys a warp (4, 8, 16; 0: by the grid) and warps a group (1, 2, 4, 8; 0: by the rows): -Djmglu.opencl.attnkw, attnnw; set by the tests. */
    int kw = KW, nw = NW;
    /** attn_wg's rows as aligned float4 where they apply (-Djmglu.opencl.attnwgf4, default true); set by the tests. */
    boolean wgF4 = WG_F4;

    /**
     * attn_wg's keys a warp for a launch of n rows of nH heads whose longest row has maxLen keys, 0: attn_warp takes it.
     * 8 keys a warp (4 warps a group: 32 keys a split, as attn_warp's) at every B: on the H200 (lab/gpu/attn1-run call 1,
     * 16 heads of 128, 576 / 640 keys) B = 1 13.7 / 14.1 µs a launch against attn_warp's 16.2 / 16.4, B = 8 29.5 / 31.7
     * against 39.2 / 38.8; 4 keys a warp (2560 warps at B = 1) 15.3 µs and 16 keys 15.5 at B = 1, so more warps did not
     * make B = 1 faster (its ~11 µs fixed part is not the grid's size), and 16 was slower at B = 8 too (33.3 / 32.3).
     * Call 2 (B = 1, 640 keys): 13.5 µs; the same launch returning at once 5.4 µs, without the ticket and merge 11.0 µs,
     * with K and V in the L2 12.2 µs: B = 1 is the launch (5.4), a latency-bound read (~5.6) and the merge chain (~2.5).
     */
    int group(int n, int nH, int maxLen) {
        if (wgMode < 0) return 0;
        return kw > 0 ? kw : 8;
    }

    /**
     * attn_warp for rows [b0, b0 + n) (pos[b0 + i] their positions; cache row i at kc's element offset kco; the caches
     * halves when kvh, else floats); q, k, v as
     * buffer, element offset, row stride; tab null: no RoPE, else mode ({@link ClDecodeOps#mode}); part
     * (n·nH·splits, hd + 2) and tick (n·nH, 0) as rope_attn's.
     */
    void launch(cl_mem out, int oo, cl_mem part, cl_mem tick, cl_mem q, int qo, int qs, cl_mem k, int ko, int ks, cl_mem v, int vo, int vs,
                cl_mem kc, int kco, cl_mem vc, int vco, boolean kvh, cl_mem tab, int mode, int[] pos, int b0, int n, int nH, int nKv, int hd, int maxT,
                cl_mem dummy) {
        int maxLen = 0;
        for (int b = b0; b < b0 + n; b++) maxLen = Math.max(maxLen, pos[b] + 1);
        boolean sh = !shflRefused && be.mglu.useShfl();
        int kwn = group(n, nH, maxLen);
        if (kwn > 0) {
            launchGroups(kwn, sh, splits(n, nH, maxLen), out, oo, part, tick, q, qo, qs, k, ko, ks, v, vo, vs, kc, kco, vc, vco, kvh, tab, mode, pos,
                    b0, n, nH, nKv, hd, maxT, dummy);
            return;
        }
        int sk = keys(n), nsplit = splits(n, nH, maxLen), nwarps = n * nH * nsplit;
        int wpg = sh ? (int) Math.min(WPG, Math.max(1, cl.maxWorkGroup / 32)) : 1;
        var key = new Key(hd, sk, wpg, sh, f4 && hd % 128 == 0 && kco % 4 == 0 && vco % 4 == 0, kvh);
        cl_kernel kern;
        try {
            kern = cl.kernel(key, () -> cl.kernel("attn_warp.cl", key.options(), "attn_warp"));
        } catch (IllegalStateException e) {
            if (!sh) throw e;
            LOG.log(System.Logger.Level.WARNING, "OpenCL warp-shuffle attention unavailable, exchanging through local memory ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
            shflRefused = true;
            launch(out, oo, part, tick, q, qo, qs, k, ko, ks, v, vo, vs, kc, kco, vc, vco, kvh, tab, mode, pos, b0, n, nH, nKv, hd, maxT, dummy);
            return;
        }
        long groups = (nwarps + wpg - 1) / wpg;
        cl.launch(kern, groups * 32 * wpg, 32L * wpg, null, out, oo, part, tick, q, qo, qs, k, ko, ks, v, vo, vs, kc, kco, vc, vco,
                tab == null ? dummy : tab, tab == null ? 0 : mode, int16(pos, b0, b0 + n), nH, nKv, maxT, (float) (1.0 / Math.sqrt(hd)),
                nsplit, nwarps);
    }

    /** attn_wg.cl: a work-group of nw warps per (row, head, split of kwn·nw keys), kwn keys a warp; nsplit splits a (row, head). */
    private void launchGroups(int kwn, boolean sh, int nsplit, cl_mem out, int oo, cl_mem part, cl_mem tick, cl_mem q, int qo, int qs, cl_mem k, int ko, int ks,
                              cl_mem v, int vo, int vs, cl_mem kc, int kco, cl_mem vc, int vco, boolean kvh, cl_mem tab, int mode, int[] pos, int b0, int n,
                              int nH, int nKv, int hd, int maxT, cl_mem dummy) {
        int nw = warpsOf(n), nt = 32 * nw;
        if (nt > cl.maxWorkGroup) throw new IllegalStateException("attn_wg: the device's work-groups hold " + cl.maxWorkGroup + " threads, fewer than " + 32 * nw);
        var key = new GroupKey(hd, kwn, nw, rounds(n), sh, wgF4 && hd % 128 == 0 && kco % 4 == 0 && vco % 4 == 0, kvh);
        cl_kernel kern;
        try {
            kern = cl.kernel(key, () -> cl.kernel("attn_wg.cl", key.options(), "attn_wg"));
        } catch (IllegalStateException e) {
            if (!sh) throw e;
            LOG.log(System.Logger.Level.WARNING, "OpenCL warp-shuffle attention unavailable, summing through local memory ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
            shflRefused = true;
            launchGroups(kwn, false, nsplit, out, oo, part, tick, q, qo, qs, k, ko, ks, v, vo, vs, kc, kco, vc, vco, kvh, tab, mode, pos, b0, n, nH, nKv, hd, maxT, dummy);
            return;
        }
        cl.launch(kern, (long) n * nH * nsplit * nt, nt, null, out, oo, part, tick, q, qo, qs, k, ko, ks, v, vo, vs, kc, kco, vc, vco,
                tab == null ? dummy : tab, tab == null ? 0 : mode, int16(pos, b0, b0 + n), nH, nKv, maxT, (float) (1.0 / Math.sqrt(hd)), nsplit);
    }

    /** attn_wg.cl's options. */
    private record GroupKey(int hd, int kw, int nw, int it, boolean sh, boolean f4, boolean kvh) {
        String options() {
            return "-DHD=" + hd + " -DDPL=" + (hd + 31) / 32 + " -DKW=" + kw + " -DNW=" + nw + " -DIT=" + it + " -DSHFL=" + (sh ? 1 : 0) + " -DF4=" + (f4 ? 1 : 0)
                    + " -DKVH=" + (kvh ? 1 : 0);
        }
    }

    /** What the program's options are made of ({@link OpenClContext#kernel(Object, java.util.function.Supplier)}). */
    private record Key(int hd, int sk, int wpg, boolean sh, boolean f4, boolean kvh) {
        String options() {
            return "-DHD=" + hd + " -DDPL=" + (hd + 31) / 32 + " -DKPL=" + sk / 32 + " -DWPG=" + wpg + " -DSHFL=" + (sh ? 1 : 0)
                    + " -DSHV=" + (SHV ? 1 : 0) + " -DF4=" + (f4 ? 1 : 0) + " -DKVH=" + (kvh ? 1 : 0);
        }
    }

    private static int keysSet() {
        int sk = Integer.getInteger("jmglu.opencl.attnkeys", 0);
        if (sk != 0 && sk != 32 && sk != 64) throw new IllegalArgumentException("-Djmglu.opencl.attnkeys=" + sk + ": expected 32 or 64");
        return sk;
    }

    private static int pow2(String name, int dflt, int lo, int hi) {
        int x = Integer.getInteger("jmglu.opencl." + name, dflt);
        if (x != 0 && (x < lo || x > hi || Integer.bitCount(x) != 1))
            throw new IllegalArgumentException("-Djmglu.opencl." + name + "=" + x + ": expected a power of two in " + lo + ".." + hi);
        return x;
    }

    private static int itSet() {
        int it = Integer.getInteger("jmglu.opencl.attnit", 0);
        if (it < 0 || it > 8) throw new IllegalArgumentException("-Djmglu.opencl.attnit=" + it + ": expected 1..8, or 0 for the default by the rows");
        return it;
    }

    private static int wpgSet() {
        int w = Integer.getInteger("jmglu.opencl.attnwpg", 4);
        if (w < 1 || w > 8 || Integer.bitCount(w) != 1) throw new IllegalArgumentException("-Djmglu.opencl.attnwpg=" + w + ": expected 1, 2, 4 or 8");
        return w;
    }
}
