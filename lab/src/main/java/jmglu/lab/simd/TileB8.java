package jmglu.lab.simd;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Issue 12, CPU B = 8: the BF16 decode GEMV y (8, d) = x (8, h) · Wᵀ with other register tiles, side by side, on W
 * sets rotated past the L3 (heap short[] rows, as simd's array tiles). "r4x4x2" is what DecodeGemv does at B = 8: four
 * rows of W (i, i + d/4, i + d/2, i + 3d/4) against x rows 0..3, then the same four rows again (from L1) against rows
 * 4..7; "rRx8" takes R rows (d/R apart) against all 8 rows of x at once: R·8 accumulators, each W vector widened once.
 * Checked against a double reference first. Prints G multiply-adds/s per variant (median of rounds, variants
 * alternating). {@code java --add-modules jdk.incubator.vector -Xmx3g -cp lab/target/classes jmglu.lab.simd.TileB8 [threads] [rounds]}
 */
public final class TileB8 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> SH = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_512;
    static final int L = S.length(), B = 8;

    static FloatVector bf16(short[] w, int off) {
        return ((IntVector) ShortVector.fromArray(SH, w, off).convertShape(VectorOperators.S2I, SI, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Rows [lo, hi) of the first group index (r4x4x2: rows i + k·d/4; rRx8: rows i + k·d/R). */
    static void r4x4x2(float[] y, short[] w, float[] x, int d, int h, int lo, int hi) {
        int q = d / 4;
        for (int i = lo; i < hi; i++)
            for (int half = 0; half < 2; half++) {
                int xo = half * 4 * h;
                FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00,
                        s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
                int a0 = i * h, a1 = (i + q) * h, a2 = (i + 2 * q) * h, a3 = (i + 3 * q) * h;
                for (int c = 0; c < h; c += L) {
                    FloatVector w0 = bf16(w, a0 + c), w1 = bf16(w, a1 + c), w2 = bf16(w, a2 + c), w3 = bf16(w, a3 + c), xv;
                    xv = FloatVector.fromArray(S, x, xo + c);
                    s00 = w0.fma(xv, s00); s10 = w1.fma(xv, s10); s20 = w2.fma(xv, s20); s30 = w3.fma(xv, s30);
                    xv = FloatVector.fromArray(S, x, xo + h + c);
                    s01 = w0.fma(xv, s01); s11 = w1.fma(xv, s11); s21 = w2.fma(xv, s21); s31 = w3.fma(xv, s31);
                    xv = FloatVector.fromArray(S, x, xo + 2 * h + c);
                    s02 = w0.fma(xv, s02); s12 = w1.fma(xv, s12); s22 = w2.fma(xv, s22); s32 = w3.fma(xv, s32);
                    xv = FloatVector.fromArray(S, x, xo + 3 * h + c);
                    s03 = w0.fma(xv, s03); s13 = w1.fma(xv, s13); s23 = w2.fma(xv, s23); s33 = w3.fma(xv, s33);
                }
                int b = half * 4;
                y[b * d + i] = s00.reduceLanes(VectorOperators.ADD); y[(b + 1) * d + i] = s01.reduceLanes(VectorOperators.ADD);
                y[(b + 2) * d + i] = s02.reduceLanes(VectorOperators.ADD); y[(b + 3) * d + i] = s03.reduceLanes(VectorOperators.ADD);
                y[b * d + i + q] = s10.reduceLanes(VectorOperators.ADD); y[(b + 1) * d + i + q] = s11.reduceLanes(VectorOperators.ADD);
                y[(b + 2) * d + i + q] = s12.reduceLanes(VectorOperators.ADD); y[(b + 3) * d + i + q] = s13.reduceLanes(VectorOperators.ADD);
                y[b * d + i + 2 * q] = s20.reduceLanes(VectorOperators.ADD); y[(b + 1) * d + i + 2 * q] = s21.reduceLanes(VectorOperators.ADD);
                y[(b + 2) * d + i + 2 * q] = s22.reduceLanes(VectorOperators.ADD); y[(b + 3) * d + i + 2 * q] = s23.reduceLanes(VectorOperators.ADD);
                y[b * d + i + 3 * q] = s30.reduceLanes(VectorOperators.ADD); y[(b + 1) * d + i + 3 * q] = s31.reduceLanes(VectorOperators.ADD);
                y[(b + 2) * d + i + 3 * q] = s32.reduceLanes(VectorOperators.ADD); y[(b + 3) * d + i + 3 * q] = s33.reduceLanes(VectorOperators.ADD);
            }
    }

    static void r2x8(float[] y, short[] w, float[] x, int d, int h, int lo, int hi) {
        int q = d / 2;
        for (int i = lo; i < hi; i++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
                    b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
            int o0 = i * h, o1 = (i + q) * h;
            for (int c = 0; c < h; c += L) {
                FloatVector w0 = bf16(w, o0 + c), w1 = bf16(w, o1 + c), xv;
                xv = FloatVector.fromArray(S, x, c);         a0 = w0.fma(xv, a0); b0 = w1.fma(xv, b0);
                xv = FloatVector.fromArray(S, x, h + c);     a1 = w0.fma(xv, a1); b1 = w1.fma(xv, b1);
                xv = FloatVector.fromArray(S, x, 2 * h + c); a2 = w0.fma(xv, a2); b2 = w1.fma(xv, b2);
                xv = FloatVector.fromArray(S, x, 3 * h + c); a3 = w0.fma(xv, a3); b3 = w1.fma(xv, b3);
                xv = FloatVector.fromArray(S, x, 4 * h + c); a4 = w0.fma(xv, a4); b4 = w1.fma(xv, b4);
                xv = FloatVector.fromArray(S, x, 5 * h + c); a5 = w0.fma(xv, a5); b5 = w1.fma(xv, b5);
                xv = FloatVector.fromArray(S, x, 6 * h + c); a6 = w0.fma(xv, a6); b6 = w1.fma(xv, b6);
                xv = FloatVector.fromArray(S, x, 7 * h + c); a7 = w0.fma(xv, a7); b7 = w1.fma(xv, b7);
            }
            put(y, d, i, a0, a1, a2, a3, a4, a5, a6, a7);
            put(y, d, i + q, b0, b1, b2, b3, b4, b5, b6, b7);
        }
    }

    static void r3x8(float[] y, short[] w, float[] x, int d, int h, int lo, int hi) {
        int q = d / 3;                                                  // d % 3 == 0 in the shapes below
        for (int i = lo; i < hi; i++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
                    b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0,
                    c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0, c6 = a0, c7 = a0;
            int o0 = i * h, o1 = (i + q) * h, o2 = (i + 2 * q) * h;
            for (int c = 0; c < h; c += L) {
                FloatVector w0 = bf16(w, o0 + c), w1 = bf16(w, o1 + c), w2 = bf16(w, o2 + c), xv;
                xv = FloatVector.fromArray(S, x, c);         a0 = w0.fma(xv, a0); b0 = w1.fma(xv, b0); c0 = w2.fma(xv, c0);
                xv = FloatVector.fromArray(S, x, h + c);     a1 = w0.fma(xv, a1); b1 = w1.fma(xv, b1); c1 = w2.fma(xv, c1);
                xv = FloatVector.fromArray(S, x, 2 * h + c); a2 = w0.fma(xv, a2); b2 = w1.fma(xv, b2); c2 = w2.fma(xv, c2);
                xv = FloatVector.fromArray(S, x, 3 * h + c); a3 = w0.fma(xv, a3); b3 = w1.fma(xv, b3); c3 = w2.fma(xv, c3);
                xv = FloatVector.fromArray(S, x, 4 * h + c); a4 = w0.fma(xv, a4); b4 = w1.fma(xv, b4); c4 = w2.fma(xv, c4);
                xv = FloatVector.fromArray(S, x, 5 * h + c); a5 = w0.fma(xv, a5); b5 = w1.fma(xv, b5); c5 = w2.fma(xv, c5);
                xv = FloatVector.fromArray(S, x, 6 * h + c); a6 = w0.fma(xv, a6); b6 = w1.fma(xv, b6); c6 = w2.fma(xv, c6);
                xv = FloatVector.fromArray(S, x, 7 * h + c); a7 = w0.fma(xv, a7); b7 = w1.fma(xv, b7); c7 = w2.fma(xv, c7);
            }
            put(y, d, i, a0, a1, a2, a3, a4, a5, a6, a7);
            put(y, d, i + q, b0, b1, b2, b3, b4, b5, b6, b7);
            put(y, d, i + 2 * q, c0, c1, c2, c3, c4, c5, c6, c7);
        }
    }

    /** Row r of y's 8 batch rows from the 8 accumulators' lanes. */
    static void put(float[] y, int d, int r, FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3, FloatVector s4,
                    FloatVector s5, FloatVector s6, FloatVector s7) {
        y[r] = s0.reduceLanes(VectorOperators.ADD); y[d + r] = s1.reduceLanes(VectorOperators.ADD);
        y[2 * d + r] = s2.reduceLanes(VectorOperators.ADD); y[3 * d + r] = s3.reduceLanes(VectorOperators.ADD);
        y[4 * d + r] = s4.reduceLanes(VectorOperators.ADD); y[5 * d + r] = s5.reduceLanes(VectorOperators.ADD);
        y[6 * d + r] = s6.reduceLanes(VectorOperators.ADD); y[7 * d + r] = s7.reduceLanes(VectorOperators.ADD);
    }

    interface Tile { void run(float[] y, short[] w, float[] x, int d, int h, int lo, int hi); }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        String[] names = {"r4x4x2", "r2x8", "r3x8"};
        Tile[] tiles = {TileB8::r4x4x2, TileB8::r2x8, TileB8::r3x8};
        int[] groups = {4, 2, 3};
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int[] shape : new int[][] {{3072, 1024}, {1536, 4096}}) {           // d, h (multiples of 12 and of 16)
            int d = shape[0], h = shape[1];
            long bytes = 2L * d * h;
            int sets = (int) Math.max(2, (400L << 20) / bytes);                 // ≥ 400 MiB of W: past the L3
            short[][] ws = new short[sets][d * h];
            java.util.Random r = new java.util.Random(1);
            for (short[] w : ws) for (int k = 0; k < w.length; k++) w[k] = (short) (Float.floatToRawIntBits((float) r.nextGaussian() * 0.05f) >>> 16);
            float[] x = new float[B * h];
            for (int k = 0; k < x.length; k++) x[k] = (float) r.nextGaussian();
            // check every tile against a double reference on set 0
            double[] ref = new double[B * d];
            for (int b = 0; b < B; b++)
                for (int i = 0; i < d; i++) {
                    double s = 0;
                    for (int c = 0; c < h; c++) s += (double) Float.intBitsToFloat(ws[0][i * h + c] << 16) * x[b * h + c];
                    ref[b * d + i] = s;
                }
            for (int t = 0; t < tiles.length; t++) {
                float[] y = new float[B * d];
                Arrays.fill(y, Float.NaN);
                tiles[t].run(y, ws[0], x, d, h, 0, d / groups[t]);
                double worst = 0;
                for (int k = 0; k < y.length; k++) worst = Math.max(worst, Math.abs(y[k] - ref[k]) / (1e-3 + Math.abs(ref[k])));
                if (!(worst < 1e-3)) throw new AssertionError(names[t] + " differs from the reference: " + worst);
            }
            double[][] ms = new double[tiles.length][rounds];
            float[] y = new float[B * d];
            int set = 0;
            for (int rep = -3; rep < rounds; rep++)                           // 3 warm-up rounds, then alternate
                for (int t = 0; t < tiles.length; t++) {
                    long t0 = System.nanoTime();
                    for (int k = 0; k < sets; k++) {
                        short[] w = ws[(set++) % sets];
                        Tile tile = tiles[t];
                        int n = d / groups[t], per = (n + threads - 1) / threads;
                        Future<?>[] fs = new Future<?>[threads];
                        for (int th = 0; th < threads; th++) {
                            int lo = th * per, hi = Math.min(n, lo + per);
                            fs[th] = pool.submit(() -> tile.run(y, w, x, d, h, lo, hi));
                        }
                        for (Future<?> f : fs) f.get();
                    }
                    if (rep >= 0) ms[t][rep] = (System.nanoTime() - t0) * 1e-6 / sets;
                }
            System.out.printf(Locale.ROOT, "d %d h %d, B %d, %d threads, %d sets of %.1f MB (W rotated past the L3):%n", d, h, B, threads, sets, bytes / 1e6);
            for (int t = 0; t < tiles.length; t++) {
                double[] m = ms[t].clone();
                Arrays.sort(m);
                double med = m[rounds / 2];
                System.out.printf(Locale.ROOT, "  %-8s %.3f ms a GEMV (min %.3f)  %.1f G multiply-adds/s  %.1f GB/s of W%n",
                        names[t], med, m[0], (double) B * d * h / med / 1e6, bytes / med / 1e6);
            }
        }
        pool.shutdown();
    }
}
