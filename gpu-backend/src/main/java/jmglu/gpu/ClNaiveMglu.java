package jmglu.gpu;

import static org.jocl.CL.clEnqueueFillBuffer;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.gpu.OpenClMglu.DeviceMasks;
import jmglu.gpu.OpenClMglu.DeviceMatrix;
import org.jocl.Pointer;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/** The baseline of `jmglu bench kernel` (naive_mglu): MGLU the way naive PyTorch runs it, on the same device. */
public final class ClNaiveMglu {
    private ClNaiveMglu() {}

    /** Scratch for {@link #run}: two materialised (d, h) matrices and two (B, d) GEMV outputs. */
    public record NaiveScratch(DeviceMatrix gate, DeviceMatrix value, cl_mem a, cl_mem v) {
        public static NaiveScratch alloc(OpenClContext cl, DType dt, int d, int h, int B) {
            long n = (long) d * h * dt.bytes;
            return new NaiveScratch(new DeviceMatrix(dt, d, h, cl.alloc(n)), new DeviceMatrix(dt, d, h, cl.alloc(n)),
                    cl.alloc(4L * B * d), cl.alloc(4L * B * d));
        }
        public void release() { gate.release(); value.release(); OpenClContext.release(a, v); }
    }

    /**
     * Naive MGLU as naive PyTorch runs it: y = 0; per route i: gate = M_i⊙W, value = (1−M_i)⊙W
     * (materialised in W's storage type), a = x gateᵀ, v = x valueᵀ, y += g(a) ⊙ v.
     * Device bytes per route: read W + plane i, write 2 matrices, read them back: ≈ 5·d·h·bytes.
     * first/last (may be null) receive the first and last launch's events, for timing.
     */
    static void run(OpenClMglu mglu, cl_mem y, cl_mem x, DeviceMatrix w, DeviceMasks m, int B, Act g, NaiveScratch s,
                    cl_event first, cl_event last) {
        OpenClContext cl = mglu.context();
        int h = w.cols(), d = w.rows(), nm = m.nm();
        clEnqueueFillBuffer(cl.queue(first != null), y, Pointer.to(new float[] {0f}), 4, 0, 4L * B * d, 0, null, first);
        String opts = "-DWT=" + OpenClMglu.wt(w.dtype()) + " -DNM=0 -DBB=1 -DACT=" + g.ordinal()
                + " -DLS=64 -DR=1 -DXLOCAL=0 -DMODE=2 -DALIGNED=0 -DU=1";
        var mat = cl.kernel("mglu.cl", opts, "materialise");
        var acc = cl.kernel("mglu.cl", opts, "glu_acc");
        long n = (long) d * h;
        for (int i = 0; i < nm; i++) {
            cl.launch(mat, n, 256, null, s.gate().mem(), s.value().mem(), w.mem(), m.mem(), h, d, nm, i);
            mglu.rows(OpenClMglu.GEMV, s.a(), null, x, s.gate(), null, null, B, g, null);
            mglu.rows(OpenClMglu.GEMV, s.v(), null, x, s.value(), null, null, B, g, null);
            cl.launch(acc, (long) B * d, 256, i == nm - 1 ? last : null, y, s.a(), s.v(), B * d);
        }
    }

}
