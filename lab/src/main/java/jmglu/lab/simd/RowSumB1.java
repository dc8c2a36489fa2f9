package jmglu.lab.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * The lane sums after the B = 1 nm = 4 tile (FlashTilesBf16Seg.b1k4m = MaskTileB1.test): each row leaves
 * 1 + nm = 5 accumulators of L = 16 floats whose lanes must be summed in the fixed tree of Lanes.fold
 * (a_l + a_{l+8}, then +4, +2, +1). Variants, all giving the SAME BITS (checked here against each other
 * and against a float64 reference), timed alternating in one JVM over weight sets rotated past L3:
 * <pre>
 *  scalar  the backend today: the tile stores its 5 vectors, Lanes.fold sums each with 15 scalar adds
 *  rot     per row, in registers: 4 rotate + add steps per accumulator (Lanes.sum), lane 0 extracted
 *  vec16   the tile stores its 5 vectors for 16 rows; then per accumulator a transpose-and-add butterfly:
 *          Z = selectFrom(X, Y) + selectFrom'(X, Y) with halves of 8, 4, 2, 1 lanes (15 combines for 16 rows),
 *          lane r of the result = row r's sum in exactly the scalar tree's order (float + is commutative)
 *  none    no lane sums at all (the tile alone: the bound on what any reduction can give back)
 * </pre>
 * Usage: RowSumB1 [d] [h] [rounds] [variants] [threads list]
 */
public final class RowSumB1 {
    static final int L = 16, NM = 4, SL = 1 + NM, R = 16;
    static final String[] ALL = {"scalar", "rot", "vec16", "none"};

    // combine(X, Y, k): lanes with (l mod 2k) < k take X_l + X_{l+k}, the others Y_l + Y_{l-k}
    static final FloatVector[] P = new FloatVector[4], Q = new FloatVector[4];
    static {
        for (int s = 0; s < 4; s++) {
            int k = 8 >> s;
            float[] p = new float[L], q = new float[L];
            for (int l = 0; l < L; l++) {
                boolean lo = (l % (2 * k)) < k;
                p[l] = lo ? l : L + l;
                q[l] = lo ? l + k : L + l - k;
            }
            P[s] = FloatVector.fromArray(MaskTileB1.S, p, 0);
            Q[s] = FloatVector.fromArray(MaskTileB1.S, q, 0);
        }
    }
    static final VectorShuffle<Float> R8 = rot(8), R4 = rot(4), R2 = rot(2), R1 = rot(1);
    static VectorShuffle<Float> rot(int by) { return VectorShuffle.fromOp(MaskTileB1.S, i -> (i + by) % L); }

    static FloatVector comb(FloatVector x, FloatVector y, int s) {
        return P[s].selectFrom(x, y).add(Q[s].selectFrom(x, y));
    }

    /** out[s·d + r0 + l] = Σ lanes of st[(l·SL + s)·L ..] for l < 16, every slot s: the butterfly. */
    static void rowSum16(float[] out, int d, int r0, float[] st) {
        var S = MaskTileB1.S;
        for (int s = 0; s < SL; s++) {
            FloatVector z0 = comb(FloatVector.fromArray(S, st, (0 * SL + s) * L), FloatVector.fromArray(S, st, (8 * SL + s) * L), 0);
            FloatVector z1 = comb(FloatVector.fromArray(S, st, (1 * SL + s) * L), FloatVector.fromArray(S, st, (9 * SL + s) * L), 0);
            FloatVector z2 = comb(FloatVector.fromArray(S, st, (2 * SL + s) * L), FloatVector.fromArray(S, st, (10 * SL + s) * L), 0);
            FloatVector z3 = comb(FloatVector.fromArray(S, st, (3 * SL + s) * L), FloatVector.fromArray(S, st, (11 * SL + s) * L), 0);
            FloatVector z4 = comb(FloatVector.fromArray(S, st, (4 * SL + s) * L), FloatVector.fromArray(S, st, (12 * SL + s) * L), 0);
            FloatVector z5 = comb(FloatVector.fromArray(S, st, (5 * SL + s) * L), FloatVector.fromArray(S, st, (13 * SL + s) * L), 0);
            FloatVector z6 = comb(FloatVector.fromArray(S, st, (6 * SL + s) * L), FloatVector.fromArray(S, st, (14 * SL + s) * L), 0);
            FloatVector z7 = comb(FloatVector.fromArray(S, st, (7 * SL + s) * L), FloatVector.fromArray(S, st, (15 * SL + s) * L), 0);
            FloatVector y0 = comb(z0, z4, 1), y1 = comb(z1, z5, 1), y2 = comb(z2, z6, 1), y3 = comb(z3, z7, 1);
            FloatVector u0 = comb(y0, y2, 2), u1 = comb(y1, y3, 2);
            comb(u0, u1, 3).intoArray(out, s * d + r0);
        }
    }

