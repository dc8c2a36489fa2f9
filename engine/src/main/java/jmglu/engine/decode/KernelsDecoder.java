package jmglu.engine.decode;

import jmglu.engine.Act;
import jmglu.engine.Kernels;

/**
 * The decoder over any {@link Kernels}: one token at a time, KV cache on the heap, the FFN of
 * MGLU models through the backend's fused FlashMGLU. This is also the CPU answer that the GPU
 * decoder is tested against.
 */
public final class KernelsDecoder implements Decoder {
    private final Kernels k;
    private final DecoderWeights w;
    private final int maxSeq, C, hd;
    private final float[][] kCache, vCache;               // per layer (maxSeq, nH, hd)
    private final float[] x, n, q, kk, v, att, proj, ffnH, ffnV, logits, rstd, scratch, route;

    public KernelsDecoder(Kernels kernels, DecoderWeights weights, int maxSeq) {
        if (maxSeq <= 0) throw new IllegalArgumentException("KernelsDecoder: maxSeq must be positive, got " + maxSeq);
        this.k = kernels;
        this.w = weights;
        this.maxSeq = maxSeq;
        this.C = weights.dim();
        this.hd = weights.headDim();
        kCache = new float[weights.nLayers()][maxSeq * C];
        vCache = new float[weights.nLayers()][maxSeq * C];
        x = new float[C]; n = new float[C]; q = new float[C]; kk = new float[C]; v = new float[C];
        att = new float[C]; proj = new float[C];
        ffnH = new float[weights.hidden()]; ffnV = new float[weights.hidden()];
        logits = new float[weights.vocab()]; rstd = new float[1]; scratch = new float[maxSeq];
        route = new float[Math.max(1, weights.nm())];
    }

    @Override public int maxSeq() { return maxSeq; }

    @Override public String describe() { return k.name(); }

    @Override
    public float[] forward(int token, int pos) {
        if (token < 0 || token >= w.vocab()) throw new IllegalArgumentException("decoder: token " + token + " outside vocabulary of " + w.vocab());
        if (pos < 0 || pos >= maxSeq) throw new IllegalArgumentException("decoder: position " + pos + " outside 0.." + (maxSeq - 1));
        System.arraycopy(w.tokenEmbedding(), token * C, x, 0, C);                   // (C)
        for (int l = 0; l < w.nLayers(); l++) {
            DecoderWeights.Layer L = w.layers().get(l);
            // attention: n = rmsnorm(x); q, k, v = W n; rope on q, k; cache k, v; x += Wo · attn
            k.rmsnorm(n, 0, rstd, 0, x, 0, L.attnNorm(), 0, 1, C, w.normEps());
            k.gemv(q, n, L.wq(), 1);
            k.gemv(kk, n, L.wk(), 1);
            k.gemv(v, n, L.wv(), 1);
            k.rope(q, 0, q, 0, 1, 1, w.nHeads(), hd, pos, w.ropeTheta());
            k.rope(kk, 0, kk, 0, 1, 1, w.nHeads(), hd, pos, w.ropeTheta());
            System.arraycopy(kk, 0, kCache[l], pos * C, C);
            System.arraycopy(v, 0, vCache[l], pos * C, C);
            k.attentionStep(att, q, kCache[l], vCache[l], pos + 1, w.nHeads(), hd, scratch);
            k.gemv(proj, att, L.wo(), 1);
            k.add(x, 0, x, 0, proj, 0, C);
            // feed-forward: x += W2 · ffn(rmsnorm(x))
            k.rmsnorm(n, 0, rstd, 0, x, 0, L.ffnNorm(), 0, 1, C, w.normEps());
            ffn(L);
            k.gemv(proj, ffnH, L.w2(), 1);
            k.add(x, 0, x, 0, proj, 0, C);
        }
        k.rmsnorm(n, 0, rstd, 0, x, 0, w.finalNorm(), 0, 1, C, w.normEps());
        k.gemv(logits, n, w.lmHead(), 1);
        return logits.clone();
    }

    /** ffnH (hidden) = ffn(n). */
    private void ffn(DecoderWeights.Layer L) {
        int H = w.hidden();
        switch (w.ffn()) {
            case "gelu" -> {
                k.gemv(ffnV, n, L.w1(), 1);
                k.act(Act.GELU, ffnH, 0, ffnV, 0, H);
            }
            case "swiglu" -> {
                k.gemv(ffnV, n, L.w1(), 1);
                k.act(w.act(), ffnV, 0, ffnV, 0, H);
                k.gemv(ffnH, n, L.w3(), 1);
                k.mul(ffnH, 0, ffnH, 0, ffnV, 0, H);
            }
            default -> {
                if (w.topK() > 0) topKMglu(L);
                else k.flashMglu(ffnH, n, L.w1(), L.masks(), 1, w.act());
            }
        }
    }

    /**
     * Top-K routed MGLU for one token: r = Wr n (nm), keep the K largest, softmax them into G;
     * ffnH = Σ_{i∈topK} G_i g(s_i) ⊙ (t − s_i). Uses the scores kernel (t and every s_i in one pass).
     */
    private void topKMglu(DecoderWeights.Layer L) {
        int nm = w.nm(), H = w.hidden();
        k.gemv(route, n, L.router(), 1);
        float[] t = new float[H], s = new float[nm * H];
        k.mgluScores(t, s, n, L.w1(), L.masks(), 1);
        float[] gate = TopK.weights(route, nm, w.topK());
        java.util.Arrays.fill(ffnH, 0f);
        for (int i = 0; i < nm; i++) {
            if (gate[i] == 0f) continue;
            for (int j = 0; j < H; j++) {
                float si = s[i * H + j];
                ffnH[j] += gate[i] * w.act().apply(si) * (t[j] - si);
            }
        }
    }
}
