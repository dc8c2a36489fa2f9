package jmglu.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two CPU ceilings the kernels are judged against, measured in the same JVM:
 * <ul>
 *   <li>memory read bandwidth: every core streams its slice of a buffer far larger than L3
 *       (default 1 GiB), summing it with 4 independent vector accumulators (so the adds are
 *       never the limit); GB/s = buffer bytes / time of the slowest thread;</li>
 *   <li>FMA throughput: every core runs 12 independent vector FMA chains (enough to cover the
 *       FMA latency on 2 pipes) on register-resident data; GFLOP/s = 2 · lanes · FMAs / time.</li>
 * </ul>
 */
public final class CpuCeilings {
    private CpuCeilings() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    public static final int THREADS = Math.max(1, Integer.getInteger("jmglu.threads", Runtime.getRuntime().availableProcessors()));

    /** Sums a[lo, hi) with 4 vector accumulators (hi − lo a multiple of 4·L). */
    public static float streamSum(float[] a, int lo, int hi) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int i = lo; i < hi; i += 4 * L) {
            s0 = s0.add(FloatVector.fromArray(S, a, i));
            s1 = s1.add(FloatVector.fromArray(S, a, i + L));
            s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * L));
            s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * L));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }

    /** 12 independent FMA chains of n steps; returns a value the JIT cannot drop. */
    public static float fmaChains(long n, float seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), a = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, seed), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3), c4 = c0.add(4), c5 = c0.add(5),
                c6 = c0.add(6), c7 = c0.add(7), c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
        for (long i = 0; i < n; i++) {
            c0 = c0.fma(m, a); c1 = c1.fma(m, a); c2 = c2.fma(m, a); c3 = c3.fma(m, a); c4 = c4.fma(m, a); c5 = c5.fma(m, a);
            c6 = c6.fma(m, a); c7 = c7.fma(m, a); c8 = c8.fma(m, a); c9 = c9.fma(m, a); c10 = c10.fma(m, a); c11 = c11.fma(m, a);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(VectorOperators.ADD);
    }

    /** A buffer of the given size for {@link #readBandwidthGBps}, touched so its pages exist. */
    public static float[] buffer(long bytes) {
        int n = (int) Math.min(Integer.MAX_VALUE - 64, bytes / 4) / (4 * L * THREADS) * (4 * L * THREADS);
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    /** Best of reps all-core stream reads of buf, in GB/s. */
    public static double readBandwidthGBps(float[] buf, int reps) {
        double best = 0;
        int part = buf.length / THREADS;
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int r = 0; r < reps; r++) {
                List<Callable<Float>> jobs = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int lo = t * part;
                    jobs.add(() -> streamSum(buf, lo, lo + part));
                }
                long t0 = System.nanoTime();
                float sink = 0;
                for (Future<Float> f : pool.invokeAll(jobs)) sink += f.get();
                long dt = System.nanoTime() - t0;
                if (sink != buf.length) throw new IllegalStateException("stream sum " + sink + " != " + buf.length); // ones
                best = Math.max(best, (double) part * THREADS * 4 / dt);
            }
        } catch (Exception e) {
            throw new IllegalStateException("read-bandwidth measurement failed", e);
        } finally { pool.shutdownNow(); }
        return best;
    }

    /** Best of reps all-core FMA runs, in GFLOP/s. */
    public static double fmaGflops(long steps, int reps) {
        double best = 0;
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int r = 0; r < reps; r++) {
                List<Callable<Float>> jobs = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) { float seed = t; jobs.add(() -> fmaChains(steps, seed)); }
                long t0 = System.nanoTime();
                float sink = 0;
                for (Future<Float> f : pool.invokeAll(jobs)) sink += f.get();
                long dt = System.nanoTime() - t0;
                if (Float.isNaN(sink)) throw new IllegalStateException("NaN");
                best = Math.max(best, 2.0 * L * 12 * steps * THREADS / dt);
            }
        } catch (Exception e) {
            throw new IllegalStateException("FMA measurement failed", e);
        } finally { pool.shutdownNow(); }
        return best;
    }
}
