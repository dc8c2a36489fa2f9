package jmglu.gpu;

import jmglu.engine.Act;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.WeightMatrix;
import org.jocl.cl_mem;

/**
 * {@link jmglu.engine.Kernels} on an OpenCL device. On the device: {@link #gemv},
 * {@link #mgluScores} and {@link #flashMglu} (the kernels of mglu.cl). Every other op (matmul,
 * elementwise, norms, softmax, RoPE, attention, embedding, loss, AdamW and all backwards) is
 * inherited from {@link ReferenceKernels} and runs on the host: OpenCL is an inference backend;
 * whole-model decoding with weights resident on the device is {@link OpenClDecoder}.
 *
 * <p>Each call uploads its weights, masks and x, runs, and reads the result back (the Kernels
 * contract is host arrays; nothing is cached, so weights that change between calls are honoured).
 */
public final class OpenClKernels extends ReferenceKernels implements AutoCloseable {
    private final OpenClContext cl;
    private final OpenClMglu mglu;

    public OpenClKernels(OpenClContext cl) {
        this.cl = cl;
        this.mglu = new OpenClMglu(cl);
    }

    @Override public String name() { return "opencl"; }

    public String describe() { return "opencl: " + cl.describe(); }

    public OpenClContext context() { return cl; }

    /** The launcher, whose tuning fields (ls, rowsPerGroup, unroll, shfl, xlocal) checks may vary. */
    OpenClMglu mglu() { return mglu; }

    /** y (B, d) = x (B, h) · Wᵀ on the device. */
    @Override
    public synchronized void gemv(float[] y, float[] x, WeightMatrix w, int B) {
        run(OpenClMglu.GEMV, y, null, x, w, null, B, Act.SILU, "gemv");
    }

    /** t (B, d) = x Wᵀ and s (nm, B, d), s_i = x (M_i ⊙ W)ᵀ, one pass over W on the device. */
    @Override
    public synchronized void mgluScores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) {
        run(OpenClMglu.SCORES, t, s, x, w, m, B, Act.SILU, "mgluScores");
    }

    /** FlashMGLU y (B, d) = Σ_i g(s_i) ⊙ (t − s_i) on the device. */
    @Override
    public synchronized void flashMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) {
        run(OpenClMglu.FLASH, y, null, x, w, m, B, g, "flashMglu");
    }

    private void run(int mode, float[] out, float[] out2, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g, String op) {
        int d = w.rows(), h = w.cols();
        if (B < 1 || B > OpenClMglu.MAX_BATCH) throw new IllegalArgumentException(op + ": batch B must be in 1.." + OpenClMglu.MAX_BATCH + ", got " + B);
        if (x.length < B * h || out.length < B * d)
            throw new IllegalArgumentException(op + ": x has " + x.length + " floats and out " + out.length + ", need (" + B + ", " + h + ") and (" + B + ", " + d + ")");
        if (m != null && (m.rows() != d || m.cols() != h))
            throw new IllegalArgumentException(op + ": W is (" + d + ", " + h + ") but masks are (" + m.rows() + ", " + m.cols() + ")");
        if (out2 != null && out2.length < m.nm() * B * d)
            throw new IllegalArgumentException(op + ": s has " + out2.length + " floats, need (" + m.nm() + ", " + B + ", " + d + ")");
        boolean tc = m != null && mglu.tensorCores();
        var dw = OpenClMglu.DeviceMatrix.upload(cl, w, tc);
        var dm = m == null ? null : OpenClMglu.DeviceMasks.upload(cl, m, tc);
        cl_mem dx = cl.alloc(4L * B * h), dy = cl.alloc(4L * B * d);
        cl_mem ds = out2 == null ? null : cl.alloc(4L * m.nm() * B * d);
        try {
            cl.write(dx, x, B * h);
            mglu.rows(mode, dy, ds, dx, dw, null, dm, B, g, null);
            cl.read(dy, out, B * d);
            if (ds != null) cl.read(ds, out2, m.nm() * B * d);
        } finally {
            dw.release();
            if (dm != null) dm.release();
            OpenClContext.release(dx, dy, ds);
        }
    }

    @Override
    public void close() {
        mglu.release();
        cl.close();
    }
}
