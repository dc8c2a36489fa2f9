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
        if (dim % nHeads != 0) throw new IllegalArgumentException("DecoderWeights: dim " + dim + " is not divisible by nHeads " + nHeads);
        if (layers.size() != nLayers) throw new IllegalArgumentException("DecoderWeights: " + layers.size() + " layers, config says " + nLayers);
        if (!List.of("gelu", "swiglu", "mglu").contains(ffn)) throw new IllegalArgumentException("DecoderWeights: unknown ffn '" + ffn + "'");
        for (int l = 0; l < nLayers; l++) {
            Layer L = layers.get(l);
            if (ffn.equals("mglu") && L.masks() == null) throw new IllegalArgumentException("DecoderWeights: layer " + l + " is mglu but has no masks");
            if (ffn.equals("swiglu") && L.w3() == null) throw new IllegalArgumentException("DecoderWeights: layer " + l + " is swiglu but has no w3");
            if (topK > 0 && L.router() == null) throw new IllegalArgumentException("DecoderWeights: layer " + l + " is Top-K routed but has no router");
        }
    }

    public int headDim() { return dim / nHeads; }
}
