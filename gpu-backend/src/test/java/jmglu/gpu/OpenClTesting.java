package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;

/**
 * Shared by the OpenCL tests: a missing OpenCL platform is a failure when the environment variable
 * CI is set (CI installs PoCL), and a skip elsewhere; random tensors; running one op on two backends.
 */
final class OpenClTesting {
    private OpenClTesting() {}

    static void requireOpenCl() {
        String why = OpenClProvider.probe();
        if (why == null) return;
        if (System.getenv("CI") != null) fail("CI is set but OpenCL is unavailable: " + why);
        assumeTrue(false, "OpenCL unavailable, skipping: " + why);
    }

    /** The settings the tests run under: the defaults, plus the aligned row kernel for every dtype (PoCL checks it too). */
    static OpenClSettings settings() { return OpenClSettings.defaults().withAlignedAll(true); }

    /** An OpenCL backend on the first device under {@link #settings()} (after {@link #requireOpenCl()}). */
    static OpenClBackend backend() {
        requireOpenCl();
        return new OpenClBackend(OpenClContext.open(), settings());
    }

    /** A heap F32 tensor of N(0, std²) entries. */
    static Tensor randn(Rng rng, double std, int... shape) { return Tensor.randn(rng, std, shape); }

    /** A (d, h) weight matrix with std 1/√h (outputs stay O(1)), stored as dt. */
    static Tensor weights(Rng rng, DType dt, int d, int h) { return Tensor.randn(rng, 1 / Math.sqrt(h), d, h).to(dt); }

    /** nm random masks over (d, h), each bit 1 with probability ½, as an I32 (d, nm, ⌈h/32⌉) tensor. */
    static Tensor masks(Rng rng, int nm, int d, int h) {
        return MaskPacker.pack(Check.randomMasks(rng, nm, d, h), nm, d, h).tensor();
    }

    /** An F32 tensor of NaN on the backend: every element an op writes must be overwritten. */
    static Tensor poisoned(Backend be, int... shape) {
        Tensor t = Tensor.zeros(shape);
        java.util.Arrays.fill(t.data(), Float.NaN);
        return be.adopt(t);
    }

    /** The F32 tensor t of backend be as a new array. */
    static float[] read(Backend be, Tensor t) {
        float[] a = new float[t.size()];
        be.read(t, a);
        return a;
    }
}
