package jmglu.engine;

/**
 * A small seeded generator (xoshiro256**, seeded through SplitMix64) so that initialisation,
 * data order and sampling are reproducible bit for bit on every JVM: java.util.Random's
 * nextGaussian is specified, but keeping our own makes the stream ours to document.
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private double spareGaussian = Double.NaN;

    public Rng(long seed) {
        long z = seed;
        s0 = splitMix(z += 0x9E3779B97F4A7C15L);
        s1 = splitMix(z += 0x9E3779B97F4A7C15L);
        s2 = splitMix(z += 0x9E3779B97F4A7C15L);
        s3 = splitMix(z += 0x9E3779B97F4A7C15L);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t; s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform in [0, n). */
    public int nextInt(int n) {
        if (n <= 0) throw new IllegalArgumentException("nextInt bound must be positive, got " + n);
        return (int) Math.floorMod(nextLong() >>> 1, (long) n);
    }

    /** Standard normal (Marsaglia polar method; the second value of each pair is kept). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) { double g = spareGaussian; spareGaussian = Double.NaN; return g; }
        double u, v, s;
        do { u = 2 * nextDouble() - 1; v = 2 * nextDouble() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * m;
        return u * m;
    }

    /** Fills a[off..off+n) with std·N(0,1). */
    public void fillGaussian(float[] a, int off, int n, double std) {
        for (int i = 0; i < n; i++) a[off + i] = (float) (std * nextGaussian());
    }

    /** Fills a[off..off+n) uniformly from [lo, hi). */
    public void fillUniform(float[] a, int off, int n, double lo, double hi) {
        for (int i = 0; i < n; i++) a[off + i] = (float) (lo + (hi - lo) * nextDouble());
    }
}
