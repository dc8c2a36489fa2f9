package jmglu.simd;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a range of independent rows over a thread pool sized to the cores
 * ({@code -Djmglu.threads=N} overrides; 1 = single-threaded). Problems smaller than a grain run
 * on the calling thread, so tiny kernels pay no hand-off cost.
 */
final class Parallel {
    private Parallel() {}

    /** A body over the half-open range [lo, hi). */
    interface Range { void run(int lo, int hi); }

    static final int THREADS = Math.max(1, Integer.getInteger("jmglu.threads", Runtime.getRuntime().availableProcessors()));
    /** Pieces a range is split into (≤ pool size used); tests lower it to 1 to compare results. */
    static volatile int split = THREADS;
    private static volatile ForkJoinPool pool;

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                if (pool == null) pool = new ForkJoinPool(Math.max(THREADS, 2), ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, false);
                p = pool;
            }
        }
        return p;
    }

    /**
     * Runs body over [0, n) in up to THREADS contiguous pieces of at least minRows rows each,
     * or on the calling thread when work (a rough cost in element operations) is below 2^17.
     */
    static void rows(int n, long work, int minRows, Range body) {
        int pieces = (int) Math.min(split, Math.max(1, n / Math.max(1, minRows)));
        if (pieces <= 1 || work < (1L << 17) || ForkJoinTask.inForkJoinPool()) { body.run(0, n); return; }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(pieces);
        for (int p = 1; p < pieces; p++) {
            int lo = (int) ((long) n * p / pieces), hi = (int) ((long) n * (p + 1) / pieces);
            tasks.add(pool().submit(() -> body.run(lo, hi)));
        }
        body.run(0, (int) ((long) n / pieces)); // the caller takes the first piece
        for (ForkJoinTask<?> t : tasks) t.join();
    }
}
