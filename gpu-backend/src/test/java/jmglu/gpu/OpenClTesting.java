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

    /** t rounded through F16 (a new heap F32 tensor): the values a cache of halves holds. */
    static Tensor halves(Tensor t) { return t.to(DType.F16).to(DType.F32); }

    /** x rounded to fp16 (to nearest, ties to even) and back: what a kernel's one 16-bit part of x holds. */
    static float[] halves(float[] x) { return halves(Tensor.of(x, x.length)).toArray(); }

    /**
     * The reference of a fused attention step over F16 caches: ref's composition (q, k, v = x Wᵀ, RoPE) with k (rotated)
     * and v rounded to F16 before they are cached and attended, as the kernels built with KVH = 1 do; kc, vc host F32
     * caches holding F16 values (views allowed). devK, devV (null: none): the device's caches after the same step, laid
     * out as kc, vc: where the host's k or v sits within 64 F32 ulps of 1 (or of the value, past 1) of the midpoint between
     * two halves, the device's value (sums of O(1) terms in another order) may round the other way, and the reference
     * takes the device's half there.
     */
    static void attentionOverHalves(Backend ref, Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor kc, Tensor vc,
                                    int[] pos, int nH, int nKv, int hd, jmglu.engine.Rope rope, float[] devK, float[] devV) {
        int B = pos.length, kv = nKv * hd;
        Tensor q = Tensor.zeros(B, nH * hd), k = Tensor.zeros(B, kv), v = Tensor.zeros(B, kv);
        ref.linearQkv(q, k, v, x, wq, wk, wv);
        ref.rope(q, nH, hd, pos, rope);
        ref.rope(k, nKv, hd, pos, rope);
        ref.attentionStep(out, q, halvesAsDevice(k, devK, pos, kc.dim(1)), halvesAsDevice(v, devV, pos, kc.dim(1)), kc, vc, pos, nH, nKv, hd);
    }

    /** Rows b of t (B, kv) rounded to F16, taking dev's half at [b, pos[b], :] (dev (B, maxT, kv)) where t sits at a midpoint. */
    private static Tensor halvesAsDevice(Tensor t, float[] dev, int[] pos, int maxT) {
        float[] a = t.toArray(), r = halves(t).toArray();
        int kv = t.size() / pos.length;
        if (dev != null)
            for (int i = 0; i < a.length; i++) {
                float d = dev[(i / kv * maxT + pos[i / kv]) * kv + i % kv];
                double mid = ((double) r[i] + d) / 2;
                if (d != r[i] && Math.abs(a[i] - mid) <= 64 * Math.ulp(Math.max(Math.abs(a[i]), 1f))) r[i] = d;
            }
        return Tensor.of(r, t.shape());
    }

    /** The F32 (or F16, widened) tensor t of backend be as a new array. */
    static float[] read(Backend be, Tensor t) {
        float[] a = new float[t.size()];
        be.read(t, a);
        return a;
    }
}
