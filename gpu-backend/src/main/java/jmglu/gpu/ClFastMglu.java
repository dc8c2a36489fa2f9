package jmglu.gpu;

import java.util.function.BooleanSupplier;
import jmglu.engine.Act;
import jmglu.gpu.OpenClMglu.DeviceMasks;
import jmglu.gpu.OpenClMglu.DeviceMatrix;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * The launcher of mglu_fast.cl: FlashMGLU (mode {@link OpenClMglu#FLASH}: y = Σ_i g(s_i) ⊙ (t − s_i)) or the MGLU
 * scores ({@link OpenClMglu#SCORES}: t and every s_i) of x (B, h) f32 against a 16-bit or f32 W (d, h) row-major and
 * its nm bit-planes ({@link jmglu.engine.MaskPlanes}). Warps own R rows; each lane issues R·CPL W vectors and their
 * mask words before the math, so many loads of W are in flight per warp; the grid strides over tasks of R·(LS/32)
 * rows (settings' persist P > 0: P groups per compute unit, else a group per task). The NV = 1 + nm accumulators of
 * each of the R rows and B rows of x live in registers (R·NV·B ≤ 96); lanes reduce them with shfl.sync (inline PTX,
 * NVIDIA) or, without shuffles, through local memory (R·NV·B floats per thread, at most half the device's).
 *
 * <p>{@link OpenClMglu} sends FlashMGLU and the scores here, where flash_tc.cl ({@link ClFlashTc}) does not take them,
 * when the settings' fast is on, h % 8 == 0, (nm + 1)·B ≤ 96, B ≤ fastMaxB and nm ≥ fastMinNm (B = 1) or
 * fastMinNmBatch (B > 1): where this kernel measured faster than the row kernel of mglu.cl on the H200. It takes no
 * normed input: the caller hands it rmsnorm(x) written first. A program the device's compiler refuses is logged
 * once and this path stays off for the launcher ({@link #refused}).
 */
final class ClFastMglu {
    private static final System.Logger LOG = System.getLogger("jmglu.gpu");

    private final OpenClContext cl;
    private final OpenClSettings s;
    private final BooleanSupplier shfl;   // the launcher's warp-shuffle switch (off for good once refused)
    private final cl_mem dummy;           // bound where the scores' out2 is absent (FLASH)
    private volatile boolean refused;

    ClFastMglu(OpenClContext cl, OpenClSettings s, BooleanSupplier shfl, cl_mem dummy) {
        this.cl = cl;
        this.s = s;
        this.shfl = shfl;
        this.dummy = dummy;
    }

    /** Whether the device's compiler refused the program (this path is then off). */
    boolean refused() { return refused; }

    /** Whether FlashMGLU / the scores with nm planes over a W of width h at batch B take this kernel (see the class comment). */
    boolean applies(int h, int nm, int B) {
        return s.fast() && !refused && h % 8 == 0 && (nm + 1) * B <= 96 && B <= s.fastMaxB()
                && nm >= (B == 1 ? s.fastMinNm() : s.fastMinNmBatch());
    }

    /**
     * One launch (mode FLASH: out = y (B, d); SCORES: out = t (B, d), out2 = s (nm, B, d)) where {@link #applies};
     * false, nothing launched, when the program is refused or the local-memory reduction does not fit (the caller
     * runs the row kernel).
     */
    boolean run(int mode, cl_mem out, cl_mem out2, cl_mem x, DeviceMatrix w, DeviceMasks m, int B, Act g, cl_event ev) {
        int h = w.cols(), d = w.rows(), nm = m.nm(), nv = nm + 1;
        boolean sh = shfl.getAsBoolean();
        int LS = (int) Math.max(32, Math.min(s.fastLs(), cl.maxWorkGroup)) & ~31, R = s.fastR(), cpl = s.fastCpl();
        while (R > 1 && R * nv * B > 96) R >>= 1;
        while (cpl > 1 && R * cpl * nm > 64) cpl >>= 1;
        long redBytes = 4;
        if (!sh) {                                  // local-memory reduction: NACC floats per thread
            while (LS > 32 && (long) R * nv * B * LS * 4 > cl.localMemBytes / 2) LS >>= 1;
            redBytes = (long) R * nv * B * LS * 4;
            if (redBytes > cl.localMemBytes / 2) return false;
        }
        boolean sm = s.smear().resolve(B > 1);
        String opts = "-DWT=" + OpenClMglu.wt(w.dtype()) + " -DNM=" + nm + " -DBB=" + B + " -DACT=" + g.ordinal()
                + " -DLS=" + LS + " -DR=" + R + " -DCPL=" + cpl + " -DSMEAR=" + (sm ? 1 : 0) + " -DMODE=" + mode
                + " -DEVEN=" + (h % (256 * cpl) == 0 ? 1 : 0) + " -DSHFL=" + (sh ? 1 : 0);
        org.jocl.cl_kernel k;
        try {
            k = cl.kernel("mglu_fast.cl", opts, "flash");
        } catch (IllegalStateException e) {         // e.g. the compiler refused the inline PTX
            LOG.log(System.Logger.Level.WARNING, "OpenCL fast FlashMGLU kernel unavailable, using the row kernel ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
            refused = true;
            return false;
        }
        long rowsPerGroup = (long) R * (LS / 32), tasks = (d + rowsPerGroup - 1) / rowsPerGroup;
        long groups = s.persist() > 0 ? Math.min(tasks, Math.max(1, cl.computeUnits) * s.persist()) : tasks;
        cl.launch(k, groups * LS, LS, ev, out, out2 == null ? dummy : out2, x, w.mem(), m.mem(), h, d,
                new OpenClContext.Local(redBytes));
        return true;
    }
}
