package jmglu.simd;

import jmglu.engine.*;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * The benchmark baselines are real kernels too: naive MGLU against the dense MGLU definition,
 * SwiGLU against SiLU(x Wgᵀ) ⊙ (x Wvᵀ) from the reference GEMV, every dtype, awkward sizes, weights
 * on the heap, off-heap and in a mapped file. Tolerance |y − ref| ≤ 2e-3·√h + 2e-3·|ref|.
 */
class BaselinesTest {
    final Baselines base = new Baselines(new SimdKernels(SimdSettings.defaults()));

    @Test void naiveMgluMatchesDense() {
        long seed = 1;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int[] s : new int[][] {{1, 17, 33, 1}, {3, 129, 31, 3}, {16, 67, 7, 8}, {2, 33, 17, 16}}) {
                    int B = s[0], h = s[1], d = s[2], nm = s[3];
                    Rng rng = new Rng(seed++);
                    float[] x = Check.random(rng, B * h), masks = Check.randomMasks(rng, nm, d, h);
                    WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                    MaskPlanes m = MaskPacker.pack(masks, nm, d, h);
                    float[] ref = new float[B * d];
                    ReferenceMglu.dense(ref, x, w.toFloat(), masks, B, h, d, nm, Act.SILU);
                    for (Stores.Kind kind : Stores.Kind.values()) {
                        float[] y = new float[B * d];
                        base.naiveMglu(y, x, st.weights(kind, w), st.masks(kind, m), B, Act.SILU, new Baselines.NaiveWorkspace(dt, d, h));
                        Check.close(ref, y, 2e-3 * Math.sqrt(h), 2e-3, "naiveMglu " + dt + " " + kind + " B=" + B + " h=" + h + " d=" + d + " nm=" + nm);
                    }
                }
        }
    }

    @Test void swigluMatchesReference() {
        ReferenceKernels r = new ReferenceKernels();
        long seed = 20;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int[] s : new int[][] {{1, 17, 33}, {3, 129, 31}, {16, 67, 7}, {8, 300, 130}, {1, 256, 70}}) { // {1, 256, ..}: the BF16 B=1 in-register path
                    int B = s[0], h = s[1], d = s[2];
                    Rng rng = new Rng(seed++);
                    float[] x = Check.random(rng, B * h);
                    WeightMatrix wg = WeightMatrix.of(dt, Check.random(rng, d * h), d, h), wv = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                    float[] g = new float[B * d], v = new float[B * d], ref = new float[B * d];
                    r.gemv(g, x, wg, B); r.gemv(v, x, wv, B);
                    for (int i = 0; i < ref.length; i++) ref[i] = Act.SILU.apply(g[i]) * v[i];
                    for (Stores.Kind kind : Stores.Kind.values()) {
                        float[] y = new float[B * d];
                        base.swiglu(y, x, st.weights(kind, wg), st.weights(kind, wv), B);
                        Check.close(ref, y, 2e-3 * Math.sqrt(h), 2e-3, "swiglu " + dt + " " + kind + " B=" + B + " h=" + h + " d=" + d);
                    }
                }
        }
    }
}
