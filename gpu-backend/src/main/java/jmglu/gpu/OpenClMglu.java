package jmglu.gpu;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * Launchers for the row kernels of mglu.cl on device-resident data: FlashMGLU, MGLU scores,
 * GEMV (optionally adding into its output: the residual add of a linear layer), the SwiGLU baseline
 * (two matrices, one kernel) and the naive MGLU baseline (materialise M_i⊙W and (1−M_i)⊙W, two GEMVs
 * and y += g(gate)⊙value per route). Used by {@link OpenClBackend} and the kernel benchmark
 * ({@link OpenClBench}).
 *
 * <p>Which kernel and shape runs is fixed by the {@link OpenClSettings} given at construction. The row
 * kernel's reduction needs R·NV·B·LS floats of local memory (NV = 1 + nm); R, then LS, shrink until that
 * fits in a quarter of the device's local memory. On NVIDIA, warps reduce with shfl.sync (inline PTX):
 * each warp owns R rows, no local memory, no barriers. FlashMGLU and the scores take, in order: the
 * tensor-core kernel flash_tc.cl ({@link ClFlashTc}: NVIDIA mma.sync; 16-bit W with h % 32 == 0, B ≤ 8,
 * both operands also held in their {@link TcLayout} copy); mglu_fast.cl where it measured faster on the
 * H200 ({@link ClFastMglu}); the row kernel otherwise.
 * GEMV and SwiGLU at decode batches (settings' tcGemvMinB..tcGemvMaxB, default 1..8) take the tensor-core
 * kernel gemv_tc.cl ({@link ClTcGemv}, W read row-major) when the tensor-core path is on; of those, B ≤ 2
 * (-Djmglu.opencl.b1max) takes gemv_b1.cl ({@link ClGemvB1}, CUDA cores, many loads in flight) instead.
 * A path whose program the device's compiler refuses (inline PTX on a foreign driver) is logged once
 * and stays off for this launcher.
 */
public final class OpenClMglu {
    /** Explicit fallbacks (a kernel the driver's compiler refused) are logged here, once each. */
    private static final System.Logger LOG = System.getLogger("jmglu.gpu");

    public static final int MAX_BATCH = 16;

    /**
     * A (rows, cols) weight matrix resident on the device, in its storage type, from byte 0 of mem;
     * tc (or null) holds the same values in the tensor-core kernel's tile layout ({@link TcLayout}).
     */
    public record DeviceMatrix(DType dtype, int rows, int cols, cl_mem mem, cl_mem tc) {
        public DeviceMatrix(DType dtype, int rows, int cols, cl_mem mem) { this(dtype, rows, cols, mem, null); }

        public static DeviceMatrix upload(OpenClContext cl, WeightMatrix w) { return upload(cl, w, false); }

        /** With tc, also the tile layout (packed on the host) when the tensor-core kernel can take this matrix (16-bit, h % 32 == 0). */
        public static DeviceMatrix upload(OpenClContext cl, WeightMatrix w, boolean tc) {
            cl_mem t = tc && w.dtype() != DType.F32 && TcLayout.fits(w.cols())
                    ? cl.upload(TcLayout.packW(w.tensor().toShorts(), w.rows(), w.cols())) : null;
            return new DeviceMatrix(w.dtype(), w.rows(), w.cols(), cl.upload(w.seg()), t);
        }
        public long bytes() { return (long) rows * cols * dtype.bytes; }
        public void release() { OpenClContext.release(mem, tc); }
    }

    /** Bit-plane masks resident on the device (layout of {@link MaskPlanes}); tc (or null) in {@link TcLayout}. */
    public record DeviceMasks(int nm, int rows, int cols, cl_mem mem, cl_mem tc) {
        public DeviceMasks(int nm, int rows, int cols, cl_mem mem) { this(nm, rows, cols, mem, null); }

        public static DeviceMasks upload(OpenClContext cl, MaskPlanes m) { return upload(cl, m, false); }

        public static DeviceMasks upload(OpenClContext cl, MaskPlanes m, boolean tc) {
            cl_mem t = tc && TcLayout.fits(m.cols()) ? cl.upload(TcLayout.packMasks(m)) : null;
            return new DeviceMasks(m.nm(), m.rows(), m.cols(), cl.upload(m.seg()), t);
        }
        public void release() { OpenClContext.release(mem, tc); }
    }

    public static final int FLASH = 0, SCORES = 1, GEMV = 2, SWIGLU = 3;
    /**
     * One row (B = 1) takes a work-group of {@link #GROUP_LS} threads per row of W (the local-memory tree) instead of warps
     * of R rows when W has fewer than 4 rows per compute unit (the lm head of a small vocabulary), or fewer than this
     * many (-Djmglu.opencl.grouprows, 0: never) and x is read as it is, not normalised (the residual projections, d = C).
     * H200, lab/gpu/decode-run9 call 2, B = 1, µs a call: Wo/W2 (d 2048) 14.5 against 22 for warps of 2 rows; the lm head
     * (d 256) 5.4 against 10–13; the qkv GEMV normalising its input (d 6144) 22 against 17, hence not there.
     */
    private static final int GROUP_ROWS = Integer.getInteger("jmglu.opencl.grouprows", 32), GROUP_LS = 128;

    private final OpenClContext cl;
    private final OpenClSettings s;
    private final cl_mem dummy;
    private final boolean nvidia;      // an NVIDIA platform (inline PTX, mma.sync)
    private final ClTcGemv tcGemv;     // GEMV and SwiGLU of decode batches on tensor cores (gemv_tc.cl)
    private final ClGemvB1 b1Gemv;     // the same at B ≤ 2 on the CUDA cores (gemv_b1.cl)
    private final ClFlashTc flashTc;   // FlashMGLU and the scores on tensor cores (flash_tc.cl)
    private final ClFastMglu fast;     // the same on the CUDA cores where it beats the row kernel (mglu_fast.cl)
    private cl_mem normed;            // the normed input of the paths that take no NormIn (grown on demand)
    private long normedBytes;
    private volatile boolean shflRefused;  // the compiler refused the inline PTX of mglu.cl (logged once; off for good)

    public OpenClMglu(OpenClContext cl, OpenClSettings settings) {
        this.cl = cl;
        this.s = settings;
        this.dummy = cl.alloc(64);
        this.nvidia = cl.ref.platformName().toUpperCase(java.util.Locale.ROOT).contains("NVIDIA");
        this.flashTc = new ClFlashTc(cl, settings, nvidia, dummy);
        this.fast = new ClFastMglu(cl, settings, this::useShfl, dummy);
        this.tcGemv = new ClTcGemv(cl, this);
        this.b1Gemv = new ClGemvB1(cl, this);
    }

    public OpenClContext context() { return cl; }

    public OpenClSettings settings() { return s; }

    /** Whether GEMV / SwiGLU of a W of this type and width at batch B take the tensor-core kernel gemv_tc.cl ({@link ClTcGemv}). */
    public boolean tcGemvApplies(DType dt, int h, int B) { return tcGemv.applies(dt, h, B); }

    /** Whether GEMV / SwiGLU of a W of this type and width at batch B (of rmsnorm(x) when norm) take gemv_b1.cl ({@link ClGemvB1}) instead. */
    public boolean b1GemvApplies(DType dt, int h, int B, boolean norm) { return b1Gemv.applies(B, norm, tcGemv.applies(dt, h, B)); }

    /** The paths whose programs the device's compiler refused so far ("" when none): "shfl", "fast", "tc". */
    public String refusedPaths() {
        return ((shflRefused ? "shfl " : "") + (fast.refused() ? "fast " : "") + (flashTc.refused() ? "tc" : "")).trim();
    }

    /**
     * One launch of the row kernel. mode FLASH: out = y (B, d); SCORES: out = t (B, d), out2 = s
     * (nm, B, d); GEMV: out = t (B, d); SWIGLU: out = g(x Wᵀ) ⊙ (x W2ᵀ). x is (B, h) float32.
     */
    public void rows(int mode, cl_mem out, cl_mem out2, cl_mem x, DeviceMatrix w, DeviceMatrix w2, DeviceMasks m,
                     int B, Act g, cl_event ev) {
        rows(mode, out, out2, x, w, w2, m, B, g, false, null, null, ev);
    }

    /**
     * A kernel input that is rmsnorm(x) of the x passed, with weight w[wo, wo + h) F32: the kernels that take it
     * (mglu.cl, flash_tc.cl NORMIN) reduce x² themselves and scale as they load, so the normed rows are never
     * written; the other paths get them normed into a scratch buffer first ({@link #normed}).
     */
    public record NormIn(cl_mem w, int wo, float eps) {}

    /** y (B, d) = x Wᵀ, or y += x Wᵀ when acc (the add is fused into the row kernel's epilogue). */
    public void gemv(cl_mem y, cl_mem x, DeviceMatrix w, int B, boolean acc, cl_event ev) {
        rows(GEMV, y, null, x, w, null, null, B, Act.SILU, acc, null, null, ev);
    }

    /**
     * y (B, d) = x Wᵀ (of rmsnorm(x) when norm is not null) and am.ids[b] = the argmax of row b of y (ties to the lower
     * index, −1 for a row with a NaN or +Inf: Backend.argmaxRow) in one launch of gemv_b1.cl or gemv_tc.cl, where
     * {@link #gemv} would take one of them. False, with nothing launched, elsewhere (the caller runs GEMV then argmax).
     */
    public boolean gemvArgmax(cl_mem y, cl_mem x, NormIn norm, DeviceMatrix w, int B, GemvExtras.ArgmaxOut am, cl_event ev) {
        int h = w.cols();
        if (B < 1 || B > MAX_BATCH) return false;
        if (b1GemvApplies(w.dtype(), h, B, norm != null) && b1Gemv.run(GEMV, y, x, norm, null, w, null, B, Act.SILU, false, am, ev)) return true;
        return tcGemv.applies(w.dtype(), h, B) && tcGemv.run(GEMV, y, x, norm, w, null, B, Act.SILU, false, am, ev);
    }

    /**
     * {@link #gemv} that also writes n (B, d) = rmsnorm(y) with weight out.w (gemv_tc.cl NORMOUT), where gemv_tc takes
     * this GEMV; false (nothing launched) elsewhere: the caller runs {@link #gemv} and the norm.
     */
    boolean gemvNormOut(cl_mem y, cl_mem x, NormIn norm, DeviceMatrix w, int B, boolean acc, GemvExtras.NormOut out) {
        return normOutApplies(w.dtype(), w.cols(), B, norm != null) && tcGemv.run(GEMV, y, x, norm, w, null, B, Act.SILU, acc, out, null, null);
    }

    /** Whether {@link #gemvNormOut} takes a GEMV of a W of this type and width at batch B (of a normed input when norm). */
    boolean normOutApplies(DType dt, int h, int B, boolean norm) {
        return B >= 1 && B <= MAX_BATCH && !b1GemvApplies(dt, h, B, norm) && tcGemv.applies(dt, h, B);
    }

    /** {@link #gemv} of the normed input rmsnorm(x) (norm null: of x itself). */
    public void gemv(cl_mem y, cl_mem x, NormIn norm, DeviceMatrix w, int B, boolean acc, cl_event ev) {
        rows(GEMV, y, null, x, w, null, null, B, Act.SILU, acc, norm, null, ev);
    }

    /** {@link #gemv} of rmsnorm(x) with x's rows owed as an embedding (emb, see {@link GemvExtras.EmbIn}; gathered by gemv_b1.cl, else written first). */
    public void gemv(cl_mem y, cl_mem x, NormIn norm, GemvExtras.EmbIn emb, DeviceMatrix w, int B, boolean acc, cl_event ev) {
        rows(GEMV, y, null, x, w, null, null, B, Act.SILU, acc, norm, emb, ev);
    }

    /** {@link #rows(int, cl_mem, cl_mem, cl_mem, DeviceMatrix, DeviceMatrix, DeviceMasks, int, Act, cl_event)} of rmsnorm(x) (norm null: of x). */
    public void rows(int mode, cl_mem out, cl_mem out2, cl_mem x, NormIn norm, DeviceMatrix w, DeviceMatrix w2, DeviceMasks m,
                     int B, Act g, cl_event ev) {
        rows(mode, out, out2, x, w, w2, m, B, g, false, norm, null, ev);
    }

    /** rmsnorm of the B rows of h floats at x into a scratch buffer owned by this launcher (valid until its next use). */
    private cl_mem normed(cl_mem x, int B, int h, NormIn norm) {
        long bytes = 4L * B * h;
        if (normedBytes < bytes) {
            OpenClContext.release(normed);             // freed once the launches using it have run
            normed = cl.alloc(bytes);
            normedBytes = bytes;
        }
        ClDecodeOps.launchRmsnorm(cl, normed, 0, x, 0, norm.w(), norm.wo(), B, h, norm.eps());
        return normed;
    }

    private void rows(int mode, cl_mem out, cl_mem out2, cl_mem x, DeviceMatrix w, DeviceMatrix w2, DeviceMasks m,
                      int B, Act g, boolean acc, NormIn norm, GemvExtras.EmbIn emb, cl_event ev) {
        int h = w.cols(), d = w.rows();
        String op = switch (mode) { case FLASH -> "flashMglu"; case SCORES -> "mgluScores"; case GEMV -> "gemv"; default -> "swiglu"; };
        if (B < 1 || B > MAX_BATCH) throw new IllegalArgumentException(op + ": batch B must be in 1.." + MAX_BATCH + ", got " + B);
        int nm = 0;
        if (mode == FLASH || mode == SCORES) {
            if (m == null || m.rows() != d || m.cols() != h)
                throw new IllegalArgumentException(op + ": W is (" + d + ", " + h + ") but masks are "
                        + (m == null ? "missing" : "(" + m.rows() + ", " + m.cols() + ")"));
            nm = m.nm();
            MaskPlanes.checkNm(nm, op);
        }
        if (mode == SWIGLU && (w2 == null || w2.rows() != d || w2.cols() != h || w2.dtype() != w.dtype()))
            throw new IllegalArgumentException(op + ": Wg is " + w.dtype() + " (" + d + ", " + h + ") but Wv is "
                    + (w2 == null ? "missing" : w2.dtype() + " (" + w2.rows() + ", " + w2.cols() + ")"));
        if ((mode == GEMV || mode == SWIGLU) && b1GemvApplies(w.dtype(), h, B, norm != null)
                && b1Gemv.run(mode, out, x, norm, emb, w, w2, B, g, acc, null, ev)) return;
        if (emb != null) emb.write().run();            // the other kernels read x: the embedding is written first
        if ((mode == GEMV || mode == SWIGLU) && tcGemv.applies(w.dtype(), h, B)
                && tcGemv.run(mode, out, x, norm, w, w2, B, g, acc, null, ev)) return;
        int nv = mode == GEMV ? 1 : mode == SWIGLU ? 2 : nm + 1, ns = norm != null ? B : 0;   // ns: the Σx² sums
        if (nm > 0 && flashTc.run(mode, out, out2, x, norm, w, m, B, g, ev)) return;
        if (nm > 0 && fast.applies(h, nm, B)) {       // mglu_fast.cl takes no NormIn: it reads the normed copy
            cl_mem xn = norm == null ? x : normed(x, B, h, norm);
            if (fast.run(mode, out, out2, xn, w, m, B, g, ev)) return;
            x = xn;
            norm = null;
        }
        boolean sh = useShfl();
        int R = Math.max(1, Math.min(s.rows(), d)), LS = (int) Math.min(s.ls(), cl.maxWorkGroup);
        long cu = Math.max(1, cl.computeUnits);
        if (B == 1 && (d < 4 * cu || norm == null && d < GROUP_ROWS * cu)) {   // a work-group per row, see GROUP_ROWS
            sh = false;
            R = 1;
            LS = (int) Math.min(GROUP_LS, cl.maxWorkGroup);
        }
        long redBytes;
        if (sh) {                                   // warp-shuffle reduction: registers only
            LS = Math.max(32, LS);
            while (R * nv * B > 64 && R > 1) R >>= 1;
            redBytes = 4;
        } else {
            long budget = Math.min(cl.localMemBytes / 4, 16384);
            while ((long) (R * nv * B + ns) * LS * 4 > budget && R > 1) R >>= 1;
            while ((long) (R * nv * B + ns) * LS * 4 > budget && LS > 16) LS >>= 1;
            redBytes = (long) (R * nv * B + ns) * LS * 4;
        }
        long xBytes = 4L * B * h;
        boolean xl = switch (s.xlocal()) {
            case ON -> xBytes + redBytes <= cl.localMemBytes - 1024;
            case OFF -> false;
            case AUTO -> xBytes + redBytes <= Math.min(cl.localMemBytes / 2, 32768);
        };
        boolean al = aligned(w.dtype(), h);
        int ga = norm == null ? 0 : al && norm.wo() % 8 == 0 ? 2 : 1;         // NORMIN, GALIGNED
        var key = new RowsKey(w.dtype(), nm, B, g, LS, R, xl, mode, al, acc, ga, sh, s.unroll());
        org.jocl.cl_kernel k;
        try {
            k = cl.kernel(key, () -> cl.kernel("mglu.cl", key.options(), "rows"));
        } catch (IllegalStateException e) {         // the compiler refused the inline PTX: fall back for good
            if (!sh) throw e;
            LOG.log(System.Logger.Level.WARNING, "OpenCL warp-shuffle kernels unavailable, using local-memory reductions ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
            shflRefused = true;
            rows(mode, out, out2, x, w, w2, m, B, g, acc, norm, null, ev);
            return;
        }
        int rowsPerWg = R * (sh ? LS / 32 : 1);
        long groups = (d + rowsPerWg - 1) / rowsPerWg;
        var xLocal = new OpenClContext.Local(xl ? xBytes : 4);
        var redLocal = new OpenClContext.Local(redBytes);
        if (norm == null)
            cl.launch(k, groups * LS, LS, ev, out, out2 == null ? dummy : out2, x, w.mem(),
                    w2 == null ? dummy : w2.mem(), m == null ? dummy : m.mem(), h, d, xLocal, redLocal);
        else
            cl.launch(k, groups * LS, LS, ev, out, out2 == null ? dummy : out2, x, w.mem(),
                    w2 == null ? dummy : w2.mem(), m == null ? dummy : m.mem(), h, d, xLocal, redLocal, norm.w(), norm.wo(), norm.eps());
    }

    /**
     * The kernel, or null (a warning logged) when the device's compiler refuses the program, e.g. a driver that
     * rejects the inline PTX of the tensor-core kernels: the caller then takes its row kernels for good.
     */
    static org.jocl.cl_kernel kernelOrNull(OpenClContext cl, String file, String opts, String name, String what) {
        try {
            return cl.kernel(file, opts, name);
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.WARNING, "OpenCL " + what + " unavailable, using the row kernels ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
            return null;
        }
    }

    /** Whether masked weights should also be held in the tensor-core layout (the tc path is on). */
    public boolean tensorCores() { return flashTc.enabled(); }

    /** Whether FlashMGLU / the scores of a W of this type and width at batch B go through the tensor-core kernel. */
    public boolean tcApplies(DType dt, int h, int B) { return flashTc.applies(dt, h, B); }

    /** What mglu.cl rows' options are made of (ga: 0 no NormIn, 1 NORMIN, 2 NORMIN and GALIGNED). */
    private record RowsKey(DType dt, int nm, int B, Act g, int LS, int R, boolean xl, int mode, boolean al, boolean acc, int ga, boolean sh,
                           int unroll) {
        String options() {
            return "-DWT=" + wt(dt) + " -DNM=" + nm + " -DBB=" + B + " -DACT=" + g.ordinal()
                    + " -DLS=" + LS + " -DR=" + R + " -DXLOCAL=" + (xl ? 1 : 0) + " -DMODE=" + mode
                    + " -DALIGNED=" + (al ? 1 : 0) + " -DU=" + unroll + " -DACC=" + (acc ? 1 : 0)
                    + (ga > 0 ? " -DNORMIN=1" + (ga == 2 ? " -DGALIGNED=1" : "") : "") + " -DSHFL=" + (sh ? 1 : 0);
        }
    }

    /**
     * The {@link TcLayout} tile copy of a 16-bit (d, h) W at byte 0 of w, packed on the device
     * (tc_pack.cl: the same words as {@link TcLayout#packW}); h % 32 == 0. The caller owns the result.
     */
    public cl_mem packTcW(cl_mem w, int d, int h) {
        long words = (long) TcLayout.blocks(d) * (h / 32) * 32 * 8;
        cl_mem out = cl.alloc(4 * words);
        cl.launch(cl.kernel("tc_pack.cl", "", "pack_w"), words, 0, null, out, w, d, h);
        return out;
    }

    /** The {@link TcLayout} copy of nm bit-planes over a (d, h) matrix at byte 0 of bits (as {@link TcLayout#packMasks}). */
    public cl_mem packTcMasks(cl_mem bits, int nm, int d, int h) {
        long words = (long) TcLayout.blocks(d) * (h / 32) * 32 * TcLayout.maskWords(nm);
        cl_mem out = cl.alloc(4 * words);
        cl.launch(cl.kernel("tc_pack.cl", "", "pack_masks"), words, 0, null, out, bits, d, h, nm);
        return out;
    }

    boolean nvidia() { return nvidia; }

    /** Warp shuffles (inline PTX): AUTO = on NVIDIA platforms. */
    boolean useShfl() { return !shflRefused && s.shfl().resolve(nvidia()); }

    /**
     * The aligned fast path (vloada_half8, unrolled loops, chunk-loop unroll U): fp16 W with h % 8 == 0.
     * Validated on the H200 for fp16 (f32/bf16 keep the plain vload path there: they were never
     * validated since the fault found was x staged in local memory, read as float8 from a buffer that
     * NVIDIA does not align to 32 bytes). The settings' alignedAll enables it for every dtype.
     */
    private boolean aligned(DType t, int h) { return h % 8 == 0 && (t == DType.F16 || s.alignedAll()); }

    /** The WT code of mglu.cl: 0 f32, 1 f16, 2 bf16. */
    static int wt(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            case I32 -> throw new IllegalArgumentException("a weight matrix must be F32, BF16 or F16, not I32");
        };
    }

    public void release() {
        tcGemv.release();
        b1Gemv.release();
        OpenClContext.release(dummy, normed);
    }
}
