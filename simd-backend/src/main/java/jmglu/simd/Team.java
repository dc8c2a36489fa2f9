package jmglu.simd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Persistent helper threads for the short parallel regions of a decode step ({@link Parallel#chunks}).
 * A step issues some fifty regions of 20 µs to 1 ms each; a fork/join hand-off (a task submitted,
 * a parked worker woken) costs 15–30 µs on a busy machine, which was a tenth of a B = 1 step. Here:
 * <ul>
 *   <li>helpers spin for {@link #SPIN_NS} after a region before they park, so the next region of
 *       the step finds them awake (one volatile write publishes it);</li>
 *   <li>work is handed out in chunks from a shared counter, long ones first and short ones last:
 *       a helper that starts late (descheduled on a shared machine) takes fewer, and the caller
 *       never waits for a helper that has not started — only for chunks already taken;</li>
 *   <li>a helper idle for {@link #IDLE_NS} exits; the next region starts a new one.</li>
 * </ul>
 * Each chunk is a contiguous range of rows written by one thread; which thread takes which chunk
 * varies from run to run, so a body's rows must not depend on it (the {@link Parallel} rule). One
 * region at a time: a region issued while another is running (another caller, or a nested call)
 * runs on its calling thread.
 */
final class Team {
    static final long SPIN_NS = 100_000, IDLE_NS = 2_000_000_000L;

    /**
     * One region: the body over [0, n). Chunks are guided: a thread takes max(min, left / (2·threads))
     * rows, so the first chunks are long (long sequential reads) and the last ones short (the
     * threads finish together). next = first row not yet taken, done = rows finished.
     */
    private static final class Job {
        final Parallel.Range body;
        final int n, min, parts;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable error;
        Job(Parallel.Range body, int n, int min, int threads) { this.body = body; this.n = n; this.min = min; this.parts = 2 * threads; }

        /** Takes and runs chunks until none is left. */
        void work() {
            for (int lo; (lo = next.get()) < n; ) {
                int hi = Math.min(n, lo + Math.max(min, (n - lo) / parts));
                if (!next.compareAndSet(lo, hi)) continue;
                try { if (error == null) body.run(lo, hi); }
                catch (Throwable t) { error = t; }
                finally { done.addAndGet(hi - lo); }
            }
        }
    }

    private final Thread[] helpers;
    private final AtomicInteger busy = new AtomicInteger();
    private volatile Job job;

    Team(int threads) { helpers = new Thread[Math.max(0, threads - 1)]; }

    /** Runs body over [0, n) in chunks of at least min rows on the caller and the helpers; returns when every chunk is done. */
    void run(int n, int min, Parallel.Range body) {
        if (helpers.length == 0 || Thread.currentThread() instanceof Helper || !busy.compareAndSet(0, 1)) { body.run(0, n); return; }
        try {
            Job j = new Job(body, n, Math.max(1, min), helpers.length + 1);
            job = j;
            wake();
            j.work();
            for (int spins = 0; j.done.get() < n; spins++) {          // only chunks already taken are left: they are short
                if (spins < 1 << 12) Thread.onSpinWait();
                else Thread.yield();
            }
            if (j.error instanceof RuntimeException e) throw e;
            if (j.error instanceof Error e) throw e;
            if (j.error != null) throw new RuntimeException(j.error);
        } finally {
            busy.set(0);
        }
    }

    /** Unparks every helper, starting those that are not running. */
    private synchronized void wake() {
        for (int i = 0; i < helpers.length; i++) {
            if (helpers[i] == null) { helpers[i] = new Helper(this, i); helpers[i].start(); }
            else LockSupport.unpark(helpers[i]);
        }
    }

    /** Called by helper i when it has been idle for IDLE_NS: it exits unless a region came meanwhile. */
    private synchronized boolean retire(int i, Job seen) {
        if (job != seen) return false;
        helpers[i] = null;
        return true;
    }

    private static final class Helper extends Thread {
        private final Team team;
        private final int index;

        Helper(Team team, int index) {
            super("jmglu-simd-helper-" + index);
            setDaemon(true);
            this.team = team;
            this.index = index;
        }

        @Override public void run() {
            Job seen = null;
            while (true) {
                Job j = team.job;
                if (j != seen) { seen = j; j.work(); continue; }
                long t0 = System.nanoTime();                    // spin a little: the next region of a step is near
                while (team.job == seen && System.nanoTime() - t0 < SPIN_NS) Thread.onSpinWait();
                if (team.job != seen) continue;
                long idle0 = System.nanoTime();
                while (team.job == seen && System.nanoTime() - idle0 < IDLE_NS) LockSupport.parkNanos(team, IDLE_NS);
                if (team.job == seen && team.retire(index, seen)) return;
            }
        }
    }
}
