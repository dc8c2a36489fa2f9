package jmglu.gpu;

import jmglu.engine.Act;
import jmglu.engine.DType;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * The launcher of gemv_tc.cl: GEMV (y = x Wᵀ, or y += x Wᵀ) and SwiGLU's glu (y = g(x Wgᵀ) ⊙ (x Wvᵀ)) of a
 * decode batch on tensor cores (NVIDIA mma.sync; elsewhere the emulated mma, for tests), optionally of the
 * normed input rmsnorm(x) ({@link OpenClMglu.NormIn}, applied as x is loaded and by 1/rms in the epilogue).
 * W is read row-major as the backend holds it: no tile copy. One work-group of KS warps per 16 rows of W,
 * the warps splitting h; every weight is read once and feeds all B rows (the row kernel of mglu.cl is
 * compute- and latency-bound at B = 8 on the H200).
 *
 * <p>{@link OpenClMglu} sends GEMV and SwiGLU here for batches settings.tcGemvMinB ≤ B ≤ tcGemvMaxB
 * (-Djmglu.opencl.tcgemvmin / tcgemvmax, default 1..8) when the tensor-core path is on (settings' tc: AUTO =
 * on NVIDIA), W is 16-bit and h % 8 == 0. Shape: KS grows from settings.tcWarps (doubling, at most
 * -Djmglu.opencl.tcgemvmaxks, default 16) while the grid has fewer than -Djmglu.opencl.tcgemvwarps (default 16)
 * warps per compute unit and every warp still gets at least 2·U steps of 32 columns; U = -Djmglu.opencl.tcgemvu
 * (default 2) steps are loaded before their math; -Djmglu.opencl.tcgemvpf=1 loads the next U steps' W before it too.
 * H200 (lab/gpu/tcgemv-run), B = 8, µs a call, row kernel → this: qkv (6144, 2048) 29.9 → 15.8, Wo (2048, 2048, y +=)
 * 16.5 → 11.1, W2 (2048, 8192, y +=) 41.5 → 23.9, glu 2 × (8192, 2048) 52.7 → 31.4; bench decode B = 8 SwiMGLU 5,658 →
 * 7,175 tok/s, SwiGLU 4,743 → 6,808. The shape knobs moved those by ±10% with no clear winner (the defaults stay). At
 * B = 1 the kernels alone measured about as fast as the row kernel (slower for the 256-row lm head), but the step is
 * bound by the host's enqueue there, and these launches cost it less: bench decode B = 1 in one call, alternating
 * (lab/gpu/decode-run11 call 3), SwiMGLU 1,710.7 and 1,716.1 tok/s against 1,569.6 and 1,630.6 on the row kernel,
 * SwiGLU 1,644.6 against 1,387.9; so B = 1 took this kernel too. Since then B ≤ 2 (of a normed input B = 1) go to
 * gemv_b1.cl first ({@link ClGemvB1}: faster there, lab/gpu/gemv1-run).
 */
final class ClTcGemv {
    /** The shape knobs, read when the launcher is made (a probe can vary them between launchers). */
    private final int warpsPerCu = Integer.getInteger("jmglu.opencl.tcgemvwarps", 16),
            U = Math.max(1, Integer.getInteger("jmglu.opencl.tcgemvu", 2)),
            maxKs = Math.max(1, Integer.getInteger("jmglu.opencl.tcgemvmaxks", 16)),
            pf = Integer.getInteger("jmglu.opencl.tcgemvpf", 0);

    private final OpenClContext cl;
    private final OpenClMglu mglu;
    private final cl_mem dummy;
    private volatile boolean refused;

    /**
     * What the program's options are made of ({@link OpenClContext#kernel(Object, java.util.function.Supplier)}), the
     * launcher's own knobs (U, pf) too: launchers with other knobs can share a context (TcGemvProbe's variants).
     */
    private record Key(DType dt, int nv, Act g, boolean acc, int B, int ks, int xs, boolean norm, int u, boolean pf, boolean normOut,
                       boolean argmax) {}

    ClTcGemv(OpenClContext cl, OpenClMglu mglu) {
        this.cl = cl;
        this.mglu = mglu;
        this.dummy = cl.alloc(64);
    }

    void release() { OpenClContext.release(dummy); }

    /** Whether a GEMV / SwiGLU of a W of this type and width at batch B takes this kernel. */
    boolean applies(DType dt, int h, int B) {
        OpenClSettings s = mglu.settings();
        return !refused && dt != DType.F32 && h % 8 == 0 && B >= s.tcGemvMinB() && B <= s.tcGemvMaxB() && mglu.tensorCores();
    }

    /** Warps per work-group for d rows, h columns, B rows of x, nv accumulator sets (1 GEMV, 2 glu). */
    int warps(int d, int h, int B, int nv) { return warps(d, h, B, nv, DType.F16, false); }