    /** The tile (MaskTileB1.test = the backend's b1k4m) with its 5 accumulators stored at res[ro ..]. */
    static void tile(float[] res, int ro, MemorySegment w, long wo, float[] x, MemorySegment bits, long mo, int wpr) {
        var S = MaskTileB1.S; var SI = MaskTileB1.SI;
        FloatVector te = FloatVector.zero(S), to = te;
        FloatVector se0 = te, se1 = te, se2 = te, se3 = te, so0 = te, so1 = te, so2 = te, so3 = te;
        IntVector ev = IntVector.fromArray(SI, MaskTileB1.EVEN_ODD_BITS, 0), od = IntVector.fromArray(SI, MaskTileB1.EVEN_ODD_BITS, 16);
        long mb0 = 4L * mo, mb1 = 4L * (mo + wpr), mb2 = 4L * (mo + 2 * wpr), mb3 = 4L * (mo + 3 * wpr);
        var WORD = MaskTileB1.WORD;
        for (int q = 0; q < wpr; q++) {
            int c = q << 5;
            IntVector wi = ShortVector.fromMemorySegment(MaskTileB1.SH2, w, wo + 64L * q, MaskTileB1.LE).reinterpretAsInts();
            FloatVector pe = FloatVector.fromArray(S, x, c).mul(wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
            FloatVector po = FloatVector.fromArray(S, x, c + 16).mul(wi.and(0xFFFF0000).reinterpretAsFloats());
            te = te.add(pe);
            to = to.add(po);
            IntVector b0 = IntVector.broadcast(SI, bits.get(WORD, mb0 + 4L * q)), b1 = IntVector.broadcast(SI, bits.get(WORD, mb1 + 4L * q));
            IntVector b2 = IntVector.broadcast(SI, bits.get(WORD, mb2 + 4L * q)), b3 = IntVector.broadcast(SI, bits.get(WORD, mb3 + 4L * q));
            se0 = se0.add(pe, b0.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so0 = so0.add(po, b0.and(od).compare(VectorOperators.NE, 0).cast(S));
            se1 = se1.add(pe, b1.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so1 = so1.add(po, b1.and(od).compare(VectorOperators.NE, 0).cast(S));
            se2 = se2.add(pe, b2.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so2 = so2.add(po, b2.and(od).compare(VectorOperators.NE, 0).cast(S));
            se3 = se3.add(pe, b3.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so3 = so3.add(po, b3.and(od).compare(VectorOperators.NE, 0).cast(S));
        }
        te.add(to).intoArray(res, ro);
        se0.add(so0).intoArray(res, ro + 1 * L);
        se1.add(so1).intoArray(res, ro + 2 * L);
        se2.add(so2).intoArray(res, ro + 3 * L);
        se3.add(so3).intoArray(res, ro + 4 * L);
    }

    static float sum(FloatVector v) {
        v = v.add(v.rearrange(R8)); v = v.add(v.rearrange(R4)); v = v.add(v.rearrange(R2)); v = v.add(v.rearrange(R1));
        return v.lane(0);
    }

    /** The tile with the lane sums in registers (rot): out[s·d + r]. */
    static void tileRot(float[] out, int d, int r, MemorySegment w, long wo, float[] x, MemorySegment bits, long mo, int wpr) {
        var S = MaskTileB1.S; var SI = MaskTileB1.SI;
        FloatVector te = FloatVector.zero(S), to = te;
        FloatVector se0 = te, se1 = te, se2 = te, se3 = te, so0 = te, so1 = te, so2 = te, so3 = te;
        IntVector ev = IntVector.fromArray(SI, MaskTileB1.EVEN_ODD_BITS, 0), od = IntVector.fromArray(SI, MaskTileB1.EVEN_ODD_BITS, 16);
        long mb0 = 4L * mo, mb1 = 4L * (mo + wpr), mb2 = 4L * (mo + 2 * wpr), mb3 = 4L * (mo + 3 * wpr);
        var WORD = MaskTileB1.WORD;
        for (int q = 0; q < wpr; q++) {
            int c = q << 5;
            IntVector wi = ShortVector.fromMemorySegment(MaskTileB1.SH2, w, wo + 64L * q, MaskTileB1.LE).reinterpretAsInts();
            FloatVector pe = FloatVector.fromArray(S, x, c).mul(wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
            FloatVector po = FloatVector.fromArray(S, x, c + 16).mul(wi.and(0xFFFF0000).reinterpretAsFloats());
            te = te.add(pe);
            to = to.add(po);
            IntVector b0 = IntVector.broadcast(SI, bits.get(WORD, mb0 + 4L * q)), b1 = IntVector.broadcast(SI, bits.get(WORD, mb1 + 4L * q));
            IntVector b2 = IntVector.broadcast(SI, bits.get(WORD, mb2 + 4L * q)), b3 = IntVector.broadcast(SI, bits.get(WORD, mb3 + 4L * q));
            se0 = se0.add(pe, b0.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so0 = so0.add(po, b0.and(od).compare(VectorOperators.NE, 0).cast(S));
            se1 = se1.add(pe, b1.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so1 = so1.add(po, b1.and(od).compare(VectorOperators.NE, 0).cast(S));
            se2 = se2.add(pe, b2.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so2 = so2.add(po, b2.and(od).compare(VectorOperators.NE, 0).cast(S));
            se3 = se3.add(pe, b3.and(ev).compare(VectorOperators.NE, 0).cast(S));
            so3 = so3.add(po, b3.and(od).compare(VectorOperators.NE, 0).cast(S));
        }
        out[r] = sum(te.add(to));
        out[d + r] = sum(se0.add(so0));
        out[2 * d + r] = sum(se1.add(so1));
        out[3 * d + r] = sum(se2.add(so2));
        out[4 * d + r] = sum(se3.add(so3));
    }

    /** Rows [lo, hi) with variant v: out (SL, d) planar, st a per-thread staging area of R·SL·L floats. */
    static void rows(int v, float[] out, float[] st, MemorySegment w, MemorySegment m, float[] x, int d, int lo, int hi, int h, int wpr) {
        int words = NM * wpr;
        if (v == 1) { for (int r = lo; r < hi; r++) tileRot(out, d, r, w, 2L * r * h, x, m, (long) r * words, wpr); return; }
        if (v == 2) {
            for (int r0 = lo; r0 < hi; r0 += R) {
                int n = Math.min(R, hi - r0);
                for (int j = 0; j < n; j++) tile(st, j * SL * L, w, 2L * (r0 + j) * h, x, m, (long) (r0 + j) * words, wpr);
                if (n == R) rowSum16(out, d, r0, st);
                else for (int j = 0; j < n; j++) for (int s = 0; s < SL; s++) out[s * d + r0 + j] = fold(st, (j * SL + s) * L); // tail (the backend pads instead)
            }
            return;
        }
        for (int r = lo; r < hi; r++) {
            tile(st, 0, w, 2L * r * h, x, m, (long) r * words, wpr);
            if (v == 0) for (int s = 0; s < SL; s++) out[s * d + r] = fold(st, s * L);
        }
    }

    static float fold(float[] a, int o) { // Lanes.fold for L = 16
        float b0 = a[o] + a[o + 8], b1 = a[o + 1] + a[o + 9], b2 = a[o + 2] + a[o + 10], b3 = a[o + 3] + a[o + 11];
        float b4 = a[o + 4] + a[o + 12], b5 = a[o + 5] + a[o + 13], b6 = a[o + 6] + a[o + 14], b7 = a[o + 7] + a[o + 15];
        float c0 = b0 + b4, c1 = b1 + b5, c2 = b2 + b6, c3 = b3 + b7;
        return (c0 + c2) + (c1 + c3);
    }

    public static void main(String[] a) throws Exception {
        int d = a.length > 0 ? Integer.parseInt(a[0]) : 4096, h = a.length > 1 ? Integer.parseInt(a[1]) : 1024;
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 11;
        String[] names = (a.length > 3 ? a[3] : String.join(",", ALL)).split(",");
        int[] threadList = Arrays.stream((a.length > 4 ? a[4] : "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
        int wpr = h / 32, words = NM * wpr;
        long wBytes = 2L * d * h, mBytes = 4L * d * words, setBytes = wBytes + mBytes;
        boolean cache = Boolean.getBoolean("cache"); // -Dcache=true: one set (d small enough for L2), swept `loops` times per pass
        int sets = cache ? 1 : (int) Math.max(4, (512L << 20) / setBytes), loops = cache ? (int) Math.max(1, (256L << 20) / setBytes) : sets;
        java.util.Random rnd = new java.util.Random(12);
        Arena arena = Arena.ofShared();
        MemorySegment[] W = new MemorySegment[sets], M = new MemorySegment[sets];
        for (int s = 0; s < sets; s++) {
            W[s] = arena.allocate(wBytes, 64);
            M[s] = arena.allocate(mBytes, 64);
            if (s > 0) { W[s].copyFrom(W[0]); M[s].copyFrom(M[0]); continue; }
            for (long i = 0; i < (long) d * h; i++) W[s].set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
            for (long i = 0; i < (long) d * words; i++) M[s].set(MaskTileB1.WORD, 4 * i, rnd.nextInt());
        }
        float[] x = new float[h], xe = new float[h];
        for (int i = 0; i < h; i++) x[i] = (float) rnd.nextGaussian();
        for (int c = 0; c < h; c += 32) for (int j = 0; j < 16; j++) { xe[c + j] = x[c + 2 * j]; xe[c + 16 + j] = x[c + 2 * j + 1]; }
        System.out.printf(Locale.ROOT, "# RowSumB1 d=%d h=%d nm=%d, %d sets of %.1f MB, %d rounds; %s%n", d, h, NM, sets, setBytes / 1e6, rounds, MaskTileB1.load());

        double[] ref = new double[SL * d];
        for (int r = 0; r < d; r++)
            for (int e = 0; e < h; e++) {
                double p = (double) x[e] * Float.intBitsToFloat(W[0].get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * ((long) r * h + e)) << 16);
                ref[r] += p;
                for (int i = 0; i < NM; i++)
                    if ((M[0].get(MaskTileB1.WORD, 4L * ((long) r * words + i * wpr + e / 32)) >>> (e & 31) & 1) != 0) ref[(1 + i) * d + r] += p;
            }
        float[] st = new float[R * SL * L], base = null;
        for (String n : names) {
            int v = Arrays.asList(ALL).indexOf(n);
            if (v < 0) throw new IllegalArgumentException("no variant " + n);
            if (v == 3) continue;
            float[] out = new float[SL * d];
            // split the rows at an odd place too: the bits must not depend on it
            rows(v, out, st, W[0], M[0], xe, d, 0, 1237 % d, h, wpr);
            rows(v, out, st, W[0], M[0], xe, d, 1237 % d, d, h, wpr);
            double err = 0, scale = 0;
            for (int i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(out[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
            int diff = 0;
            if (base == null) base = out; else for (int i = 0; i < out.length; i++) if (Float.floatToRawIntBits(out[i]) != Float.floatToRawIntBits(base[i])) diff++;
            System.out.printf(Locale.ROOT, "check %-6s max |err| %.2e (max |ref| %.1f), %d floats differ in bits from %s%s%n", n, err, scale, diff, names[0],
                    err <= 1e-4 * scale && diff == 0 ? "" : "  FAILED");
            if (err > 1e-4 * scale || diff != 0) System.exit(1);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        for (int threads : threadList) {
            int nv = names.length;
            double[][] gbs = new double[nv][rounds];
            Runnable[][] work = new Runnable[nv][threads];
            for (int k = 0; k < nv; k++)
                for (int t = 0; t < threads; t++) {
                    int lo = d * t / threads, hi = d * (t + 1) / threads, v = Arrays.asList(ALL).indexOf(names[k]);
                    float[] o = new float[SL * d], sst = new float[R * SL * L];
                    work[k][t] = () -> { for (int s = 0; s < loops; s++) rows(v, o, sst, W[s % sets], M[s % sets], xe, d, lo, hi, h, wpr); };
                }
            long warmEnd = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warmEnd) for (int k = 0; k < nv; k++) pass(pool, work[k]);
            for (int round = 0; round < rounds; round++)
                for (int j = 0; j < nv; j++) {
                    int k = (j + round) % nv;
                    long t0 = System.nanoTime();
                    pass(pool, work[k]);
                    pass(pool, work[k]);
                    gbs[k][round] = 2.0 * loops * setBytes / (System.nanoTime() - t0);
                }
            double b = MaskTileB1.median(gbs[0]);
            for (int k = 0; k < nv; k++)
                System.out.printf(Locale.ROOT, "threads=%d  %-6s %6.1f GB/s (%.1f–%.1f)  x%s %.2f%n", threads, names[k],
                        MaskTileB1.median(gbs[k]), MaskTileB1.min(gbs[k]), MaskTileB1.max(gbs[k]), names[0], MaskTileB1.median(gbs[k]) / b);
        }
        System.out.println("# end; " + MaskTileB1.load());
        pool.shutdown();
    }

    static void pass(ExecutorService pool, Runnable[] work) throws Exception {
        if (work.length == 1) { work[0].run(); return; }
        List<Future<?>> f = new ArrayList<>();
        for (int t = 1; t < work.length; t++) f.add(pool.submit(work[t]));
        work[0].run();
        for (Future<?> g : f) g.get();
    }
}
