package jmglu.simd;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits a range of independent rows over threads of a fixed count (one per {@link SimdKernels},
 * started on first use; daemons that exit when idle): {@link #rows} in fixed contiguous pieces on a
 * fork/join pool (the training kernels), {@link #chunks} in chunks taken by a {@link Team} of
 * spinning helpers as they become free (the decode ops: many short regions per step).
 *
 * <p>Determinism rule: each row is written by exactly one piece, and no kernel adds float partial
 * results across pieces (a kernel that must reduce over rows, like RMSNorm's dw, runs that
 * reduction on one thread in row order). Every row's arithmetic is the same whichever piece it
 * lands in, so the results depend neither on scheduling nor on the thread count. ({@link #rows}'
 * split is moreover a pure function of (n, work, minRows, threads); {@link #chunks}' is not.)
 */
final class Parallel {

    /** A body over the half-open range [lo, hi). */
    interface Range { void run(int lo, int hi); }

    /** Problems below this many element operations run on the calling thread (no hand-off cost). */
    static final long GRAIN = 1L << 17;

    final int threads;
    private ForkJoinPool pool;
    private Team team;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("Parallel: threads must be ≥ 1, got " + threads);
        this.threads = threads;
    }

    private synchronized ForkJoinPool pool() {
        if (pool == null) pool = new ForkJoinPool(Math.max(1, threads - 1), ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, false);
        return pool;
    }

    private synchronized Team team() {
        if (team == null) team = new Team(threads);
        return team;
    }

    /**
     * Runs body over [0, n) in chunks of at least min rows taken by the calling thread and the
     * {@link Team}'s helpers as each becomes free (the decode ops: short regions, one after another);
     * on the calling thread alone when work is below {@link #GRAIN}. Which thread runs which chunk,
     * and where chunks start, varies from run to run: a body must give each row the same arithmetic
     * in any chunk (the rule above).
     */
    void chunks(int n, long work, int min, Range body) {
        if (threads == 1 || work < GRAIN || n <= min) { body.run(0, n); return; }
        team().run(n, min, body);
    }

    /**
     * Runs body over [0, n) in up to {@link #threads} contiguous pieces of at least minRows rows
     * each; piece p is [n·p/pieces, n·(p+1)/pieces). One piece (on the calling thread) when work (a
     * rough cost in element operations) is below {@link #GRAIN}, or when already inside a pool.
     */
    void rows(int n, long work, int minRows, Range body) {
        int pieces = (int) Math.min(threads, Math.max(1, n / Math.max(1, minRows)));
        if (pieces <= 1 || work < GRAIN || ForkJoinTask.inForkJoinPool()) { body.run(0, n); return; }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(pieces);
        for (int p = 1; p < pieces; p++) {
            int lo = (int) ((long) n * p / pieces), hi = (int) ((long) n * (p + 1) / pieces);
            tasks.add(pool().submit(() -> body.run(lo, hi)));
        }
        body.run(0, (int) ((long) n / pieces)); // the caller takes the first piece
        for (ForkJoinTask<?> t : tasks) t.join();
    }
}
