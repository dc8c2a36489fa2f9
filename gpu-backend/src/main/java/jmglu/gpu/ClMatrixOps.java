package jmglu.gpu;

import static jmglu.gpu.OpenClBackend.rows;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;
import org.jocl.cl_mem;

/**
 * The {@link OpenClBackend} ops over a weight matrix W (d, h) (row-major like nn.Linear): linear
 * (GEMV, the residual add fused into its epilogue), glu, FlashMGLU and Top-K routed MGLU, through
 * {@link OpenClMglu}. Semantics are {@link jmglu.engine.HostBackend}'s. Batches go in launches of
 * up to {@link OpenClMglu#MAX_BATCH} rows. These kernels take no offsets: tensors not at byte 0 of
 * their buffer are passed as sub-buffers or device-side copies ({@link ClScratch#view}). Batches of
 * more than 8 rows with 16-bit W go to the tensor-core GEMMs of {@link ClGemm} instead (one launch per op).
 *
 * <p>FlashMGLU on the tensor-core path also needs W and the masks in the {@link TcLayout} tile order:
 * the copy is packed on the device the first time a weight is used that way, cached on its buffer
 * and freed with it (so W is held twice on NVIDIA, as the kernel needs).
 */
final class ClMatrixOps {
    private static final int CHUNK = OpenClMglu.MAX_BATCH;
    private final OpenClBackend be;
    private final OpenClMglu mglu;
    private final ClScratch scratch;

    ClMatrixOps(OpenClBackend be) {
        this.be = be;
        this.mglu = be.mglu;
        this.scratch = be.scratch;
    }

    /** y (B, d) = x (B, h) · Wᵀ, or y += that when acc; x is in.x, normed as it is loaded when in owes a norm. */
    void linear(Tensor y, ClNorms.Input in, Tensor w, boolean acc) {
        Tensor x = in.x;
        int d = rowsOf(w, "linear"), h = w.dim(1), B = batch(x, h, "linear");
        var norm = in.normIn();
        be.f32(y, "linear", "y", (long) B * d);
        try (ClScratch.View wv = scratch.view(w, true, false)) {
            if (be.gemm.applies(w.dtype(), h, B))
                try (var xv = scratch.view(in.plain(), true, false); var yv = scratch.view(y, acc, true)) {
                    if (be.gemm.linear(yv.mem, xv.mem, w.dtype(), wv.mem, d, h, B, acc)) return;
                }
            var dm = new OpenClMglu.DeviceMatrix(w.dtype(), d, h, wv.mem);
            for (int b0 = 0; b0 < B; b0 += CHUNK) {
                int n = Math.min(CHUNK, B - b0);
                try (var xv = scratch.view(rows(x, B, h, b0, b0 + n), true, false); var yv = scratch.view(rows(y, B, d, b0, b0 + n), acc, true)) {
                    mglu.gemv(yv.mem, xv.mem, norm, dm, n, acc, null);
                }
            }
        }
    }

    /**
     * {@link #linear}, and n (B, d) = rmsnorm(y) with weight nw (d) F32 and eps written by the same launch (gemv_tc.cl
     * NORMOUT), when the GEMV takes the tensor-core kernel and n overlaps none of y, x, W, nw; false (nothing
     * launched) otherwise: the caller runs linear and owes the norm.
     */
    boolean linearNormOut(Tensor y, ClNorms.Input in, Tensor w, boolean acc, Tensor n, Tensor nw, float eps) {
        Tensor x = in.x;
        int d = rowsOf(w, "linear"), h = w.dim(1), B = batch(x, h, "linear");
        var norm = in.normIn();
        if (B > CHUNK || nw.size() != d || n.size() != (long) B * d || be.gemm.applies(w.dtype(), h, B)
                || !mglu.normOutApplies(w.dtype(), h, B, norm != null)) return false;
        for (Tensor t : new Tensor[] {y, x, in.given, w, nw}) if (ClNorms.overlaps(n, t)) return false;
        be.f32(y, "linear", "y", (long) B * d);
        be.f32(n, "rmsnorm", "n", (long) B * d);
        ClBuffer nwb = be.f32(nw, "rmsnorm", "w", d);
        try (ClScratch.View wv = scratch.view(w, true, false); var xv = scratch.view(x, true, false); var yv = scratch.view(y, acc, true);
             var nv = scratch.view(n, false, true)) {
            var out = new GemvExtras.NormOut(nv.mem, nwb.mem(), OpenClBackend.elems(nw), eps, scratch.ticket());
            return mglu.gemvNormOut(yv.mem, xv.mem, norm, new OpenClMglu.DeviceMatrix(w.dtype(), d, h, wv.mem), B, acc, out);
        }
    }

