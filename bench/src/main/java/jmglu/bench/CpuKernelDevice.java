package jmglu.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;
import jmglu.simd.Baselines;
import jmglu.simd.SimdKernels;

/**
 * The "cpu" kernel-benchmark device: FlashMGLU from SimdKernels, naive MGLU and SwiGLU from
 * jmglu.simd.Baselines, g = SiLU (SwiMGLU against SwiGLU).
 *
 * <p>Cache: W sets are rotated, one per call, with enough sets that they total ≥ 1 GiB (≫ the
 * 300 MiB L3), so every call streams its weights from DRAM; SwiGLU takes two consecutive sets as Wg
 * and Wv. The kernels of one case are timed together, alternating call by call ({@link #timeAll}):
 * one full rotation each and ≥ 2 s of warm-up (3 calls and 0.5 s with --quick), then ≥ 9 timed
 * calls each (≥ 3 with --quick), the median reported. Check: after timing, the kernel's output on set 0 is compared with a float64
 * reference on a sample of 49 rows (every B row), not all d rows (the scalar reference on the
 * full shape takes seconds); max_rel_err = max |y − ref| / max(|ref|, mean|ref|).
 */
final class CpuKernelDevice implements KernelDevice {
    static final long ROTATION_BYTES = Long.getLong("jmglu.bench.rotateBytes", 1L << 30);
    final SimdKernels k = new SimdKernels();
    final Baselines baselines = new Baselines(k);

    // the data of the current (dtype, h, d) and nm, rebuilt when the case changes
    private DType dt; private int h, d, nm;
    private WeightMatrix[] ws; private MaskPlanes[] ms; private float[] x;
    private Baselines.NaiveWorkspace naive;

    @Override public String describe() {
        String model = "unknown CPU";
        try {
            model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(model);
        } catch (Exception ignored) { /* not Linux: keep "unknown CPU" */ }
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        return "cpu: " + model + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + CpuCeilings.THREADS + " threads, Vector API "
                + lanes + " float lanes (" + lanes * 32 + "-bit), JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB";
    }

    @Override public String ceilingName() { return "read bandwidth"; }

    @Override public double measureCeilingGBps() {
        float[] buf = CpuCeilings.buffer(ROTATION_BYTES);
        double gbps = CpuCeilings.readBandwidthGBps(buf, 7);
        return gbps;
    }

    @Override public double measureFmaGflops() { return CpuCeilings.fmaGflops(20_000_000L, 5); }

    @Override public Timing time(String kernel, BenchCase c) { return timeAll(java.util.List.of(kernel), c)[0]; }

    /**
     * The kernels alternate call by call (flash, naive, SwiGLU, flash, ...) and every call takes the
     * next weight set of one rotation shared by all of them (SwiGLU takes two), so no set is read
     * again before ≥ 1 GiB of others, and load from elsewhere on this shared machine lands on all
     * kernels alike. Warm-up: a full rotation per kernel and ≥ 2 s in all (0.5 s with --quick).
     */
    @Override public Timing[] timeAll(java.util.List<String> kernels, BenchCase c) {
        prepare(c);
        int n = ws.length, B = c.batch(), K = kernels.size();
        float[][] y = new float[K][B * c.d()];
        IntConsumer[] calls = new IntConsumer[K];
        for (int k = 0; k < K; k++) calls[k] = call(kernels.get(k), y[k], B);
        int[] sets = new int[K]; // weight sets a call reads: SwiGLU two, the others one
        for (int k = 0; k < K; k++) sets[k] = kernels.get(k).equals("swiglu") ? 2 : 1;
        int next = 0; // the shared rotation: each call starts at set next % n
        int warm = c.quick() ? Math.min(n, 3) : n, reps = c.quick() ? 3 : Math.max(9, n);
        long until = System.nanoTime() + (c.quick() ? 500_000_000L : 2_000_000_000L);
        for (int i = 0; i < warm || System.nanoTime() < until; i++)
            for (int k = 0; k < K; k++) { calls[k].accept(next % n); next += sets[k]; }
        double[][] ms = new double[K][reps];
        for (int i = 0; i < reps; i++)
            for (int k = 0; k < K; k++) {
                int s = next % n;
                next += sets[k];
                long t0 = System.nanoTime();
                calls[k].accept(s);
                ms[k][i] = (System.nanoTime() - t0) / 1e6;
            }
        Timing[] out = new Timing[K];
        for (int k = 0; k < K; k++) {
            Arrays.sort(ms[k]);
            calls[k].accept(0); // set 0 (SwiGLU: sets 0 and 1), the data the check recomputes
            out[k] = new Timing(ms[k][reps / 2], check(kernels.get(k), y[k], B));
        }
        return out;
    }

