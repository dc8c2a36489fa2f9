package jmglu.gpu;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.gpu.OpenClMglu.DeviceMasks;
import jmglu.gpu.OpenClMglu.DeviceMatrix;
import jmglu.gpu.OpenClMglu.NormIn;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * The launcher of flash_tc.cl: FlashMGLU (mode {@link OpenClMglu#FLASH}: y = Σ_i g(s_i) ⊙ (t − s_i)) or the MGLU
 * scores ({@link OpenClMglu#SCORES}: t and every s_i) on tensor cores (NVIDIA mma.sync; elsewhere the emulated mma,
 * for tests), optionally of the normed input rmsnorm(x) ({@link NormIn}, NORMIN: the group sums x² itself and scales
 * as it loads). B ≤ 8, a 16-bit W with h % 32 == 0, and both W and the masks held in their {@link TcLayout} tile copy
 * (DeviceMatrix.tc, DeviceMasks.tc). One work-group of KS warps per 16 rows of W, the warps splitting h and handing
 * their partial tiles over through local memory; x enters the mma in XS 16-bit parts per batch row.
 *
 * <p>{@link OpenClMglu} sends FlashMGLU and the scores here first, when the tensor-core path is on ({@link #enabled}:
 * settings' tc, AUTO = on NVIDIA). On the H200 (lab/gpu/run11) this kernel runs fp16 FlashMGLU at h=4096, d=14336,
 * B=1 in 0.039 / 0.041 / 0.047 / 0.067 ms at nm = 1 / 2 / 4 / 8, against 0.056 / 0.059 / 0.057 / 0.082 for the row
 * and fast kernels (run 9). A program the device's compiler refuses (inline PTX on a foreign driver) is logged once
 * and the tensor-core path stays off for the launcher, the GEMV and GEMM kernels that follow {@link #enabled} too.
 */
final class ClFlashTc {
    private final OpenClContext cl;
    private final OpenClSettings s;
    private final boolean nvidia;         // mma.sync through inline PTX; elsewhere EMU 1
    private final cl_mem dummy;           // bound where the scores' out2 is absent (FLASH)
    private volatile boolean refused;

    /** What flash_tc's options are made of ({@link OpenClContext#kernel(Object, java.util.function.Supplier)}). */
    private record Key(DType dt, int nm, int B, Act g, int mode, int ks, int xs, int pd, boolean norm) {}

    ClFlashTc(OpenClContext cl, OpenClSettings s, boolean nvidia, cl_mem dummy) {
        this.cl = cl;
        this.s = s;
        this.nvidia = nvidia;
        this.dummy = dummy;
    }

    /** Whether the device's compiler refused the program (the tensor-core path is then off). */
    boolean refused() { return refused; }

    /** Whether the tensor-core path is on: the settings' tc (AUTO = on NVIDIA) and no program refused. */
    boolean enabled() { return !refused && s.tc().resolve(nvidia); }

    /** Whether FlashMGLU / the scores of a W of this type and width at batch B go through this kernel. */
    boolean applies(DType dt, int h, int B) { return enabled() && dt != DType.F32 && TcLayout.fits(h) && B <= 8; }

    /**
     * One launch (mode FLASH: out = y (B, d); SCORES: out = t (B, d), out2 = s (nm, B, d)) of x (B, h) f32, normed as
     * loaded when norm is not null; false, nothing launched, when it does not apply (or w or m lacks its tile copy) or
     * the program is refused (the caller takes its next path).
     */
    boolean run(int mode, cl_mem out, cl_mem out2, cl_mem x, NormIn norm, DeviceMatrix w, DeviceMasks m,
                int B, Act g, cl_event ev) {
        if (w.tc() == null || m.tc() == null || !applies(w.dtype(), w.cols(), B)) return false;
        int h = w.cols(), d = w.rows(), nm = m.nm(), ks = Math.max(1, Math.min(s.tcWarps(), h / 32)), xs = s.xParts(B, w.dtype());
        boolean emu = !nvidia;
        if (emu) ks = 1;                            // the emulated mma wants one warp per group
        // warps 1..ks−1 hand over their tiles through local memory: (ks − 1)·NT·(1 + nm)·4·32 floats
        long red = 4L * ((B * xs + 7) / 8) * (nm + 1) * 4 * 32;
        while (ks > 1 && (ks - 1) * red > cl.localMemBytes) ks >>= 1;    // nm = 16, B > 4: 52 KB at ks = 4
        red *= Math.max(1, ks - 1);
        // loads two steps ahead when the x parts take two n-tiles (B·parts > 8), except nm = 2: H200 runs 11
        // and 14, B=8, ms one step / two steps ahead: nm=1 0.047/0.044, nm=2 0.047/0.060, nm=4 0.078/0.067,
        // nm=8 0.116/0.091; at B=1 two steps measured the same as one (run 13)
        int pd = B * xs > 8 && nm != 2 ? 2 : 1;
        DType dt = w.dtype();
        int ksF = ks;
        boolean normIn = norm != null;
        org.jocl.cl_kernel k = cl.kernel(new Key(dt, nm, B, g, mode, ks, xs, pd, normIn), () -> {
            String opts = "-DWT=" + OpenClMglu.wt(dt) + " -DNM=" + nm + " -DBB=" + B + " -DACT=" + g.ordinal() + " -DMODE=" + mode
                    + " -DKS=" + ksF + " -DXS=" + xs + " -DEMU=" + (emu ? 1 : 0) + " -DPD=" + pd + (normIn ? " -DNORMIN=1" : "");
            return OpenClMglu.kernelOrNull(cl, "flash_tc.cl", opts, "flash_tc", "tensor-core FlashMGLU");
        });
        if (k == null) {
            refused = true;
            return false;
        }
        if (norm == null)
            cl.launch(k, (long) TcLayout.blocks(d) * 32 * ks, 32L * ks, ev, out, out2 == null ? dummy : out2, x, w.tc(), m.tc(), h, d,
                    new OpenClContext.Local(red));
        else
            cl.launch(k, (long) TcLayout.blocks(d) * 32 * ks, 32L * ks, ev, out, out2 == null ? dummy : out2, x, w.tc(), m.tc(), h, d,
                    new OpenClContext.Local(red), norm.w(), norm.wo(), norm.eps());
        return true;
    }
}
