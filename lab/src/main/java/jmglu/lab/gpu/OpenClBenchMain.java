package jmglu.lab.gpu;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import jmglu.engine.DType;
import jmglu.gpu.OpenClBench;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClMglu;
import jmglu.gpu.OpenClSettings;
import jmglu.gpu.OpenClSettings.Switch;

/**
 * Standalone OpenCL kernel benchmark for device machines (the same figures as
 * `jmglu bench kernel --device opencl`, without the CLI):
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.OpenClBenchMain [--h 4096] [--d 14336] [--masks 1,2,4,8] [--batch 1,8]
 *        [--dtype fp16] [--quick] [--csv FILE] [--tune] [--fast on|off]
 * </pre>
 * --tune first times FlashMGLU (nm=4, B=1 and B=8) under several work-group shapes
 * (the row kernel, then every fast-kernel shape), prints them, and keeps the fastest for the table.
 * The settings start from the jmglu.opencl.* system properties ({@link OpenClSettings#fromSystemProperties()}).
 * CSV: device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err
 */
public final class OpenClBenchMain {
    public static void main(String[] args) throws IOException {
        int h = 4096, d = 14336;
        int[] masks = {1, 2, 4, 8}, batch = {1, 8};
        DType dt = DType.F16;
        boolean quick = false, tune = false;
        String fast = null;
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
                case "--fast" -> fast = args[++i];
                case "--csv" -> csv = args[++i];
                default -> throw new IllegalArgumentException("OpenClBenchMain: unknown option " + args[i]);
            }
        }
        try (OpenClBench b0 = new OpenClBench(OpenClContext.open());
             PrintWriter out = csv == null ? null : new PrintWriter(new FileWriter(csv))) {
            System.out.println(b0.describe());
            double ceil = b0.copyGBps(quick);
            System.out.printf(Locale.ROOT, "ceiling: copy bandwidth %.1f GB/s (device-to-device copy, bytes read + written)%n", ceil);
            long wBytes = (long) h * d * dt.bytes;
            double rd = b0.readGBps(quick ? 64L << 20 : 1L << 30), rw = b0.readGBps(wBytes);
            System.out.printf(Locale.ROOT, "read-only kernel (stream.cl): %.1f GB/s over %s, %.1f GB/s over one W (%.0f MB) = %.1f%% of the copy bandwidth%n",
                    rd, quick ? "64 MiB" : "1 GiB", rw, wBytes / 1e6, 100 * rw / ceil);
            String dev = "opencl";
            String dts = switch (dt) { case F32 -> "f32"; case BF16 -> "bf16"; case F16 -> "fp16"; case I32 -> throw new IllegalArgumentException("--dtype i32"); };
            if (out != null) {
                out.println("device,dtype,h,d,nm,batch,kernel,ms,gbytes_per_s,pct_of_ceiling,max_rel_err");
                out.printf(Locale.ROOT, "%s,%s,%d,%d,0,0,ceiling,0,%.1f,100.0,0%n", dev, dts, h, d, ceil);
            }
            OpenClSettings s = b0.mglu.settings();
            if (tune) s = tune(b0, s, dt, h, d, quick, ceil);
            if (fast != null) s = s.withFast(fast.equals("on"));
            try (OpenClBench b = b0.with(s)) {
                System.out.println("FlashMGLU path: tensor cores " + (b.mglu.tensorCores() ? "on" : "off") + " (flash_tc.cl; 16-bit W, h % 32 == 0, B <= 8), else");
                System.out.println("  " + s.describe());
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
    }

    static double gbps(String kernel, DType dt, int h, int d, int nm, double ms) {
        return OpenClBench.bytesRead(kernel, dt, h, d, nm) / (ms * 1e-3) / 1e9;
    }

    private static void row(PrintWriter out, String dev, String dts, int h, int d, int nm, int B, String k, OpenClBench.Result r, double g, double ceil) {
        out.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%s,%.5f,%.1f,%.1f,%.3e%n", dev, dts, h, d, nm, B, k, r.ms(), g, 100 * g / ceil, r.maxRelErr());
    }

    /** Fast-path shapes the tuner tries and the self-check validates: {LS, R, CPL, persist}. */
    public static final int[][] FAST_SHAPES = {{128, 2, 4, 0}, {128, 4, 2, 0}, {128, 2, 2, 0}, {256, 2, 4, 0},
                                               {128, 4, 4, 0}, {64, 2, 4, 0}, {128, 2, 4, 8}, {128, 1, 4, 0}};

    /** s with the fast kernel's shape {LS, R, CPL, persist}. */
    public static OpenClSettings fastShape(OpenClSettings s, int[] shape) { return s.withFastShape(shape[0], shape[1], shape[2], shape[3]); }

    /** One kernel timed under settings s (a launcher made for it, released after). */
    private static OpenClBench.Result time(OpenClBench b, OpenClSettings s, DType dt, int h, int d, int nm, int B, boolean quick) {
        try (OpenClBench v = b.with(s)) {
            return v.time("flashmglu", dt, h, d, nm, B, quick);
        }
    }

    /**
     * Times FlashMGLU at nm=4 (B=1, also with SMEAR forced on; B=8, also with SMEAR forced off) for the
     * row kernel (s's shape) and every fast-path shape; keeps the fastest by B=1 time + ¼ of the B=8 time
     * (smear AUTO), skipping shapes whose sampled error exceeds 1e-2; then, per batch size (B=1, B=8), the
     * fast path is kept only where it beats the row kernel (fastMaxB). Returns s with those choices.
     */
    private static OpenClSettings tune(OpenClBench b, OpenClSettings s, DType dt, int h, int d, boolean quick, double ceil) {
        OpenClSettings rows = s.withFast(false);
        double r1 = time(b, rows, dt, h, d, 4, 1, quick).ms(), r8 = time(b, rows, dt, h, d, 4, 8, quick).ms(),
               r81 = time(b, rows, dt, h, d, 8, 1, quick).ms();
        System.out.printf(Locale.ROOT, "tune row kernel LS=%d R=%d U=%d: nm=4 B=1 %.4f ms (%.1f%%), B=8 %.4f ms; nm=8 B=1 %.4f ms%n",
                s.ls(), s.rows(), s.unroll(), r1, 100 * gbps("flashmglu", dt, h, d, 4, r1) / ceil, r8, r81);
        OpenClSettings everyNm = s.withFast(true).withFastRange(OpenClMglu.MAX_BATCH, 0, 0);   // the fast path at every nm while tuning
        double best = Double.MAX_VALUE;
        int[] bestShape = FAST_SHAPES[0];
        for (int[] sh : FAST_SHAPES) {
            OpenClSettings f = fastShape(everyNm, sh).withSmear(Switch.AUTO);
            OpenClBench.Result a1 = time(b, f, dt, h, d, 4, 1, quick), a8 = time(b, f, dt, h, d, 4, 8, quick),
                    a81 = time(b, f, dt, h, d, 8, 1, quick);
            double s1 = time(b, f.withSmear(Switch.ON), dt, h, d, 4, 1, quick).ms();
            double s8 = time(b, f.withSmear(Switch.OFF), dt, h, d, 4, 8, quick).ms();
            double err = Math.max(a1.maxRelErr(), Math.max(a8.maxRelErr(), a81.maxRelErr()));
            System.out.printf(Locale.ROOT, "tune fast LS=%d R=%d CPL=%d persist=%d: nm=4 B=1 %.4f ms (%.1f%%; smear on %.4f), "
                            + "B=8 %.4f ms (smear off %.4f); nm=8 B=1 %.4f ms (%.1f%%); err %.1e%n",
                    sh[0], sh[1], sh[2], sh[3], a1.ms(), 100 * gbps("flashmglu", dt, h, d, 4, a1.ms()) / ceil, s1, a8.ms(), s8,
                    a81.ms(), 100 * gbps("flashmglu", dt, h, d, 8, a81.ms()) / ceil, err);
            double score = a1.ms() + 0.25 * a8.ms();
            if (err <= 1e-2 && score < best) { best = score; bestShape = sh; }
        }
        OpenClSettings kept = fastShape(everyNm, bestShape).withSmear(Switch.AUTO);
        double f1 = time(b, kept, dt, h, d, 4, 1, quick).ms(), f8 = time(b, kept, dt, h, d, 4, 8, quick).ms();
        int fastMaxB = f1 > r1 ? 0 : f8 > r8 ? 1 : OpenClMglu.MAX_BATCH;
        System.out.printf(Locale.ROOT, "tune: keeping fast LS=%d R=%d CPL=%d persist=%d smear=auto (again: B=1 %.4f, B=8 %.4f ms), fast path for B <= %d%n",
                bestShape[0], bestShape[1], bestShape[2], bestShape[3], f1, f8, fastMaxB);
        return kept.withFastRange(fastMaxB, s.fastMinNm(), s.fastMinNmBatch());
    }
}