    /** One call of a kernel on weight set s (SwiGLU: sets s and s + 1 as Wg and Wv), output into y. */
    private IntConsumer call(String kernel, float[] y, int B) {
        int n = ws.length;
        return switch (kernel) {
            case "flashmglu" -> s -> k.flashMglu(y, x, ws[s], ms[s], B, Act.SILU);
            case "naive_mglu" -> s -> baselines.naiveMglu(y, x, ws[s], ms[s], B, Act.SILU, naive());
            case "swiglu" -> s -> baselines.swiglu(y, x, ws[s], ws[(s + 1) % n], B);
            default -> throw new IllegalArgumentException("bench kernel: unknown kernel '" + kernel + "'");
        };
    }

    interface IntConsumer { void accept(int s); }

    private Baselines.NaiveWorkspace naive() {
        if (naive == null) naive = new Baselines.NaiveWorkspace(dt, d, h);
        return naive;
    }

    /** max |y − ref| / max(|ref|, mean|ref|) over 49 sampled rows × all B, ref in float64 from set 0 (and 1 for SwiGLU). */
    private double check(String kernel, float[] y, int B) {
        int samples = Math.min(d, 49);
        double[] ref = new double[samples * B];
        float[] got = new float[samples * B];
        double[] w0 = new double[h], w1 = new double[h];
        for (int j = 0; j < samples; j++) {
            int r = j == samples - 1 ? d - 1 : (int) ((long) j * d / samples);
            for (int c = 0; c < h; c++) { w0[c] = ws[0].get(r, c); w1[c] = ws[1 % ws.length].get(r, c); }
            for (int b = 0; b < B; b++) {
                double v;
                if (kernel.equals("swiglu")) {
                    double g = 0, u = 0;
                    for (int c = 0; c < h; c++) { g += x[b * h + c] * w0[c]; u += x[b * h + c] * w1[c]; }
                    v = Act.SILU.apply(g) * u;
                } else {
                    v = 0;
                    for (int i = 0; i < nm; i++) {
                        double t = 0, s = 0;
                        for (int c = 0; c < h; c++) {
                            double p = x[b * h + c] * w0[c];
                            t += p;
                            if (ms[0].get(i, r, c) != 0) s += p;
                        }
                        v += Act.SILU.apply(s) * (t - s);
                    }
                }
                ref[j * B + b] = v;
                got[j * B + b] = y[b * d + r];
            }
        }
        double mean = Arrays.stream(ref).map(Math::abs).average().orElse(1), worst = 0;
        for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), mean));
        return worst;
    }

    /** Builds (or keeps) the rotated weight sets, masks and x for this case. */
    private void prepare(BenchCase c) {
        if (c.dtype() != dt || c.h() != h || c.d() != d) {
            ws = null; ms = null; naive = null; x = null; dt = c.dtype(); h = c.h(); d = c.d(); nm = 0;
            long perSet = (long) d * h * dt.bytes;
            int n = (int) Math.max(6, (ROTATION_BYTES + perSet - 1) / perSet);
            ws = new WeightMatrix[n];
            for (int s = 0; s < n; s++) ws[s] = BenchData.randomWeights(dt, d, h, 1000 + s);
            SplittableRandom rng = new SplittableRandom(7);
            x = new float[16 * h];
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        }
        if (c.nm() != nm) {
            nm = c.nm();
            ms = null;
            ms = new MaskPlanes[ws.length];
            for (int s = 0; s < ws.length; s++) ms[s] = BenchData.randomMasks(nm, d, h, 2000 + s);
        }
        if (c.batch() > 16) throw new IllegalArgumentException("bench kernel: batch must be 1..16, got " + c.batch());
    }

    @Override public void close() { ws = null; ms = null; naive = null; x = null; }
}
