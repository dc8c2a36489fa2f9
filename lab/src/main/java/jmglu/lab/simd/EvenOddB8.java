package jmglu.lab.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * Issue 12, CPU B = 8: how the BF16 decode tile widens W. "cur" is DecodeTilesBf16's segment tile x4 (16 BF16 → a
 * ShortVector of 256 bits → vpmovsxwd to 16 ints → shift left 16: two ops, one a cross-lane widen, per 16 weights);
 * "eo" loads 32 BF16 as 16 ints and takes the even ones by a shift left 16 and the odd ones by an AND with 0xFFFF0000
 * (one in-lane op per 16 weights, half the loads), against x stored even/odd per 32 columns (permuted once per call).
 * Both run DecodeGemv.linear's sweep (rows i, i + d/4, i + d/2, i + 3d/4; x rows 0..3, then 4..7) over native W sets
 * rotated past the L3, checked against a double reference first, timed alternating.
 * {@code java --add-modules jdk.incubator.vector -cp lab/target/classes jmglu.lab.simd.EvenOddB8 [threads] [rounds] [B]}
 */
public final class EvenOddB8 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> SH = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_512;
    static final int L = S.length();
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static FloatVector bf16(MemorySegment w, long off) {
        return ((IntVector) ShortVector.fromMemorySegment(SH, w, off, LE).convertShape(VectorOperators.S2I, SI, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** DecodeTilesBf16.x4 (segment form): res[(k·4 + b)·L, +L) = lanes of W_k · x_b. */
    static void cur(float[] res, MemorySegment w, long a0, long a1, long b0, long b1, float[] x, int xo, int h) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int j = 0, n = h / L; j < n; j++) {
            int c = L * j;
            long e = 2L * L * j;
            FloatVector w0 = bf16(w, a0 + e), w1 = bf16(w, a1 + e), w2 = bf16(w, b0 + e), w3 = bf16(w, b1 + e), xv;
            xv = FloatVector.fromArray(S, x, xo + c);
            s00 = w0.fma(xv, s00); s10 = w1.fma(xv, s10); s20 = w2.fma(xv, s20); s30 = w3.fma(xv, s30);
            xv = FloatVector.fromArray(S, x, xo + h + c);
            s01 = w0.fma(xv, s01); s11 = w1.fma(xv, s11); s21 = w2.fma(xv, s21); s31 = w3.fma(xv, s31);
            xv = FloatVector.fromArray(S, x, xo + 2 * h + c);
            s02 = w0.fma(xv, s02); s12 = w1.fma(xv, s12); s22 = w2.fma(xv, s22); s32 = w3.fma(xv, s32);
            xv = FloatVector.fromArray(S, x, xo + 3 * h + c);
            s03 = w0.fma(xv, s03); s13 = w1.fma(xv, s13); s23 = w2.fma(xv, s23); s33 = w3.fma(xv, s33);
        }
        s00.intoArray(res, 0); s01.intoArray(res, L); s02.intoArray(res, 2 * L); s03.intoArray(res, 3 * L);
        s10.intoArray(res, 4 * L); s11.intoArray(res, 5 * L); s12.intoArray(res, 6 * L); s13.intoArray(res, 7 * L);
        s20.intoArray(res, 8 * L); s21.intoArray(res, 9 * L); s22.intoArray(res, 10 * L); s23.intoArray(res, 11 * L);
        s30.intoArray(res, 12 * L); s31.intoArray(res, 13 * L); s32.intoArray(res, 14 * L); s33.intoArray(res, 15 * L);
    }

    /** The same sums with W read as ints: even BF16 = int << 16, odd = int & 0xFFFF0000; xe is x even/odd per 32 columns. */
    static void eo(float[] res, MemorySegment w, long a0, long a1, long b0, long b1, float[] xe, int xo, int h) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int j = 0, n = h / (2 * L); j < n; j++) {
            int c = 2 * L * j;
            long e = 4L * L * j;
            IntVector r0 = IntVector.fromMemorySegment(SI, w, a0 + e, LE), r1 = IntVector.fromMemorySegment(SI, w, a1 + e, LE),
                    r2 = IntVector.fromMemorySegment(SI, w, b0 + e, LE), r3 = IntVector.fromMemorySegment(SI, w, b1 + e, LE);
            FloatVector w0 = r0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), w1 = r1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(),
                    w2 = r2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), w3 = r3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), xv;
            xv = FloatVector.fromArray(S, xe, xo + c);
            s00 = w0.fma(xv, s00); s10 = w1.fma(xv, s10); s20 = w2.fma(xv, s20); s30 = w3.fma(xv, s30);
            xv = FloatVector.fromArray(S, xe, xo + h + c);
            s01 = w0.fma(xv, s01); s11 = w1.fma(xv, s11); s21 = w2.fma(xv, s21); s31 = w3.fma(xv, s31);
            xv = FloatVector.fromArray(S, xe, xo + 2 * h + c);
            s02 = w0.fma(xv, s02); s12 = w1.fma(xv, s12); s22 = w2.fma(xv, s22); s32 = w3.fma(xv, s32);
            xv = FloatVector.fromArray(S, xe, xo + 3 * h + c);
            s03 = w0.fma(xv, s03); s13 = w1.fma(xv, s13); s23 = w2.fma(xv, s23); s33 = w3.fma(xv, s33);
            w0 = r0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats(); w1 = r1.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            w2 = r2.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats(); w3 = r3.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
            xv = FloatVector.fromArray(S, xe, xo + c + L);
            s00 = w0.fma(xv, s00); s10 = w1.fma(xv, s10); s20 = w2.fma(xv, s20); s30 = w3.fma(xv, s30);
            xv = FloatVector.fromArray(S, xe, xo + h + c + L);
            s01 = w0.fma(xv, s01); s11 = w1.fma(xv, s11); s21 = w2.fma(xv, s21); s31 = w3.fma(xv, s31);
            xv = FloatVector.fromArray(S, xe, xo + 2 * h + c + L);
            s02 = w0.fma(xv, s02); s12 = w1.fma(xv, s12); s22 = w2.fma(xv, s22); s32 = w3.fma(xv, s32);
            xv = FloatVector.fromArray(S, xe, xo + 3 * h + c + L);
            s03 = w0.fma(xv, s03); s13 = w1.fma(xv, s13); s23 = w2.fma(xv, s23); s33 = w3.fma(xv, s33);
        }
        s00.intoArray(res, 0); s01.intoArray(res, L); s02.intoArray(res, 2 * L); s03.intoArray(res, 3 * L);
        s10.intoArray(res, 4 * L); s11.intoArray(res, 5 * L); s12.intoArray(res, 6 * L); s13.intoArray(res, 7 * L);
        s20.intoArray(res, 8 * L); s21.intoArray(res, 9 * L); s22.intoArray(res, 10 * L); s23.intoArray(res, 11 * L);
        s30.intoArray(res, 12 * L); s31.intoArray(res, 13 * L); s32.intoArray(res, 14 * L); s33.intoArray(res, 15 * L);
    }

    /** x (B, h) → even/odd per 32 columns: block [c, c + 32) holds x[c], x[c+2], …, x[c+30], then x[c+1], …, x[c+31]. */
    static float[] evenOdd(float[] x, int h) {
        float[] xe = new float[x.length];
        for (int r = 0; r < x.length / h; r++)
            for (int c = 0; c < h; c += 2 * L)
                for (int k = 0; k < L; k++) { xe[r * h + c + k] = x[r * h + c + 2 * k]; xe[r * h + c + L + k] = x[r * h + c + 2 * k + 1]; }
        return xe;
    }

    interface Tile { void run(float[] res, MemorySegment w, long a0, long a1, long b0, long b1, float[] x, int xo, int h); }

    /** y (B, d) = x Wᵀ over row groups [lo, hi), B a multiple of 4 (x rows 4 at a time). */
    static void gemv(Tile t, float[] y, MemorySegment w, float[] x, int d, int h, int B, int lo, int hi) {
        float[] res = new float[16 * L];
        int q = d / 4;
        for (int i = lo; i < hi; i++)
            for (int b0 = 0; b0 < B; b0 += 4) {
                t.run(res, w, 2L * i * h, 2L * (i + q) * h, 2L * (i + 2 * q) * h, 2L * (i + 3 * q) * h, x, b0 * h, h);
                for (int k = 0; k < 4; k++)
                    for (int b = 0; b < 4; b++) {
                        float s = 0;
                        for (int l = 0; l < L; l++) s += res[(k * 4 + b) * L + l];
                        y[(b0 + b) * d + i + k * q] = s;
                    }
            }
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 11;
        int B = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        String[] names = {"cur", "eo"};
        Tile[] tiles = {EvenOddB8::cur, EvenOddB8::eo};
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        Arena arena = Arena.ofShared();
        for (int[] shape : new int[][] {{3072, 1024}, {4096, 1024}, {1024, 4096}}) {          // d, h: qkv, glu's halves, W2
            int d = shape[0], h = shape[1];
            long bytes = 2L * d * h;
            int sets = (int) Math.max(2, (400L << 20) / bytes);
            MemorySegment[] ws = new MemorySegment[sets];
            java.util.Random r = new java.util.Random(1);
            for (int s = 0; s < sets; s++) {
                ws[s] = arena.allocate(bytes, 64);
                for (long k = 0; k < (long) d * h; k++)
                    ws[s].setAtIndex(ValueLayout.JAVA_SHORT, k, (short) (Float.floatToRawIntBits((float) r.nextGaussian() * 0.05f) >>> 16));
            }
            float[] x = new float[B * h];
            for (int k = 0; k < x.length; k++) x[k] = (float) r.nextGaussian();
            float[] xe = evenOdd(x, h);
            float[][] xs = {x, xe};
            double[] ref = new double[B * d];
            for (int b = 0; b < B; b++)
                for (int i = 0; i < d; i++) {
                    double s = 0;
                    for (int c = 0; c < h; c++) s += (double) Float.intBitsToFloat(ws[0].getAtIndex(ValueLayout.JAVA_SHORT, (long) i * h + c) << 16) * x[b * h + c];
                    ref[b * d + i] = s;
                }
            for (int t = 0; t < tiles.length; t++) {
                float[] y = new float[B * d];
                Arrays.fill(y, Float.NaN);
                gemv(tiles[t], y, ws[0], xs[t], d, h, B, 0, d / 4);
                double worst = 0;
                for (int k = 0; k < y.length; k++) worst = Math.max(worst, Math.abs(y[k] - ref[k]) / (1e-3 + Math.abs(ref[k])));
                if (!(worst < 1e-3)) throw new AssertionError(names[t] + " differs from the reference: " + worst);
            }
            double[][] ms = new double[tiles.length][rounds];
            float[] y = new float[B * d];
            int set = 0;
            for (int rep = -3; rep < rounds; rep++)
                for (int t = 0; t < tiles.length; t++) {
                    long t0 = System.nanoTime();
                    for (int k = 0; k < sets; k++) {
                        MemorySegment w = ws[(set++) % sets];
                        Tile tile = tiles[t];
                        float[] xt = xs[t];
                        int n = d / 4, per = (n + threads - 1) / threads;
                        Future<?>[] fs = new Future<?>[threads];
                        for (int th = 0; th < threads; th++) {
                            int lo = th * per, hi = Math.min(n, lo + per);
                            fs[th] = pool.submit(() -> gemv(tile, y, w, xt, d, h, B, lo, hi));
                        }
                        for (Future<?> f : fs) f.get();
                    }
                    if (rep >= 0) ms[t][rep] = (System.nanoTime() - t0) * 1e-6 / sets;
                }
            System.out.printf(Locale.ROOT, "d %d h %d, B %d, %d threads, %d native sets of %.1f MB:%n", d, h, B, threads, sets, bytes / 1e6);
            double base = 0;
            for (int t = 0; t < tiles.length; t++) {
                double[] m = ms[t].clone();
                Arrays.sort(m);
                double med = m[rounds / 2];
                if (t == 0) base = med;
                System.out.printf(Locale.ROOT, "  %-4s %.3f ms a GEMV (min %.3f)  %.1f G multiply-adds/s  %.1f GB/s of W  x%.2f vs cur%n",
                        names[t], med, m[0], (double) B * d * h / med / 1e6, bytes / med / 1e6, base / med);
            }
        }
        pool.shutdown();
    }
}
