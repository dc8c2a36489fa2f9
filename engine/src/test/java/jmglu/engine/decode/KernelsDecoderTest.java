package jmglu.engine.decode;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jmglu.engine.*;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * Pins the decoder semantics: the incremental KernelsDecoder (one token at a time, KV cache)
 * must give, at every position, the logits of an independent full-sequence forward written here
 * from reference primitives (rmsnorm, matmulTransB, rope, causal attention, ReferenceMglu.dense,
 * TopK.weights). Tiny model: vocab 11, dim 16, 2 heads, 2 layers, hidden 37, 5 tokens.
 * Tolerance abs 1e-4 + rel 1e-4 on the logits (float32 paths that sum in different orders).
 */
class KernelsDecoderTest {
    static final int V = 11, C = 16, NH = 2, L = 2, H = 37;
    static final float THETA = 10000f, EPS = 1e-5f;
    final ReferenceKernels k = new ReferenceKernels();

    record Model(DecoderWeights w, List<float[]> masks) {}   // masks as floats (nm, H, C) per layer, for the dense definition

    static float[] norm(Rng rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = 1f + 0.1f * (float) rng.nextGaussian();
        return a;
    }

    static WeightMatrix mat(Rng rng, DType t, int rows, int cols) {
        float[] a = Check.random(rng, rows * cols);
        for (int i = 0; i < a.length; i++) a[i] *= (float) (1 / Math.sqrt(cols));
        return WeightMatrix.of(t, a, rows, cols);
    }

