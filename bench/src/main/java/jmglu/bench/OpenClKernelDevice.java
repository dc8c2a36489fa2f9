package jmglu.bench;

import jmglu.gpu.OpenClBench;
import jmglu.gpu.OpenClContext;

/**
 * The "opencl" kernel-benchmark device (docs/BENCH_API.md) over jmglu.gpu.OpenClBench: kernels timed
 * with OpenCL profiling events (median of 60 runs after 5 warm-ups; 5 after 1 with --quick),
 * weight sets rotated (device copies totalling ≥ 1 GiB, ≫ a 60 MB L2), ceiling = device-to-device
 * copy bandwidth counting bytes read + written, max_rel_err on 32 sampled rows against
 * ReferenceMglu / ReferenceKernels. The device is picked by -Djmglu.opencl.device=N (--device opencl:N).
 */
final class OpenClKernelDevice implements KernelDevice {
    private final OpenClBench b;

    OpenClKernelDevice() {
        String why = probe();
        if (why != null) throw new IllegalArgumentException("bench kernel: the opencl device is unavailable: " + why);
        b = new OpenClBench(OpenClContext.open());
    }

    private static String probe() {
        for (var p : java.util.ServiceLoader.load(jmglu.engine.BackendProvider.class))
            if (p.name().equals("opencl")) return p.unavailableReason();
        return "the gpu-backend is not on the class path";
    }

    /**
     * The device, and the read bandwidth of a kernel that only reads (stream.cl) over 1 GiB and over
     * 117 MB (one 4096×14336 fp16 W): a practical ceiling beside the copy one, which depends on the size.
     */
    @Override public String describe() {
        boolean gpu = b.isGpu();
        return b.describe() + String.format(java.util.Locale.ROOT, "; read-only kernel %.1f GB/s over %s, %.1f GB/s over 117 MB",
                b.readGBps(gpu ? 1L << 30 : 64L << 20), gpu ? "1 GiB" : "64 MiB", b.readGBps(4096L * 14336 * 2));
    }

    @Override public String ceilingName() { return "copy bandwidth"; }

    /** Copies 1 GiB on a GPU, 64 MiB on a CPU device (PoCL). */
    @Override public double measureCeilingGBps() { return b.copyGBps(!b.isGpu()); }

    @Override public Timing time(String kernel, BenchCase c) {
        OpenClBench.Result r = b.time(kernel, c.dtype(), c.h(), c.d(), c.nm(), c.batch(), c.quick());
        return new Timing(r.ms(), r.maxRelErr());
    }

    @Override public long bytesRead(String kernel, BenchCase c) {
        return OpenClBench.bytesRead(kernel, c.dtype(), c.h(), c.d(), c.nm());
    }

    @Override public String naiveBytesNote() {
        return "naive MGLU bytes = nm·(3·W + plane): per route, materialise M⊙W and (1−M)⊙W from one read of W and the plane, then two GEMVs read them (writes not counted)";
    }

    @Override public void close() { b.close(); }
}
