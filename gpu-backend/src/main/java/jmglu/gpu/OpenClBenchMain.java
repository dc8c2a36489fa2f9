package jmglu.gpu;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import jmglu.engine.DType;

/**
 * Standalone OpenCL kernel benchmark for device machines (the same figures as
 * `jmglu bench kernel --device opencl`, without the CLI):
 * <pre>
 *   java -cp 'lib/*' jmglu.gpu.OpenClBenchMain [--h 4096] [--d 14336] [--masks 1,2,4,8] [--batch 1,8]
 *        [--dtype fp16] [--quick] [--csv FILE] [--tune]
 * </pre>
 * --tune first times FlashMGLU (nm=4, B=1 and B=8) under several work-group shapes
 * (threads LS × rows R × x in local memory or not), prints them, and keeps the fastest.
 * CSV: device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err
 */
public final class OpenClBenchMain {
    public static void main(String[] args) throws IOException {
        int h = 4096, d = 14336;
        int[] masks = {1, 2, 4, 8}, batch = {1, 8};
        DType dt = DType.F16;
        boolean quick = false, tune = false;
        String csv = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--h" -> h = Integer.parseInt(args[++i]);
                case "--d" -> d = Integer.parseInt(args[++i]);
                case "--masks" -> masks = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--batch" -> batch = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--dtype" -> dt = DType.parse(args[++i]);
                case "--quick" -> quick = true;
                case "--tune" -> tune = true;
                case "--csv" -> csv = args[++i];
                default -> throw new IllegalArgumentException("OpenClBenchMain: unknown option " + args[i]);
            }
        }
        try (OpenClBench b = new OpenClBench(OpenClContext.open());
             PrintWriter out = csv == null ? null : new PrintWriter(new FileWriter(csv))) {
            System.out.println(b.describe());
            double ceil = b.copyGBps(quick);
            System.out.printf(Locale.ROOT, "ceiling: copy bandwidth %.1f GB/s (device-to-device copy, bytes read + written)%n", ceil);
            String dev = "opencl";
            String dts = switch (dt) { case F32 -> "f32"; case BF16 -> "bf16"; case F16 -> "fp16"; };
            if (out != null) {
                out.println("device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err");
                out.printf(Locale.ROOT, "%s,%s,%d,%d,0,0,ceiling,0,%.1f,100.0,0%n", dev, dts, h, d, ceil);
            }
            if (tune) tune(b, dt, h, d, quick, ceil);
            System.out.println("naive MGLU bytes = nm·(3·d·h·bytes + d·⌈h/32⌉·4) (reads of W, plane, and both masked copies)");
            System.out.printf(Locale.ROOT, "%-12s %3s %3s %10s %10s %10s %8s %8s %9s %6s %9s %6s %9s %6s %9s%n", "h×d", "nm", "B",
                    "flash ms", "naive ms", "swiglu ms", "x naive", "x swiglu", "flash GB/s", "%", "naive GB/s", "%", "swiglu GB/s", "%", "max err");
            for (int B : batch) {
                OpenClBench.Result sw = b.time("swiglu", dt, h, d, 1, B, quick);
                for (int nm : masks) {
                    OpenClBench.Result fl = b.time("flashmglu", dt, h, d, nm, B, quick);
                    OpenClBench.Result nv = b.time("naive_mglu", dt, h, d, nm, B, quick);
                    double gf = gbps("flashmglu", dt, h, d, nm, fl.ms()), gn = gbps("naive_mglu", dt, h, d, nm, nv.ms()), gs = gbps("swiglu", dt, h, d, nm, sw.ms());
                    System.out.printf(Locale.ROOT, "%-12s %3d %3d %10.4f %10.4f %10.4f %8.2f %8.2f %9.1f %6.1f %9.1f %6.1f %9.1f %6.1f %9.2e%n",
                            h + "x" + d, nm, B, fl.ms(), nv.ms(), sw.ms(), nv.ms() / fl.ms(), sw.ms() / fl.ms(),
                            gf, 100 * gf / ceil, gn, 100 * gn / ceil, gs, 100 * gs / ceil,
                            Math.max(fl.maxRelErr(), Math.max(nv.maxRelErr(), sw.maxRelErr())));
                    if (out != null) {
                        row(out, dev, dts, h, d, nm, B, "flashmglu", fl, gf, ceil);
                        row(out, dev, dts, h, d, nm, B, "naive_mglu", nv, gn, ceil);
                        row(out, dev, dts, h, d, nm, B, "swiglu", sw, gs, ceil);
                    }
                }
            }
        }
    }

    static double gbps(String kernel, DType dt, int h, int d, int nm, double ms) {
        return OpenClBench.bytesRead(kernel, dt, h, d, nm) / (ms * 1e-3) / 1e9;
    }

    private static void row(PrintWriter out, String dev, String dts, int h, int d, int nm, int B, String k, OpenClBench.Result r, double g, double ceil) {
        out.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%s,%.5f,%.1f,%.1f,%.3e%n", dev, dts, h, d, nm, B, k, r.ms(), g, 100 * g / ceil, r.maxRelErr());
    }

    /** Tries work-group shapes for FlashMGLU and keeps the fastest (B=1 time + ¼ of the B=8 time, at nm=4). */
    private static void tune(OpenClBench b, DType dt, int h, int d, boolean quick, double ceil) {
        // {LS, R, U}; shfl "auto" is warp shuffles on NVIDIA (same as "off" elsewhere)
        int[][] shapes = {{64, 2, 2}, {64, 2, 4}, {128, 2, 2}, {32, 2, 4}, {64, 1, 4}};
        String[][] modes = {{"auto", "off"}};
        double best = Double.MAX_VALUE;
        int[] bestShape = null;
        String[] bestMode = null;
        for (String[] md : modes)
            for (int[] s : shapes) {
                b.mglu.ls = s[0];
                b.mglu.rowsPerGroup = s[1];
                b.mglu.unroll = s[2];
                b.mglu.shfl = md[0];
                b.mglu.xlocal = md[1];
                double t1 = b.time("flashmglu", dt, h, d, 4, 1, quick).ms(), t8 = b.time("flashmglu", dt, h, d, 4, 8, quick).ms();
                double g1 = gbps("flashmglu", dt, h, d, 4, t1);
                System.out.printf(Locale.ROOT, "tune LS=%d R=%d U=%d shfl=%s xlocal=%s: nm=4 B=1 %.4f ms (%.1f GB/s, %.1f%%), B=8 %.4f ms%n",
                        s[0], s[1], s[2], md[0], md[1], t1, g1, 100 * g1 / ceil, t8);
                if (t1 + 0.25 * t8 < best) { best = t1 + 0.25 * t8; bestShape = s; bestMode = md; }
            }
        b.mglu.ls = bestShape[0];
        b.mglu.rowsPerGroup = bestShape[1];
        b.mglu.unroll = bestShape[2];
        b.mglu.shfl = bestMode[0];
        b.mglu.xlocal = bestMode[1];
        System.out.printf(Locale.ROOT, "tune: keeping LS=%d R=%d U=%d shfl=%s xlocal=%s%n", bestShape[0], bestShape[1], bestShape[2], bestMode[0], bestMode[1]);
    }
}