    /** {@link #warps(int, int, int, int)}, with NORMOUT's local memory when normOut (B floats a warp on the device, a thread emulated). */
    int warps(int d, int h, int B, int nv, DType dt, boolean normOut) {
        long groups = (d + 15) / 16, target = (long) warpsPerCu * Math.max(1, cl.computeUnits);
        int cap = (int) Math.max(1, Math.min(maxKs, cl.maxWorkGroup / 32));
        int steps = (h + 31) / 32, ks = Math.max(1, Math.min(mglu.settings().tcWarps(), cap));
        while (ks < cap && groups * ks < target && 2L * ks * 2 * U <= steps) ks *= 2;
        if (!mglu.nvidia()) ks = Math.min(ks, 4);   // the emulated mma: few warps, still more than one (the hand-over)
        while (ks > 1 && (ks - 1) * redBytes(B, nv, dt) + (normOut ? 4L * B * (mglu.nvidia() ? 1 : 32) * ks : 0) > cl.localMemBytes / 2) ks >>= 1;
        return ks;
    }

    /** Local memory of one warp's hand-over: NT·NV·4 floats per lane. */
    private long redBytes(int B, int nv, DType dt) {
        int xs = mglu.settings().xParts(B, dt);
        return 4L * ((B * xs + 7) / 8) * nv * 4 * 32;
    }

    /**
     * mode {@link OpenClMglu#GEMV}: y (B, d) = x Wᵀ (y += when acc); {@link OpenClMglu#SWIGLU}: y = g(x Wᵀ) ⊙ (x W2ᵀ).
     * x (B, h) f32, normed as loaded when norm is not null; am not null (GEMV, not acc): also am.ids = the argmax of
     * each row of y (argmax_part.cl). False (nothing launched) when the device's compiler refuses the program: logged
     * once, the caller runs the row kernel.
     */
    boolean run(int mode, cl_mem y, cl_mem x, OpenClMglu.NormIn norm, OpenClMglu.DeviceMatrix w, OpenClMglu.DeviceMatrix w2,
                int B, Act g, boolean acc, GemvExtras.ArgmaxOut am, cl_event ev) {
        return run(mode, y, x, norm, w, w2, B, g, acc, null, am, ev);
    }

    /**
     * {@link #run(int, cl_mem, cl_mem, OpenClMglu.NormIn, OpenClMglu.DeviceMatrix, OpenClMglu.DeviceMatrix, int, Act, boolean, GemvExtras.ArgmaxOut, cl_event)},
     * and when out is not null (a GEMV) n = rmsnorm(y) written by the same launch.
     */
    boolean run(int mode, cl_mem y, cl_mem x, OpenClMglu.NormIn norm, OpenClMglu.DeviceMatrix w, OpenClMglu.DeviceMatrix w2,
                int B, Act g, boolean acc, GemvExtras.NormOut out, GemvExtras.ArgmaxOut am, cl_event ev) {
        int h = w.cols(), d = w.rows(), nv = mode == OpenClMglu.SWIGLU ? 2 : 1;
        if (out != null && nv != 1) throw new IllegalArgumentException("gemv_tc: the norm of the output is for a GEMV, not the glu");
        boolean normOut = out != null;
        DType dt = w.dtype();
        int ks = warps(d, h, B, nv, dt, normOut), xs = mglu.settings().xParts(B, dt);
        boolean normIn = norm != null;
        if (am != null && (mode != OpenClMglu.GEMV || acc)) throw new IllegalArgumentException("gemv_tc: the fused argmax is of a GEMV without acc");
        if (am != null && out != null) throw new IllegalArgumentException("gemv_tc: a launch takes one ticket: the argmax or the norm of its output");
        org.jocl.cl_kernel k = cl.kernel(new Key(dt, nv, g, acc, B, ks, xs, normIn, U, pf != 0, normOut, am != null), () -> {
            String opts = "-DWT=" + OpenClMglu.wt(dt) + " -DMODE=" + (nv - 1) + " -DACT=" + g.ordinal() + " -DACC=" + (acc ? 1 : 0)
                    + " -DBB=" + B + " -DKS=" + ks + " -DU=" + U + " -DPF=" + (pf != 0 ? 1 : 0) + " -DXS=" + xs + " -DEMU=" + (mglu.nvidia() ? 0 : 1)
                    + (normIn ? " -DNORMIN=1" : "") + (normOut ? " -DNORMOUT=1" : "") + (am != null ? " -DARGMAX=1" : "");
            return OpenClMglu.kernelOrNull(cl, "gemv_tc.cl", opts, "gemv_tc", "tensor-core GEMV");
        });
        if (k == null) {
            refused = true;
            return false;
        }
        long groups = (d + 15) / 16;
        var red = new OpenClContext.Local(Math.max(4, (ks - 1) * redBytes(B, nv, dt)));
        cl_mem m2 = w2 == null ? dummy : w2.mem();
        cl.launch(k, groups * 32 * ks, 32L * ks, ev, GemvExtras.args(norm, null, out, am, y, x, w.mem(), m2, h, d, red));
        return true;
    }
}
