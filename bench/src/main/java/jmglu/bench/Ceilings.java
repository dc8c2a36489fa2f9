package jmglu.bench;

import jmglu.engine.Backend;

/**
 * The read ceiling a decode step is judged against, measured in the same run: on the CPU a
 * stream-read of 1 GiB (far past the L3) on all cores ({@link CpuCeilings}); on OpenCL the device's
 * read-only kernel over a buffer of about the model's size.
 */
public final class Ceilings {
    private Ceilings() {}

    private static float[] cpuBuffer;
    private static double last = Double.NaN;

    /** GB/s of reading memory on be's device, measured now. */
    public static synchronized double readGBps(Backend be) {
        if (be.name().startsWith("opencl")) throw new UnsupportedOperationException("bench decode: the OpenCL read ceiling is not wired yet");
        if (cpuBuffer == null) cpuBuffer = CpuCeilings.buffer(1L << 30);
        last = CpuCeilings.readBandwidthGBps(cpuBuffer, 5);
        return last;
    }

    /** The last value {@link #readGBps} measured. */
    public static synchronized double lastGBps() { return last; }

    public static String describe(Backend be) {
        return be.name().startsWith("opencl") ? "device read-only kernel" : "CPU stream-read of 1 GiB on " + CpuCeilings.THREADS + " threads, best of 5";
    }
}
