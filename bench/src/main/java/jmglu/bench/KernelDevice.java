package jmglu.bench;

/**
 * A device the kernel benchmark runs on (docs/BENCH_API.md): "cpu" here, "opencl" from the GPU
 * backend. Both print the same table and CSV through {@link KernelTable}.
 */
public interface KernelDevice extends AutoCloseable {
    /** The machine/device line printed above the table. */
    String describe();

    /** "read bandwidth" (cpu) or "copy bandwidth" (opencl). */
    String ceilingName();

    /** Measured in this same run (CPU: stream-read a buffer much larger than L3 on all cores). */
    double measureCeilingGBps();

    /**
     * Compute ceiling in GFLOP/s (CPU: independent vector FMA chains on all cores), measured in this run;
     * NaN when the device does not measure one (the table then prints no FMA floor).
     */
    default double measureFmaGflops() { return Double.NaN; }

    /**
     * Times one kernel ("flashmglu", "naive_mglu", "swiglu") on one case with weight sets rotated
     * so they are not cache-resident; returns the median ms per call and max_rel_err against the
     * reference on that run's data.
     */
    Timing time(String kernel, BenchCase c);

    /**
     * Times several kernels on one case, in the order given. The default times each in turn with
     * {@link #time}; a device on a shared machine overrides it to alternate the kernels call by call,
     * so that a burst of load from elsewhere hits every kernel alike and their ratios stay fair.
     */
    default Timing[] timeAll(java.util.List<String> kernels, BenchCase c) {
        Timing[] t = new Timing[kernels.size()];
        for (int i = 0; i < t.length; i++) t[i] = time(kernels.get(i), c);
        return t;
    }

    /**
     * Bytes the kernel must read per call (for GB/s): FlashMGLU d·h·bytes(W) + nm·d·⌈h/32⌉·4;
     * SwiGLU 2·d·h·bytes(W); naive MGLU as jmglu.simd.Baselines implements it,
     * nm·(4·d·h·bytes(W) + 2·d·⌈h/32⌉·4). A device whose naive kernel reads otherwise overrides this.
     */
    default long bytesRead(String kernel, BenchCase c) {
        long dh = (long) c.d() * c.h(), planes = (long) c.d() * ((c.h() + 31) / 32) * 4;
        return switch (kernel) {
            case "flashmglu" -> dh * c.dtype().bytes + c.nm() * planes;
            case "swiglu" -> 2 * dh * c.dtype().bytes;
            case "naive_mglu" -> c.nm() * (4 * dh * c.dtype().bytes + 2 * planes);
            default -> throw new IllegalArgumentException("unknown kernel " + kernel);
        };
    }

    /** One line on how the naive kernel's bytes are counted (printed in the header). */
    default String naiveBytesNote() {
        return "naive MGLU bytes = nm·(4·W + 2·plane): per route, M⊙W and (1−M)⊙W each read W and the plane, then two GEMVs read them (writes not counted)";
    }

    @Override void close();
}
