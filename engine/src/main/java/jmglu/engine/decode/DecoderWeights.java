package jmglu.engine.decode;

import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

/**
 * A Llama-style decoder in deployment form: what inference reads, nothing that training needs
 * (no mask logits, no optimizer state). Produced by the model module (from a checkpoint or a
 * packed file) and consumed by a {@link Decoder} on any backend.
 *
 * <pre>
 *   x = emb[token]                                       (dim)
 *   per layer:  x += Wo · attn(rope(Wq·n), rope(Wk·n), Wv·n),   n = rmsnorm(x, attnNorm)
 *               x += W2 · ffn(rmsnorm(x, ffnNorm))
 *   logits = lmHead · rmsnorm(x, finalNorm)              (vocab)
 * </pre>
 * ffn: "gelu": gelu(W1 n); "swiglu": g(W1 n) ⊙ (W3 n); "mglu": FlashMGLU(n; W1, masks, g),
 * optionally Top-K routed by router (nm, dim). Attention is multi-head with nHeads = nKvHeads.
 */
public record DecoderWeights(int vocab, int dim, int nLayers, int nHeads, int hidden, float ropeTheta, float normEps,
                             String ffn, Act act, int nm, int topK,
                             float[] tokenEmbedding, WeightMatrix lmHead, float[] finalNorm, List<Layer> layers) {

    /** One block. Matrices are (out, in) like nn.Linear. w3 only for swiglu; masks only for mglu; router only for Top-K mglu. */
    public record Layer(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                        float[] ffnNorm, WeightMatrix w1, WeightMatrix w3, WeightMatrix w2, MaskPlanes masks, WeightMatrix router) {}

    public DecoderWeights {
        String op = "DecoderWeights";
        if (vocab < 1 || dim < 1 || nLayers < 1 || nHeads < 1 || hidden < 1)
            throw new IllegalArgumentException(op + ": sizes must be positive, got vocab " + vocab + ", dim " + dim + ", nLayers " + nLayers
                    + ", nHeads " + nHeads + ", hidden " + hidden);
        if (dim % nHeads != 0) throw new IllegalArgumentException(op + ": dim " + dim + " is not divisible by nHeads " + nHeads);
        if ((dim / nHeads) % 2 != 0) throw new IllegalArgumentException(op + ": head size " + dim / nHeads + " must be even (RoPE rotates pairs)");
        if (layers == null || layers.size() != nLayers) throw new IllegalArgumentException(op + ": " + (layers == null ? 0 : layers.size()) + " layers, config says " + nLayers);
        if (ffn == null || !List.of("gelu", "swiglu", "mglu").contains(ffn)) throw new IllegalArgumentException(op + ": unknown ffn '" + ffn + "'");
        if (act == null) throw new IllegalArgumentException(op + ": act is null");
        if (ffn.equals("mglu")) MaskPlanes.checkNm(nm, op);
        if (topK < 0 || topK > 0 && (!ffn.equals("mglu") || topK > nm))
            throw new IllegalArgumentException(op + ": topK " + topK + " needs an mglu ffn with nm ≥ topK (ffn " + ffn + ", nm " + nm + ")");
        vector(op + " tokenEmbedding (vocab, dim)", tokenEmbedding, (long) vocab * dim);
        vector(op + " finalNorm (dim)", finalNorm, dim);
        matrix(op + " lmHead", lmHead, vocab, dim);
        for (int l = 0; l < nLayers; l++) {
            Layer L = layers.get(l);
            String at = op + " layer " + l + " ";
            vector(at + "attnNorm (dim)", L.attnNorm(), dim);
            vector(at + "ffnNorm (dim)", L.ffnNorm(), dim);
            matrix(at + "wq", L.wq(), dim, dim);
            matrix(at + "wk", L.wk(), dim, dim);
            matrix(at + "wv", L.wv(), dim, dim);
            matrix(at + "wo", L.wo(), dim, dim);
            matrix(at + "w1", L.w1(), hidden, dim);
            matrix(at + "w2", L.w2(), dim, hidden);
            if (ffn.equals("swiglu")) matrix(at + "w3 (swiglu)", L.w3(), hidden, dim);
            if (ffn.equals("mglu")) {
                if (L.masks() == null) throw new IllegalArgumentException(at + "is mglu but has no masks");
                if (L.masks().nm() != nm || L.masks().rows() != hidden || L.masks().cols() != dim)
                    throw new IllegalArgumentException(at + "masks are nm=" + L.masks().nm() + " (" + L.masks().rows() + ", " + L.masks().cols()
                            + "), expected nm=" + nm + " (" + hidden + ", " + dim + ")");
            }
            if (topK > 0) matrix(at + "router (Top-K)", L.router(), nm, dim);
        }
    }

    private static void vector(String what, float[] a, long n) {
        if (a == null || a.length != n) throw new IllegalArgumentException(what + ": needs " + n + " values, got " + (a == null ? "none" : a.length));
    }

    private static void matrix(String what, WeightMatrix m, int rows, int cols) {
        if (m == null) throw new IllegalArgumentException(what + ": missing, expected (" + rows + ", " + cols + ")");
        if (m.rows() != rows || m.cols() != cols)
            throw new IllegalArgumentException(what + ": is (" + m.rows() + ", " + m.cols() + "), expected (" + rows + ", " + cols + ")");
    }

    public int headDim() { return dim / nHeads; }
}
