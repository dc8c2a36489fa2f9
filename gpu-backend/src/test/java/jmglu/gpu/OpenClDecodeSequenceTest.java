package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.weights;

import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * A decode-like sequence of ops, the way a model's decode step calls them, for positions 0..5 with
 * state carried between steps (KV caches, the residual stream), on the OpenCL backend and on
 * HostBackend(ReferenceKernels) from the same weights: catches state bugs (cache rows overwritten,
 * positions mixed up between batch rows, buffers reused too early) that single-op tests miss.
 * One block, B = 3 sequences at staggered positions, GQA nH = 4 over nKv = 2, MGLU FFN (nm = 3, fp16 W),
 * embedding from a bf16 table. The residual stream after every step must agree within abs 1e-4 + rel 1e-3.
 */
class OpenClDecodeSequenceTest {
    static final int V = 29, C = 24, nH = 4, nKv = 2, hd = 6, hidden = 45, nm = 3, B = 3, maxT = 8, STEPS = 6;

    /** The block's weights, on the backend. */
    record Weights(Tensor emb, Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor ffnNorm, Tensor w1, Tensor masks, Tensor w2) {
        static Weights random(long seed) {
            Rng rng = new Rng(seed);
            return new Weights(randn(rng, 1, V, C).to(DType.BF16), randn(rng, 0.2, C), weights(rng, DType.F32, nH * hd, C),
                    weights(rng, DType.F16, nKv * hd, C), weights(rng, DType.BF16, nKv * hd, C), weights(rng, DType.F16, C, nH * hd),
                    randn(rng, 0.2, C), weights(rng, DType.F16, hidden, C), OpenClTesting.masks(rng, nm, hidden, C), weights(rng, DType.F16, C, hidden));
        }

        Weights on(Backend be) {
            return new Weights(be.adopt(emb), be.adopt(attnNorm), be.adopt(wq), be.adopt(wk), be.adopt(wv), be.adopt(wo),
                    be.adopt(ffnNorm), be.adopt(w1), be.adopt(masks), be.adopt(w2));
        }
    }

    /** Runs STEPS decode steps; returns the residual stream x (B, C) after each. */
    static float[][] decode(Backend be, Weights host) {
        Weights w = host.on(be);
        Tensor x = be.zeros(B, C), n = be.zeros(B, C), q = be.zeros(B, nH * hd), k = be.zeros(B, nKv * hd), v = be.zeros(B, nKv * hd),
                att = be.zeros(B, nH * hd), kc = be.zeros(B, maxT, nKv * hd), vc = be.zeros(B, maxT, nKv * hd), y = be.zeros(B, hidden);
        float[][] out = new float[STEPS][B * C];
        for (int step = 0; step < STEPS; step++) {
            int[] ids = new int[B], pos = new int[B];
            for (int b = 0; b < B; b++) {
                ids[b] = (step * 11 + b * 5 + 1) % V;
                pos[b] = step + b;                                  // rows at staggered positions; row 2 ends at maxT − 1
            }
            be.embedding(x, w.emb(), ids);
            be.rmsnorm(n, x, w.attnNorm(), 1e-5f);                   // attention
            be.linear(q, n, w.wq(), false);
            be.linear(k, n, w.wk(), false);
            be.linear(v, n, w.wv(), false);
            be.rope(q, nH, hd, pos, jmglu.engine.Rope.interleaved(10000f));
            be.rope(k, nKv, hd, pos, jmglu.engine.Rope.interleaved(10000f));
            be.attentionStep(att, q, k, v, kc, vc, pos, nH, nKv, hd);
            be.linear(x, att, w.wo(), true);
            be.rmsnorm(n, x, w.ffnNorm(), 1e-5f);                    // MGLU feed-forward
            be.flashMglu(y, n, w.w1(), w.masks(), Act.SILU);
            be.linear(x, y, w.w2(), true);
            be.read(x, out[step]);
        }
        return out;
    }

    @Test void decodeStepsMatchTheHostBackend() {
        OpenClTesting.requireOpenCl();
        Weights w = Weights.random(42);
        float[][] expected = decode(new HostBackend(new ReferenceKernels(), "ref"), w);
        try (OpenClBackend gpu = OpenClTesting.backend()) {
            float[][] actual = decode(gpu, w);
            for (int s = 0; s < STEPS; s++) Check.close(expected[s], actual[s], 1e-4, 1e-3, "residual stream after step " + s);
        }
    }

    /**
     * Launches through java.lang.foreign ({@link ClNative}, the default where libOpenCL.so.1 is reachable, as on every
     * Linux machine with the ICD loader) and through JOCL's calls set the same arguments: the same bits, step by step.
     */
    @Test void nativeLaunchesGiveTheSameBitsAsJocl() {
        OpenClTesting.requireOpenCl();
        Weights w = Weights.random(43);
        try (OpenClBackend gpu = OpenClTesting.backend()) {
            if (!gpu.context().nativeLaunches(true))
                throw new AssertionError("launches through java.lang.foreign are not available here (libOpenCL.so.1 or JOCL's handles)");
            float[][] viaNative = decode(gpu, w);
            gpu.context().nativeLaunches(false);
            float[][] viaJocl = decode(gpu, w);
            for (int s = 0; s < STEPS; s++)
                if (!java.util.Arrays.equals(viaNative[s], viaJocl[s])) throw new AssertionError("step " + s + ": native and JOCL launches differ");
        }
    }
}