    static Model build(String ffn, Act act, int nm, int topK, DType t, long seed) {
        Rng rng = new Rng(seed);
        List<DecoderWeights.Layer> layers = new ArrayList<>();
        List<float[]> masks = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            float[] m = nm > 0 ? Check.randomMasks(rng, nm, H, C) : null;
            masks.add(m);
            layers.add(new DecoderWeights.Layer(norm(rng, C), mat(rng, t, C, C), mat(rng, t, C, C), mat(rng, t, C, C), mat(rng, t, C, C),
                    norm(rng, C), mat(rng, t, H, C), ffn.equals("swiglu") ? mat(rng, t, H, C) : null, mat(rng, t, C, H),
                    m == null ? null : MaskPacker.pack(m, nm, H, C), topK > 0 ? mat(rng, t, nm, C) : null));
        }
        float[] emb = Check.random(rng, V * C);
        return new Model(new DecoderWeights(V, C, L, NH, H, THETA, EPS, ffn, act, nm, topK, emb, mat(rng, t, V, C), norm(rng, C), layers), masks);
    }

    /** y (T, out) = x (T, in) · Wᵀ with W widened to float. */
    float[] linear(float[] x, WeightMatrix w, int T) {
        float[] y = new float[T * w.rows()];
        k.matmulTransB(y, 0, x, 0, w.toFloat(), 0, T, w.cols(), w.rows(), false);
        return y;
    }

    /** The whole sequence at once: logits (T, V). */
    float[] fullForward(Model m, int[] tokens) {
        DecoderWeights w = m.w();
        int T = tokens.length, hd = C / NH;
        float[] x = new float[T * C], n = new float[T * C], rstd = new float[T];
        k.embedding(x, 0, w.tokenEmbedding(), 0, tokens, T, C);                        // (T, C)
        for (int l = 0; l < L; l++) {
            DecoderWeights.Layer ly = w.layers().get(l);
            k.rmsnorm(n, 0, rstd, 0, x, 0, ly.attnNorm(), 0, T, C, EPS);
            float[] q = linear(n, ly.wq(), T), kk = linear(n, ly.wk(), T), v = linear(n, ly.wv(), T), att = new float[T * C];
            k.rope(q, 0, q, 0, 1, T, NH, hd, 0, THETA);
            k.rope(kk, 0, kk, 0, 1, T, NH, hd, 0, THETA);
            k.attention(att, new float[NH * T * T], q, kk, v, 1, T, NH, hd);            // causal
            k.add(x, 0, x, 0, linear(att, ly.wo(), T), 0, T * C);
            k.rmsnorm(n, 0, rstd, 0, x, 0, ly.ffnNorm(), 0, T, C, EPS);
            float[] y = new float[T * H];                                              // (T, H)
            switch (w.ffn()) {
                case "gelu" -> k.act(Act.GELU, y, 0, linear(n, ly.w1(), T), 0, T * H);
                case "swiglu" -> {
                    float[] g = linear(n, ly.w1(), T);
                    k.act(w.act(), g, 0, g, 0, T * H);
                    k.mul(y, 0, g, 0, linear(n, ly.w3(), T), 0, T * H);
                }
                default -> {
                    float[] w1 = ly.w1().toFloat(), masks = m.masks().get(l);
                    if (w.topK() == 0) ReferenceMglu.dense(y, n, w1, masks, T, C, H, w.nm(), w.act());
                    else {
                        float[] r = linear(n, ly.router(), T);                         // (T, nm)
                        for (int t = 0; t < T; t++) {
                            float[] G = TopK.weights(Arrays.copyOfRange(r, t * w.nm(), (t + 1) * w.nm()), w.nm(), w.topK());
                            float[] nt = Arrays.copyOfRange(n, t * C, (t + 1) * C), route = new float[H];
                            for (int i = 0; i < w.nm(); i++) {                         // route i alone = MGLU with the single mask i
                                ReferenceMglu.dense(route, nt, w1, Arrays.copyOfRange(masks, i * H * C, (i + 1) * H * C), 1, C, H, 1, w.act());
                                k.addScaled(y, t * H, route, 0, G[i], H);
                            }
                        }
                    }
                }
            }
            k.add(x, 0, x, 0, linear(y, ly.w2(), T), 0, T * C);
        }
        k.rmsnorm(n, 0, rstd, 0, x, 0, w.finalNorm(), 0, T, C, EPS);
        return linear(n, w.lmHead(), T);
    }

    @Test void incrementalDecodingEqualsTheFullSequenceForward() {
        Object[][] variants = {{"gelu", Act.GELU, 0, 0}, {"swiglu", Act.SILU, 0, 0}, {"mglu", Act.SILU, 3, 0}, {"mglu", Act.GELU, 4, 2}};
        int[] tokens = {3, 10, 0, 3, 7};
        for (Object[] vr : variants) for (DType t : new DType[] {DType.F32, DType.BF16}) {
            String ffn = (String) vr[0];
            Model m = build(ffn, (Act) vr[1], (int) vr[2], (int) vr[3], t, 31 + ffn.hashCode());
            float[] want = fullForward(m, tokens);
            try (Decoder d = new KernelsDecoder(k, m.w(), 8)) {
                assertEquals("reference", d.describe());
                assertEquals(8, d.maxSeq());
                for (int p = 0; p < tokens.length; p++) {
                    float[] got = d.forward(tokens[p], p);
                    Check.close(Arrays.copyOfRange(want, p * V, (p + 1) * V), got, 1e-4, 1e-4,
                            ffn + " nm=" + vr[2] + " topK=" + vr[3] + " " + t + " position " + p);
                }
            }
        }
    }

    @Test void topKWeights() {
        float[] g = TopK.weights(new float[] {0.5f, 2f, -1f, 2f}, 4, 2);   // ties go to the lower index: keeps 1 and 3
        assertArrayEquals(new float[] {0f, 0.5f, 0f, 0.5f}, g, 1e-7f);
        g = TopK.weights(new float[] {1f, 0f, 3f}, 3, 2);
        double e = Math.exp(-2);
        assertArrayEquals(new float[] {(float) (e / (1 + e)), 0f, (float) (1 / (1 + e))}, g, 1e-7f);
        assertThrows(IllegalArgumentException.class, () -> TopK.weights(new float[3], 3, 4));
        assertThrows(IllegalArgumentException.class, () -> TopK.weights(new float[3], 4, 2));
    }

    static void throwsWith(String part, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
    }

    @Test void badInputIsRejected() {
        Model m = build("mglu", Act.SILU, 3, 0, DType.F32, 1);
        DecoderWeights w = m.w();
        Decoder d = new KernelsDecoder(k, w, 4);
        throwsWith("token 11", () -> d.forward(11, 0));
        throwsWith("position 4", () -> d.forward(0, 4));
        throwsWith("maxSeq", () -> new KernelsDecoder(k, w, 0));
        List<DecoderWeights.Layer> ls = w.layers();
        DecoderWeights.Layer l0 = ls.get(0);
        throwsWith("nm must be in 1..16", () -> new DecoderWeights(V, C, L, NH, H, THETA, EPS, "mglu", Act.SILU, 17, 0,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), ls));
        throwsWith("masks are nm=3", () -> new DecoderWeights(V, C, L, NH, H, THETA, EPS, "mglu", Act.SILU, 4, 0,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), ls));
        throwsWith("router", () -> new DecoderWeights(V, C, L, NH, H, THETA, EPS, "mglu", Act.SILU, 3, 2,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), ls));
        throwsWith("lmHead", () -> new DecoderWeights(V + 1, C, L, NH, H, THETA, EPS, "mglu", Act.SILU, 3, 0,
                new float[(V + 1) * C], w.lmHead(), w.finalNorm(), ls));
        DecoderWeights.Layer swapped = new DecoderWeights.Layer(l0.attnNorm(), l0.wq(), l0.wk(), l0.wv(), l0.wo(), l0.ffnNorm(),
                l0.w2(), null, l0.w1(), l0.masks(), null);                      // w1 and w2 exchanged: (C, H) vs (H, C)
        throwsWith("layer 0 w1: is (16, 37), expected (37, 16)", () -> new DecoderWeights(V, C, L, NH, H, THETA, EPS, "mglu", Act.SILU, 3, 0,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), List.of(swapped, ls.get(1))));
        throwsWith("head size", () -> new DecoderWeights(V, C, L, 16, H, THETA, EPS, "mglu", Act.SILU, 3, 0,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), ls));
        throwsWith("unknown ffn", () -> new DecoderWeights(V, C, L, NH, H, THETA, EPS, "moe", Act.SILU, 3, 0,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), ls));
        throwsWith("layers", () -> new DecoderWeights(V, C, 3, NH, H, THETA, EPS, "mglu", Act.SILU, 3, 0,
                w.tokenEmbedding(), w.lmHead(), w.finalNorm(), ls));
    }
}
