package jmglu.lab.simd;

import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's float FMA ceiling through the Vector API (issue 12: a decode batch of B rows is compute-bound on the
 * CPU once B·2 flops per weight outrun the memory): T threads each run 16 independent FMA chains on registers (no
 * memory), best of 7 rounds of 0.3 s; prints G multiply-adds a second (lanes counted) and what that allows a decode
 * step of W weights at batch B: tok/s ≤ peak / W.
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp lab/target/classes jmglu.lab.simd.FmaPeak [threads] [weights] [batch]
 * </pre>
 */
public final class FmaPeak {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    public static void main(String[] args) throws Exception {
        int T = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        long W = args.length > 1 ? Long.parseLong(args[1]) : 134_479_872L;
        int B = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        double best = 0;
        float sink = 0;
        for (int round = 0; round < 7; round++) {
            long[] n = new long[T];
            float[] out = new float[T];
            Thread[] ts = new Thread[T];
            long t0 = System.nanoTime();
            for (int t = 0; t < T; t++) {
                int id = t;
                ts[t] = Thread.ofPlatform().start(() -> { long[] r = chains(0.3); n[id] = r[0]; out[id] = Float.intBitsToFloat((int) r[1]); });
            }
            for (Thread t : ts) t.join();
            double s = (System.nanoTime() - t0) * 1e-9, macs = 0;
            for (int t = 0; t < T; t++) { macs += n[t]; sink += out[t]; }
            best = Math.max(best, macs / s * 1e-9);
        }
        System.out.printf(Locale.ROOT, "FMA peak: %.1f G multiply-adds/s on %d threads (%d float lanes, 16 chains a thread; sink %.1f)%n", best, T, S.length(), sink);
        System.out.printf(Locale.ROOT, "a decode step of %,d weights at B=%d needs %.2f G multiply-adds: at most %.0f tok/s at this peak%n",
                W, B, W * (double) B * 1e-9, best * 1e9 / W);
    }

    /** 16 independent FMA chains for about sec seconds: {multiply-adds done (lanes counted), bits of a result}. */
    static long[] chains(double sec) {
        FloatVector a = FloatVector.broadcast(S, 0.999f), b = FloatVector.broadcast(S, 1e-3f);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        FloatVector c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        long end = System.nanoTime() + (long) (sec * 1e9), iters = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 4096; i++) {
                c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
                c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
                c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
                c12 = c12.fma(a, b); c13 = c13.fma(a, b); c14 = c14.fma(a, b); c15 = c15.fma(a, b);
            }
            iters += 4096;
        }
        float r = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        return new long[] {iters * 16 * S.length(), Float.floatToIntBits(r)};
    }
}