    /**
     * y (B, d) = x (B, h) · Wᵀ and ids[b] = the argmax of row b of y in one launch ({@link OpenClMglu#gemvArgmax}), where
     * linear would run gemv_b1.cl or gemv_tc.cl (B ≤ 16, no tensor-core GEMM); false, with nothing launched, elsewhere.
     */
    boolean linearArgmax(Tensor y, ClNorms.Input in, Tensor w, cl_mem ids) {
        Tensor x = in.x;
        int d = rowsOf(w, "linear"), h = w.dim(1), B = batch(x, h, "linear");
        var norm = in.normIn();
        be.f32(y, "linear", "y", (long) B * d);
        if (B > CHUNK || be.gemm.applies(w.dtype(), h, B)
                || !mglu.b1GemvApplies(w.dtype(), h, B, norm != null) && !mglu.tcGemvApplies(w.dtype(), h, B)) return false;
        var am = new GemvExtras.ArgmaxOut(ids, scratch.slot(ClScratch.ARGMAX, GemvExtras.argmaxPartBytes(d, B)), scratch.ticket());
        // y is written whole (no acc): a copy view left unwritten (a refused program) is overwritten by the caller's linear
        try (var wv = scratch.view(w, true, false); var xv = scratch.view(x, true, false); var yv = scratch.view(y, false, true)) {
            return mglu.gemvArgmax(yv.mem, xv.mem, norm, new OpenClMglu.DeviceMatrix(w.dtype(), d, h, wv.mem), B, am, null);
        }
    }

    /** y (B, d) = g(x Wgᵀ) ⊙ (x Wvᵀ): one fused kernel when Wg and Wv share a dtype, else GEMV, act, GEMV, mul. */
    void glu(Tensor y, ClNorms.Input in, Tensor wGate, Tensor wValue, Act g) {
        Tensor x = in.x;
        int d = rowsOf(wGate, "glu"), h = wGate.dim(1), B = batch(x, h, "glu");
        var norm = in.normIn();
        rowsOf(wValue, "glu");
        if (!wGate.sameShape(wValue)) throw new IllegalArgumentException("glu: Wg " + wGate + " and Wv " + wValue + " differ in shape");
        be.f32(y, "glu", "y", (long) B * d);
        try (var gv = scratch.view(wGate, true, false); var vv = scratch.view(wValue, true, false)) {
            if (wGate.dtype() == wValue.dtype() && be.gemm.applies(wGate.dtype(), h, B))
                try (var xv = scratch.view(in.plain(), true, false); var yv = scratch.view(y, false, true)) {
                    if (be.gemm.glu(yv.mem, xv.mem, wGate.dtype(), gv.mem, vv.mem, d, h, B, g)) return;
                }
            var mg = new OpenClMglu.DeviceMatrix(wGate.dtype(), d, h, gv.mem);
            var mv = new OpenClMglu.DeviceMatrix(wValue.dtype(), d, h, vv.mem);
            for (int b0 = 0; b0 < B; b0 += CHUNK) {
                int n = Math.min(CHUNK, B - b0);
                try (var xv = scratch.view(rows(x, B, h, b0, b0 + n), true, false); var yv = scratch.view(rows(y, B, d, b0, b0 + n), false, true)) {
                    if (mg.dtype() == mv.dtype()) {
                        mglu.rows(OpenClMglu.SWIGLU, yv.mem, null, xv.mem, norm, mg, mv, null, n, g, null);
                    } else {
                        cl_mem gate = scratch.slot(ClScratch.GATE, 4L * n * d);
                        mglu.gemv(gate, xv.mem, norm, mg, n, false, null);
                        be.decode().launchAct(gate, 0, n * d, g);
                        mglu.gemv(yv.mem, xv.mem, norm, mv, n, false, null);
                        be.decode().launchMul(yv.mem, 0, gate, 0, n * d);
                    }
                }
            }
        }
    }

    /** FlashMGLU y (B, d) = Σ_i g(s_i) ⊙ (t − s_i); masks I32 (d, nm, ⌈h/32⌉). */
    void flashMglu(Tensor y, ClNorms.Input in, Tensor w, Tensor masks, Act g) {
        Tensor x = in.x;
        int d = rowsOf(w, "flashMglu"), h = w.dim(1), B = batch(x, h, "flashMglu"), nm = nmOf(masks, d, h, "flashMglu");
        var norm = in.normIn();
        be.f32(y, "flashMglu", "y", (long) B * d);
        try (var wv = scratch.view(w, true, false); var mv = scratch.view(masks, true, false)) {
            if (be.gemm.applies(w.dtype(), h, B))
                try (var xv = scratch.view(in.plain(), true, false); var yv = scratch.view(y, false, true)) {
                    if (be.gemm.flash(yv.mem, xv.mem, w.dtype(), wv.mem, mv.mem, nm, d, h, B, g)) return;
                }
            for (int b0 = 0; b0 < B; b0 += CHUNK) {
                int n = Math.min(CHUNK, B - b0);
                var dm = matrix(w, wv.mem, d, h, n);
                var dk = masks(masks, mv.mem, nm, d, h, dm.tc() != null);
                try (var xv = scratch.view(rows(x, B, h, b0, b0 + n), true, false); var yv = scratch.view(rows(y, B, d, b0, b0 + n), false, true)) {
                    mglu.rows(OpenClMglu.FLASH, yv.mem, null, xv.mem, norm, dm, null, dk, n, g, null);
                }
            }
        }
    }

