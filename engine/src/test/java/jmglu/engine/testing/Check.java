package jmglu.engine.testing;

import jmglu.engine.Rng;

/**
 * Test helpers shared by every module's tests (the engine's test-jar): random inputs, the awkward
 * sizes fast kernels must handle, and closeness checks with an absolute + relative tolerance:
 * |actual − expected| ≤ abs + rel·|expected| for every element.
 */
public final class Check {
    private Check() {}

    /** Sizes that are not multiples of 8/16 lanes, around vector and tile boundaries. */
    public static final int[] AWKWARD = {1, 3, 7, 17, 31, 33, 67, 129};

    public static float[] random(Rng rng, int n) {
        float[] a = new float[n];
        rng.fillGaussian(a, 0, n, 1.0);
        return a;
    }

    public static float[] random(long seed, int n) { return random(new Rng(seed), n); }

    /** Random 0/1 masks (nm, rows, cols) with probability 1/2. */
    public static float[] randomMasks(Rng rng, int nm, int rows, int cols) {
        float[] m = new float[nm * rows * cols];
        for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < 0.5 ? 1f : 0f;
        return m;
    }

    /** Fails with the first offending index, both values and the tolerance. */
    public static void close(float[] expected, float[] actual, double abs, double rel, String what) {
        close(toDouble(expected), actual, abs, rel, what);
    }

    public static void close(double[] expected, float[] actual, double abs, double rel, String what) {
        if (expected.length != actual.length)
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (!(Math.abs(a - e) <= abs + rel * Math.abs(e)))
                throw new AssertionError(what + ": element " + i + " is " + a + ", expected " + e
                        + " (|diff| " + Math.abs(a - e) + " > abs " + abs + " + rel " + rel + "·|expected|)");
        }
    }

    public static void close(double expected, double actual, double abs, double rel, String what) {
        close(new double[] {expected}, new float[] {(float) actual}, abs, rel, what);
    }

    /**
     * The tolerance on a model's logits decoded over F16 KV caches ({@link jmglu.engine.Backend#kvCacheType}; the opencl
     * backend's default), as a fraction of the largest |logit| compared: each cached key and value carries a relative
     * error up to 2^-11, which moves every logit by about the same absolute amount. Largest differences from the F32
     * reference seen: 5e-4 of the largest |logit| on ModelOnEveryBackendTest's models (OpenClHalfKvDecodeTest), 2.3e-3 on
     * HfParityTest's random Llamas, 3.4e-4 on its trained one.
     */
    public static final double KV16_OF_MAX = 5e-3;

    /**
     * {abs, rel} for comparing be's logits with an F32 reference's, expected: as given, the abs widened to
     * KV16_OF_MAX · max|expected| over F16 caches.
     */
    public static double[] decodeTolerance(jmglu.engine.Backend be, double abs, double rel, float[] expected) {
        if (be.kvCacheType() != jmglu.engine.DType.F16) return new double[] {abs, rel};
        double big = 0;
        for (float e : expected) big = Math.max(big, Math.abs(e));
        return new double[] {Math.max(abs, KV16_OF_MAX * big), rel};
    }

    /** max |a − e| / max(|e|, floor): the figure benchmarks print as max_rel_err. */
    public static double maxRelErr(float[] expected, float[] actual, double floor) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++)
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor));
        return worst;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
