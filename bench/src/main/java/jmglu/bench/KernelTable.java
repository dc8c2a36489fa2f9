package jmglu.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import jmglu.engine.DType;

/**
 * The paper's Tables 16–19 layout on any {@link KernelDevice}: per (h×d, nm, B) the three
 * kernels' median ms, the speed-ups of FlashMGLU over naive MGLU and SwiGLU, and the GB/s of the
 * bytes each kernel must read with the % of the ceiling measured in this run. Where the device
 * measures a compute ceiling (CPU: FMA GFLOP/s), the text table also prints FlashMGLU's FMA floor:
 * B·(1+nm)·d·h multiply-adds (t and every s_i for every x row; 2 flops each) at that rate, the time
 * no implementation of this algorithm can beat on the machine, next to the B = 1 memory time.
 * Optional CSV with the header {@value #CSV_HEADER} (the floor is not in the CSV).
 */
public final class KernelTable {
    public static final String CSV_HEADER = "device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err";
    static final List<String> KERNELS = List.of("flashmglu", "naive_mglu", "swiglu");

    private KernelTable() {}

    /** shapes: pairs {h, d}. */
    public static void run(KernelDevice dev, String deviceName, DType dtype, List<int[]> shapes, List<Integer> masks, List<Integer> batches,
                           boolean quick, PrintStream out, PrintWriter csv) {
        out.println(dev.describe());
        double ceil = dev.measureCeilingGBps();
        out.printf(Locale.ROOT, "ceiling: %s %.1f GB/s (measured in this run)%n", dev.ceilingName(), ceil);
        double fma = dev.measureFmaGflops();
        if (!Double.isNaN(fma))
            out.printf(Locale.ROOT, "compute ceiling: FMA %.1f GFLOP/s (measured in this run); FMA floor ms = B·(1+nm)·d·h·2 flops at that rate%n", fma);
        out.println("bytes: FlashMGLU d·h·" + dtype.bytes + " + nm·d·⌈h/32⌉·4; SwiGLU 2·d·h·" + dtype.bytes + "; " + dev.naiveBytesNote());
        out.println("g = SiLU; ms = median per call, weight sets rotated past L3; err = max_rel_err vs float64 reference on sampled rows");
        if (csv != null) {
            csv.println(CSV_HEADER);
            csv.printf(Locale.ROOT, "%s,%s,,,,,ceiling,,%.3f,100.0,%n", deviceName, dtype.name().toLowerCase(Locale.ROOT), ceil);
        }
        for (int[] hd : shapes) {
            int h = hd[0], d = hd[1];
            out.printf(Locale.ROOT, "%nh×d = %d×%d, W %s%n", h, d, dtype);
            out.printf(Locale.ROOT, "%3s %3s | %9s %9s %10s %9s | %7s %7s | %14s %14s %14s | %8s %8s %8s%n",
                    "nm", "B", "Flash ms", "FMA floor", "naive ms", "SwiGLU ms", "×naive", "×SwiGLU", "Flash GB/s(%)", "naive GB/s(%)", "SwiGLU GB/s(%)",
                    "err F", "err N", "err S");
            for (int nm : masks)
                for (int B : batches) {
                    BenchCase c = new BenchCase(dtype, h, d, nm, B, quick);
                    Timing[] t = dev.timeAll(KERNELS, c);
                    double[] gbps = new double[3];
                    for (int i = 0; i < 3; i++) {
                        gbps[i] = dev.bytesRead(KERNELS.get(i), c) / (t[i].ms() * 1e6);
                        if (csv != null)
                            csv.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%s,%.4f,%.3f,%.1f,%.3e%n", deviceName, dtype.name().toLowerCase(Locale.ROOT),
                                    h, d, nm, B, KERNELS.get(i), t[i].ms(), gbps[i], 100 * gbps[i] / ceil, t[i].maxRelErr());
                    }
                    double floor = 2.0 * B * (1 + nm) * d * h / (fma * 1e6); // ms; NaN without a compute ceiling
                    String fl = Double.isNaN(floor) ? "-" : String.format(Locale.ROOT, "%.3f", floor);
                    out.printf(Locale.ROOT, "%3d %3d | %9.3f %9s %10.3f %9.3f | %7.2f %7.2f | %7.1f (%3.0f%%) %7.1f (%3.0f%%) %7.1f (%3.0f%%) | %8.1e %8.1e %8.1e%n",
                            nm, B, t[0].ms(), fl, t[1].ms(), t[2].ms(), t[1].ms() / t[0].ms(), t[2].ms() / t[0].ms(),
                            gbps[0], 100 * gbps[0] / ceil, gbps[1], 100 * gbps[1] / ceil, gbps[2], 100 * gbps[2] / ceil,
                            t[0].maxRelErr(), t[1].maxRelErr(), t[2].maxRelErr());
                    if (csv != null) csv.flush();
                }
        }
        // the machine is shared: a second measurement shows how much the ceiling moved during the run
        out.printf(Locale.ROOT, "%nceiling re-measured at the end: %s %.1f GB/s (%% columns use the first, %.1f GB/s)%n",
                dev.ceilingName(), dev.measureCeilingGBps(), ceil);
    }
}
