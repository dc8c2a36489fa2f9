package jmglu.bench;

import jmglu.engine.Backend;

/**
 * The read ceiling a decode step is judged against, measured in the same run: on the CPU a
 * stream-read of 1 GiB (far past the L3) on all cores ({@link CpuCeilings}); on OpenCL the device's
 * read-only kernel over 1 GiB (the rate a long read reaches: the strictest floor).
 */
public final class Ceilings {
    private Ceilings() {}

    private static float[] cpuBuffer;
    private static double last = Double.NaN;

    /** GB/s of reading memory on be's device, measured now. */
    public static synchronized double readGBps(Backend be) {
        if (be instanceof ProfilingBackend p) be = p.inner();
        if (be instanceof jmglu.gpu.OpenClBackend cl) {
            try (var b = jmglu.gpu.OpenClBench.borrowing(cl.context())) {
                last = b.readGBps(1L << 30);
                return last;
            }
        }
        if (cpuBuffer == null) cpuBuffer = CpuCeilings.buffer(1L << 30);
        last = CpuCeilings.readBandwidthGBps(cpuBuffer, 5);
        return last;
    }

    /** The last value {@link #readGBps} measured. */
    public static synchronized double lastGBps() { return last; }

    public static String describe(Backend be) {
        return be.name().startsWith("opencl") ? "device read-only kernel (stream.cl) over 1 GiB" : "CPU stream-read of 1 GiB on " + CpuCeilings.THREADS + " threads, best of 5";
    }
}
