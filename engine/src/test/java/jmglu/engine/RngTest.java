package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The seeded generator: reproducible, the published xoshiro256** / SplitMix64 stream, sane distributions. */
class RngTest {

    @Test void sameSeedSameStream() {
        Rng a = new Rng(42), b = new Rng(42), c = new Rng(43);
        boolean differs = false;
        for (int i = 0; i < 1000; i++) {
            long x = a.nextLong();
            assertEquals(x, b.nextLong());
            differs |= x != c.nextLong();
        }
        assertTrue(differs, "another seed gives another stream");
        Rng g1 = new Rng(7), g2 = new Rng(7);
        for (int i = 0; i < 101; i++) assertEquals(g1.nextGaussian(), g2.nextGaussian());   // odd count: the spare is replayed too
    }

    /**
     * Golden value: seeding runs SplitMix64 from the seed, whose published outputs for seed 0 start
     * 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4; xoshiro256**'s first output is rotl(s1·5, 7)·9.
     */
    @Test void firstOutputIsXoshiroStarStarOfSplitMix() {
        long s1 = 0x6E789E6AA1B965F4L;
        assertEquals(Long.rotateLeft(s1 * 5, 7) * 9, new Rng(0).nextLong());
    }

    @Test void distributions() {
        Rng r = new Rng(123);
        int n = 100_000;
        double sum = 0, sq = 0;
        int inOneSigma = 0;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            sum += g; sq += g * g;
            if (Math.abs(g) < 1) inOneSigma++;
        }
        double mean = sum / n, std = Math.sqrt(sq / n - mean * mean);
        // standard errors: mean 1/√n ≈ 0.0032, std ≈ 0.0022, P(|g|<1) ≈ 0.0015: bounds are ~6 of them
        assertEquals(0, mean, 0.02, "gaussian mean");
        assertEquals(1, std, 0.015, "gaussian std");
        assertEquals(0.6827, (double) inOneSigma / n, 0.01, "gaussian mass within one sigma");
        double u = 0;
        int[] buckets = new int[7];
        for (int i = 0; i < n; i++) {
            double d = r.nextDouble();
            assertTrue(d >= 0 && d < 1);
            u += d;
            int k = r.nextInt(7);
            assertTrue(k >= 0 && k < 7);
            buckets[k]++;
        }
        assertEquals(0.5, u / n, 0.006, "uniform mean");
        for (int b : buckets) assertEquals(n / 7.0, b, 600, "nextInt(7) buckets");   // sd ≈ 110
        float[] f = new float[1000];
        r.fillUniform(f, 0, 1000, -2, 3);
        for (float v : f) assertTrue(v >= -2 && v < 3);
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
    }
}