    /** Top-K routed MGLU: r = x routerᵀ; the scores t, s_i in one pass over W; the K-route combination per row. */
    void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int k, Act g) {
        int d = rowsOf(w, "mgluTopK"), h = w.dim(1), B = batch(x, h, "mgluTopK"), nm = nmOf(masks, d, h, "mgluTopK");
        if (rowsOf(router, "mgluTopK") != nm || router.dim(1) != h)
            throw new IllegalArgumentException("mgluTopK: the router must be (nm=" + nm + ", h=" + h + "), got " + router);
        if (k < 1 || k > nm) throw new IllegalArgumentException("mgluTopK: K must be in 1.." + nm + ", got " + k);
        be.f32(y, "mgluTopK", "y", (long) B * d);
        try (var wv = scratch.view(w, true, false); var mv = scratch.view(masks, true, false); var rv = scratch.view(router, true, false)) {
            var dr = new OpenClMglu.DeviceMatrix(router.dtype(), nm, h, rv.mem);
            for (int b0 = 0; b0 < B; b0 += CHUNK) {
                int n = Math.min(CHUNK, B - b0);
                var dm = matrix(w, wv.mem, d, h, n);
                var dk = masks(masks, mv.mem, nm, d, h, dm.tc() != null);
                cl_mem t = scratch.slot(ClScratch.T, 4L * n * d), s = scratch.slot(ClScratch.S, 4L * nm * n * d),
                        r = scratch.slot(ClScratch.ROUTER, 4L * n * nm);
                try (var xv = scratch.view(rows(x, B, h, b0, b0 + n), true, false); var yv = scratch.view(rows(y, B, d, b0, b0 + n), false, true)) {
                    mglu.gemv(r, xv.mem, dr, n, false, null);
                    mglu.rows(OpenClMglu.SCORES, t, s, xv.mem, dm, null, dk, n, g, null);
                    be.decode().launchTopK(yv.mem, 0, t, s, r, n, d, nm, k, g);
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers
    /** W as the launcher's matrix, with its tile copy when the tensor-core kernel will take this batch of n rows. */
    private OpenClMglu.DeviceMatrix matrix(Tensor w, cl_mem mem, int d, int h, int n) {
        cl_mem tc = null;
        if (mglu.tcApplies(w.dtype(), h, n) && w.deviceOffset() == 0) {
            ClBuffer b = be.buf(w, "flashMglu", "W");
            tc = b.tcCopy(d, h, 0, () -> mglu.packTcW(b.mem(), d, h));
        }
        return new OpenClMglu.DeviceMatrix(w.dtype(), d, h, mem, tc);
    }

    /** The masks as the launcher's planes, with their tile copy when W has one. */
    private OpenClMglu.DeviceMasks masks(Tensor masks, cl_mem mem, int nm, int d, int h, boolean tc) {
        cl_mem t = null;
        if (tc && masks.deviceOffset() == 0) {
            ClBuffer b = be.buf(masks, "flashMglu", "masks");
            t = b.tcCopy(d, h, nm, () -> mglu.packTcMasks(b.mem(), nm, d, h));
        }
        return new OpenClMglu.DeviceMasks(nm, d, h, mem, t);
    }

    /** d of a (d, h) weight matrix on this backend in F32/BF16/F16. */
    private int rowsOf(Tensor w, String op) {
        be.buf(w, op, "W");
        if (w.rank() != 2 || w.dtype() == DType.I32) throw new IllegalArgumentException(op + ": W must be (d, h) F32/BF16/F16, got " + w);
        return w.dim(0);
    }

    /** B of an F32 x holding B rows of h. */
    private int batch(Tensor x, int h, String op) {
        if (x.size() % h != 0) throw new IllegalArgumentException(op + ": x " + x + " is not rows of h=" + h);
        be.f32(x, op, "x", x.size());
        return x.size() / h;
    }

    /** nm of I32 (d, nm, ⌈h/32⌉) masks. */
    private int nmOf(Tensor masks, int d, int h, String op) {
        be.buf(masks, op, "masks");
        if (masks.dtype() != DType.I32 || masks.rank() != 3 || masks.dim(0) != d || masks.dim(2) != MaskPlanes.wordsPerRow(h))
            throw new IllegalArgumentException(op + ": masks must be I32 (" + d + ", nm, " + MaskPlanes.wordsPerRow(h) + ") for W (" + d + ", " + h
                    + "), got " + masks);
        MaskPlanes.checkNm(masks.dim(1), op);
        return masks.dim(1);
    }
}
