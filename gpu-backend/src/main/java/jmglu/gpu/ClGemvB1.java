package jmglu.gpu;

import jmglu.engine.Act;
import jmglu.engine.DType;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * The launcher of gemv_b1.cl: GEMV (y = x Wᵀ, or y += x Wᵀ) and SwiGLU's glu (y = g(x Wgᵀ) ⊙ (x Wvᵀ)) of the smallest
 * decode batches on the CUDA cores, optionally of the normed input rmsnorm(x) ({@link OpenClMglu.NormIn}), W 16-bit
 * row-major as stored. At B = 1 a GEMV is a pure stream of W: the kernel only has to keep many 16-byte loads of W in
 * flight on every SM. A work-group of KS warps owns RR rows; the warps split h in chunks of 256 columns (split-K), each
 * loads U chunks of its RR rows (RR·NV·U words per lane) before their math, and they add up with shuffles and local
 * memory. Shape, for d rows, h columns and NV matrices (1 GEMV, 2 glu):
 * <ul>
 *   <li>RR starts at -Djmglu.opencl.b1rows (default 4) / NV; KS doubles from 1 up to -Djmglu.opencl.b1ks (default 8)
 *   and the chunks ⌈h/256⌉ while the grid has fewer than -Djmglu.opencl.b1warps (default 24; the glu:
 *   -Djmglu.opencl.b1warps2, default 64) warps per compute unit; if it still has fewer, RR halves (down to 1) and KS is
 *   chosen again;</li>
 *   <li>U = min(-Djmglu.opencl.b1u (default 2), the chunks per warp);</li>
 *   <li>-Djmglu.opencl.b1persist = P > 0: a persistent grid of P groups per compute unit, each taking every (P·CUs)-th
 *   block of RR rows (default 0: a group per block).</li>
 * </ul>
 * {@link OpenClMglu} sends GEMV and SwiGLU here where it would send them to gemv_tc.cl ({@link ClTcGemv#applies}) and
 * B ≤ -Djmglu.opencl.b1max (default 2; at most {@link #MAX_B}; a normed input only at B = 1). Off NVIDIA (PoCL in CI) the kernel runs without inline
 * PTX: conversions by vload_half, a local-memory tree instead of shuffles; the tests force it there.
 *
 * <p>H200 (lab/gpu/gemv1-run call 2, jmglu.lab.gpu.TcGemvProbe, B = 1, µs by the profiling events, W copies rotated past
 * the L2), gemv_tc → this, against stream.cl reading the same bytes and an empty launch: qkv (6144, 2048) 16.3 → 13.8
 * (read 13.2, empty 6.7), qkv of rmsnorm(x) 15.5 → 14.8, Wo (2048, 2048, y +=) 11.9 → 10.4 (read 9.5), W2 (2048, 8192,
 * y +=) 21.0 → 14.5 (read 14.0), glu 2 × (8192, 2048) 23.9 → 22.8 (read of one of the two 14.1), lm head (256, 2048)
 * 9.8 → 7.3 (read 6.6, empty 5.3): within a µs of a kernel that only reads, the rest is the launch. The shape knobs
 * moved these by less than a µs (the defaults are among the best). The B = 1 decode step, gated: device 554 → 485 µs.
 */
final class ClGemvB1 {
    /** The largest batch the kernel is built for (its registers grow with B). */
    static final int MAX_B = 4;

    /** The shape knobs, read when the launcher is made (a probe can vary them between launchers). */
    private final int rows = Math.max(1, Integer.getInteger("jmglu.opencl.b1rows", 4)),
            maxKs = Integer.highestOneBit(Math.max(1, Integer.getInteger("jmglu.opencl.b1ks", 8))),
            warpsPerCu = Integer.getInteger("jmglu.opencl.b1warps", 24),
            warpsPerCu2 = Integer.getInteger("jmglu.opencl.b1warps2", 64),
            maxU = Math.max(1, Integer.getInteger("jmglu.opencl.b1u", 2)),
            maxB = Math.min(MAX_B, Integer.getInteger("jmglu.opencl.b1max", 2)),
            persist = Math.max(0, Integer.getInteger("jmglu.opencl.b1persist", 0));

    private final OpenClContext cl;
    private final OpenClMglu mglu;
    private final cl_mem dummy;
    private volatile boolean refused;

    /** What the program's options are made of ({@link OpenClContext#kernel(Object, java.util.function.Supplier)}). */
    private record Key(DType dt, int nv, Act g, boolean acc, int B, int rr, int ks, int u, boolean norm, boolean ptx, boolean argmax, int embWt) {}

    /** One launch shape: RR rows a group, KS warps a group, U chunks a load batch. */
    record Shape(int rr, int ks, int u) {}

    ClGemvB1(OpenClContext cl, OpenClMglu mglu) {
        this.cl = cl;
        this.mglu = mglu;
        this.dummy = cl.alloc(64);
    }

    void release() { OpenClContext.release(dummy); }

    /**
     * Whether a GEMV / SwiGLU at batch B (of rmsnorm(x) when norm) takes this kernel, where gemv_tc would (tcApplies).
     * Of a normed input only B = 1: qkv of rmsnorm(x) at B = 2 measured slower here than on gemv_tc (H200,
     * lab/gpu/gemv1-run: 15.1 / 16.8 µs against 14.5 / 15.4 in calls 1 / 2).
     */
    boolean applies(int B, boolean norm, boolean tcApplies) { return !refused && tcApplies && B <= maxB && (!norm || B == 1); }

    /** The launch shape for d rows, h columns, nv matrices (see the class comment). */
    Shape shape(int d, int h, int nv) {
        long target = (long) (nv == 2 ? warpsPerCu2 : warpsPerCu) * Math.max(1, cl.computeUnits);
        int chunks = (h + 255) / 256, cap = (int) Math.max(1, Math.min(maxKs, cl.maxWorkGroup / 32));
        int rr = Math.max(1, rows / nv), ks;
        while (true) {
            long groups = (d + rr - 1) / rr;
            ks = 1;
            while (ks < cap && 2 * ks <= chunks && groups * ks < target) ks *= 2;
            if (groups * ks >= target || rr == 1) break;
            rr /= 2;
        }
        int per = (chunks + ks - 1) / ks;
        return new Shape(rr, ks, Math.min(maxU, per));
    }

    /**
     * mode {@link OpenClMglu#GEMV}: y (B, d) = x Wᵀ (y += when acc); {@link OpenClMglu#SWIGLU}: y = g(x Wᵀ) ⊙ (x W2ᵀ).
     * x (B, h) f32, normed as loaded when norm is not null, gathered from an embedding table (and written) when emb is not
     * null (EMBIN); am not null (GEMV, not acc): also am.ids = the argmax of
     * each row of y (argmax_part.cl). False (nothing launched) when the device's compiler refuses the program: logged
     * once, the caller takes its next path.
     */
    boolean run(int mode, cl_mem y, cl_mem x, OpenClMglu.NormIn norm, GemvExtras.EmbIn emb, OpenClMglu.DeviceMatrix w, OpenClMglu.DeviceMatrix w2,
                int B, Act g, boolean acc, GemvExtras.ArgmaxOut am, cl_event ev) {
        int h = w.cols(), d = w.rows(), nv = mode == OpenClMglu.SWIGLU ? 2 : 1;
        Shape s = shape(d, h, nv);
        DType dt = w.dtype();
        boolean normIn = norm != null, ptx = mglu.useShfl();
        if (am != null && (mode != OpenClMglu.GEMV || acc)) throw new IllegalArgumentException("gemv_b1: the fused argmax is of a GEMV without acc");
        org.jocl.cl_kernel k = cl.kernel(new Key(dt, nv, g, acc, B, s.rr(), s.ks(), s.u(), normIn, ptx, am != null, emb == null ? -1 : emb.wt()), () -> {
            String opts = "-DWT=" + OpenClMglu.wt(dt) + " -DMODE=" + (nv - 1) + " -DACT=" + g.ordinal() + " -DACC=" + (acc ? 1 : 0)
                    + " -DBB=" + B + " -DRR=" + s.rr() + " -DKS=" + s.ks() + " -DU=" + s.u() + " -DPTX=" + (ptx ? 1 : 0)
                    + (normIn ? " -DNORMIN=1" : "") + (am != null ? " -DARGMAX=1" : "") + (emb != null ? " -DEMBIN=1 -DTWT=" + emb.wt() : "");
            return OpenClMglu.kernelOrNull(cl, "gemv_b1.cl", opts, "gemv_b1", "B=1 GEMV");
        });
        if (k == null) {
            refused = true;
            return false;
        }
        long blocks = (d + s.rr() - 1) / s.rr(), groups = persist > 0 ? Math.min(blocks, (long) persist * Math.max(1, cl.computeUnits)) : blocks;
        cl_mem m2 = w2 == null ? dummy : w2.mem();
        long global = groups * 32 * s.ks(), local = 32L * s.ks();
        if (am != null || emb != null)
            cl.launch(k, global, local, ev, GemvExtras.args(norm, emb, null, am, y, x, w.mem(), m2, h, d));
        else if (norm == null)
            cl.launch(k, global, local, ev, y, x, w.mem(), m2, h, d);
        else
            cl.launch(k, global, local, ev, y, x, w.mem(), m2, h, d, norm.w(), norm.wo(), norm.eps());
        return true;
    }
}
