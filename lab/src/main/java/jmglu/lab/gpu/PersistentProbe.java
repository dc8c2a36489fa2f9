package jmglu.lab.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jmglu.bench.Ceilings;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClBench;
import jmglu.gpu.OpenClContext;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * What one persistent launch per decode step would save over one launch per op (issue 12): the weight GEMVs of
 * a decode step (per layer: qkv 3C×C, Wo C×C, up d×C, down C×d; fp16; attention left out) chained so each
 * reads the one before, timed (median of the step's wall time, host clock around enqueue + finish) as
 * <ul>
 *   <li>{@code sep}: one launch per GEMV, one warp per row (the shape of today's kernels);</li>
 *   <li>{@code sepG:k}: one launch per GEMV of a grid of k groups per compute unit looping over rows (the grid
 *       the persistent kernel has, without its barriers);</li>
 *   <li>{@code chain:k[:p]}: ONE launch for the whole step, k groups per compute unit, a grid barrier between
 *       GEMVs; p = 1: each warp prefetches its first row of the next GEMV into L2 before the barrier;</li>
 *   <li>{@code chain2:k}: the chain with U = 8 loads of 16 B per lane in flight, and the warp's first tile of the
 *       next GEMV loaded before the barrier (W does not depend on x);</li>
 *   <li>{@code nobar2:k[:u[:xl]]}: chain2 without its barriers (wrong unless --shape: the streaming alone); chain2's
 *       third field is U too, its fourth how x is read (persist.cl's XL: 0 vload4, 1 float4, 2 local copy);</li>
 *   <li>{@code sep2:k[:u[:xl]]}: chain2's code, one launch per GEMV (what the launches cost against its barriers);</li>
 *   <li>{@code bar:k}: the chain's barriers alone (every GEMV of 0 rows): µs per grid barrier.</li>
 * </ul>
 * --shape: 4·layers GEMVs of that one shape instead, each reading x0 (independent; the barriers stay).
 * Each against the read ceiling measured in the same run ({@link Ceilings#readGBps}). Checks: the chain's outputs
 * equal sep's, and the first and last GEMV against a host dot product in double.
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.PersistentProbe [--dim 2048] [--hidden 8192] [--layers 8] [--shape qkv|wo|up|down] VARIANT...
 * </pre>
 */
public final class PersistentProbe {
    public static void main(String[] args) {
        int C = 2048, d = 8192, L = 8;
        String shape = null;
        List<String> variants = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dim" -> C = Integer.parseInt(args[++i]);
                case "--hidden" -> d = Integer.parseInt(args[++i]);
                case "--layers" -> L = Integer.parseInt(args[++i]);
                case "--shape" -> shape = args[++i];
                default -> variants.add(args[i]);
            }
        }
        if (C % 256 != 0 || d % 256 != 0) throw new IllegalArgumentException("PersistentProbe: dim and hidden must be multiples of 256");
        try (Backend be = Backends.open("opencl")) {
            OpenClContext cl = ((OpenClBackend) be).context();
            boolean nv = cl.ref.platformName().toUpperCase(Locale.ROOT).contains("NVIDIA");
            String opts = "-DNV=" + (nv ? 1 : 0);
            // the chain: per layer (rows, h) = qkv (3C, C), Wo (C, C), up (d, C), down (C, d)
            List<int[]> ops = new ArrayList<>();
            int[][] layer = {{3 * C, C}, {C, C}, {d, C}, {C, d}};
            int which = shape == null ? -1 : List.of("qkv", "wo", "up", "down").indexOf(shape);
            if (shape != null && which < 0) throw new IllegalArgumentException("--shape must be qkv, wo, up or down");
            for (int l = 0; l < L; l++) for (int j = 0; j < 4; j++) ops.add(layer[which < 0 ? j : which]);
            int n = ops.size();
            int[] desc = new int[5 * n + 5];
            long wTotal = 0;
            int yTotal = 0;
            for (int k = 0; k < n; k++) {
                int rows = ops.get(k)[0], h = ops.get(k)[1];
                desc[5 * k] = rows; desc[5 * k + 1] = h / 8; desc[5 * k + 2] = Math.toIntExact(wTotal / 8);
                desc[5 * k + 3] = yTotal; desc[5 * k + 4] = k == 0 || shape != null ? -1 : desc[5 * (k - 1) + 3];
                wTotal += (long) rows * h;
                yTotal += rows;
            }
            long wBytes = 2 * wTotal;
            double ceil = Ceilings.readGBps(be);
            System.out.printf(Locale.ROOT, "%s, %d compute units; %d GEMVs (%d layers, C %d, d %d), %.1f MB of fp16 weights; read ceiling %.1f GB/s, floor %.1f µs%n",
                    cl.describe(), cl.computeUnits, n, L, C, d, wBytes / 1e6, ceil, wBytes / ceil / 1e3);
            cl_mem w = cl.alloc(wBytes), ys = cl.alloc(4L * yTotal), ysRef = cl.alloc(4L * yTotal), dd = cl.upload(desc);
            cl_mem ctr = cl.upload(new int[1]), err = cl.upload(new int[1]);
            long off = 0;
            for (int[] rh : ops) {
                cl.launch(cl.kernel("persist.cl", opts, "init_w"), 1L << 20, 256, null, w, off / 2, (long) rh[0] * rh[1], (float) Math.sqrt(3.0 / rh[1]));
                off += 2L * rh[0] * rh[1];
            }
            float[] x0 = new float[Math.max(C, d)];
            jmglu.engine.Rng rng = new jmglu.engine.Rng(5);
            rng.fillGaussian(x0, 0, x0.length, 1.0);
            cl_mem dx = cl.upload(x0);
            cl_kernel gemv = cl.kernel("persist.cl", opts, "gemv"), chain = cl.kernel("persist.cl", opts, "chain");
            // reference order: one launch per GEMV
            Runnable sep = () -> {
                for (int k = 0; k < n; k++) cl.launch(gemv, (long) (desc[5 * k] + 7) / 8 * 256, 256, null, ysRef, dx, w, dd, k);
            };
            sep.run();
            cl.finish();
            float[] ref = new float[yTotal];
            cl.read(ysRef, ref, yTotal);
            System.out.printf(Locale.ROOT, "check: sep vs host (first GEMV) %.2e, (last GEMV) %.2e%n",
                    hostError(cl, w, desc, 0, x0, ref), hostError(cl, w, desc, n - 1, shape != null ? x0 : slice(ref, desc[5 * (n - 1) + 4], 8 * desc[5 * (n - 1) + 1]), ref));
            long[] base = {0};
            for (String v : variants) {
                String[] f = v.split(":");
                int k = f.length > 1 ? Integer.parseInt(f[1]) : 1, p = f.length > 2 ? Integer.parseInt(f[2]) : 0;
                long G = k * cl.computeUnits;
                Runnable step = switch (f[0]) {
                    case "sep" -> sep;
                    case "sepG" -> () -> { for (int q = 0; q < n; q++) cl.launch(chain, G * 256, 256, null, ys, dx, w, dd, q, q + 1, ctr, 0, err, 0); };
                    case "chain" -> () -> { cl.launch(chain, G * 256, 256, null, ys, dx, w, dd, 0, n, ctr, (int) base[0], err, p); base[0] += (long) (n - 1) * G; };
                    case "chain2", "nobar2", "sep2" -> {
                        int u = f.length > 2 ? p : 8, bar = f[0].equals("chain2") ? 1 : 0, xl = f.length > 3 ? Integer.parseInt(f[3]) : 0;
                        while (u > 1 && (C / 8) % (32 * u) != 0) u /= 2;
                        cl_kernel c2 = cl.kernel("persist.cl", opts + " -DU=" + u + " -DXL=" + xl + " -DXMAX=" + Math.max(C, d), "chain2");
                        if (f[0].equals("sep2")) yield () -> { for (int q = 0; q < n; q++) cl.launch(c2, G * 256, 256, null, ys, dx, w, dd, q, q + 1, ctr, 0, err, 0); };
                        yield () -> { cl.launch(c2, G * 256, 256, null, ys, dx, w, dd, 0, n, ctr, (int) base[0], err, bar); base[0] += (long) (n - 1) * G * bar; };
                    }
                    case "bar" -> {
                        cl_mem zero = cl.upload(new int[5 * n + 5]);
                        yield () -> { cl.launch(chain, G * 256, 256, null, ys, dx, w, zero, 0, n, ctr, (int) base[0], err, 0); base[0] += (long) (n - 1) * G; };
                    }
                    default -> throw new IllegalArgumentException("unknown variant " + v + " (sep, sepG:k, chain:k[:p], chain2|nobar2|sep2:k[:u[:xl]], bar:k)");
                };
                double us = time(cl, step);
                int[] e = new int[1];
                cl.readInts(err, 0, e, 1);
                String check = "";
                if (f[0].startsWith("sep") && !f[0].equals("sep") || f[0].startsWith("chain") || f[0].equals("nobar2") && shape != null) {
                    float[] got = new float[yTotal];
                    cl.read(ys, got, yTotal);
                    double worst = 0;
                    for (int i = 0; i < yTotal; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / (1e-3 + Math.abs(ref[i])));
                    check = String.format(Locale.ROOT, "  vs sep %.1e, vs host %.1e %.1e", worst, hostError(cl, w, desc, 0, x0, got),
                            hostError(cl, w, desc, n - 1, shape != null ? x0 : slice(got, desc[5 * (n - 1) + 4], 8 * desc[5 * (n - 1) + 1]), got));
                    cl.zero(ys, 0, 4L * yTotal);
                }
                double gbs = f[0].equals("bar") ? 0 : wBytes / (us * 1e-6) / 1e9;
                System.out.printf(Locale.ROOT, "%-12s %9.1f µs/step %7.2f µs/GEMV %8.1f GB/s %5.1f%% of ceiling%s%s%n", v, us, us / n, gbs,
                        100 * gbs / ceil, check, e[0] != 0 ? "  GRID BARRIER TIMED OUT (groups not resident)" : "");
                if (e[0] != 0) cl.zero(err, 0, 4);
            }
        }
    }

    private static float[] slice(float[] a, int o, int n) { return java.util.Arrays.copyOfRange(a, o, o + n); }

    /** max |y − W x| / (Σ|W||x| per row) over GEMV k's rows, W read back from the device. */
    private static double hostError(OpenClContext cl, cl_mem w, int[] desc, int k, float[] x, float[] ys) {
        int rows = desc[5 * k], h = 8 * desc[5 * k + 1];
        int[] wf = new int[rows * h / 2];                          // the fp16 pairs as 32-bit words
        cl.readInts(w, 16L * desc[5 * k + 2], wf, wf.length);
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0, scale = 0;
            for (int c = 0; c < h; c++) {
                int bits = wf[(r * h + c) / 2];
                double wv = Float.float16ToFloat((short) ((c & 1) == 0 ? bits : bits >>> 16));
                s += wv * x[c];
                scale += Math.abs(wv * x[c]);
            }
            worst = Math.max(worst, Math.abs(ys[desc[5 * k + 3] + r] - s) / Math.max(scale, 1e-30));
        }
        return worst;
    }

    /** Median µs of 30 steps after 5 warm-ups, each step's wall time from its first enqueue to finish. */
    static double time(OpenClContext cl, Runnable step) {
        double[] t = new double[30];
        for (int i = -5; i < t.length; i++) {
            cl.finish();
            long t0 = System.nanoTime();
            step.run();
            cl.finish();
            if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e3;
        }
        return OpenClBench.median(t);
    }
}
