package jmglu.bench;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

/** Random benchmark data, generated in parallel (the big shapes hold ~10^9 weights in rotation). */
public final class BenchData {
    private BenchData() {}

    /** How many (d, h) sets of this dtype make at least totalBytes (at least 6: 3 disjoint pairs for SwiGLU). */
    public static int setsFor(DType dt, int d, int h, long totalBytes) {
        long perSet = (long) d * h * dt.bytes;
        return (int) Math.max(6, (totalBytes + perSet - 1) / perSet);
    }

    /** Random weights of magnitude 2^-9 .. 1 with random signs, filled in parallel. */
    public static WeightMatrix randomWeights(DType dt, int d, int h, long seed) {
        int n = d * h;
        if (dt == DType.F32) {
            float[] f = new float[n];
            IntStream.range(0, d).parallel().forEach(r -> {
                SplittableRandom g = new SplittableRandom(seed * 1_000_003L + r);
                for (int c = 0; c < h; c++) f[r * h + c] = (float) (g.nextDouble() * 2 - 1);
            });
            return new WeightMatrix(dt, d, h, java.lang.foreign.MemorySegment.ofArray(f));
        }
        short[] s = new short[n];
        IntStream.range(0, d).parallel().forEach(r -> {
            SplittableRandom g = new SplittableRandom(seed * 1_000_003L + r);
            for (int c = 0; c < h; c++) {
                int bits = g.nextInt();
                s[r * h + c] = (short) (dt == DType.BF16
                        ? ((bits >>> 31) << 15) | ((118 + ((bits >>> 7) & 7)) << 7) | (bits & 0x7F)
                        : ((bits >>> 31) << 15) | ((6 + ((bits >>> 10) & 7)) << 10) | (bits & 0x3FF));
            }
        });
        return new WeightMatrix(dt, d, h, java.lang.foreign.MemorySegment.ofArray(s));
    }

    /** nm random bit-planes (each bit on with probability 1/2), padding bits zero. */
    public static MaskPlanes randomMasks(int nm, int d, int h, long seed) {
        int wpr = MaskPlanes.wordsPerRow(h);
        int[] bits = new int[d * nm * wpr];
        int last = h % 32 == 0 ? -1 : (1 << (h % 32)) - 1;
        IntStream.range(0, d).parallel().forEach(r -> {
            SplittableRandom g = new SplittableRandom(seed * 1_000_003L + r);
            for (int i = 0; i < nm; i++)
                for (int w = 0; w < wpr; w++) bits[(r * nm + i) * wpr + w] = g.nextInt() & (w == wpr - 1 ? last : -1);
        });
        return new MaskPlanes(nm, d, h, bits);
    }

    public static float[] gaussian(int n, long seed) {
        SplittableRandom g = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) g.nextGaussian();
        return a;
    }
}
