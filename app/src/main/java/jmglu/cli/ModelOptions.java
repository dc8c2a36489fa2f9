package jmglu.cli;

import jmglu.engine.Act;
import jmglu.engine.Rope;
import jmglu.model.Config;
import picocli.CommandLine.Option;

/** The model-shape flags shared by train, init, demo and compare (defaults set by each command). */
final class ModelOptions {
    @Option(names = "--dim", description = "Model width C (default: ${DEFAULT-VALUE}).") int dim = 128;
    @Option(names = "--layers", description = "Transformer blocks (default: ${DEFAULT-VALUE}).") int layers = 4;
    @Option(names = "--heads", description = "Attention heads (default: ${DEFAULT-VALUE}).") int heads = 4;
    @Option(names = "--kv-heads", description = "Key/value heads for grouped-query attention (default: --heads).") Integer kvHeads;
    @Option(names = "--hidden", description = "FFN width d (default: ${DEFAULT-VALUE}).") int hidden = 256;
    @Option(names = "--seq-len", description = "Context length T (default: ${DEFAULT-VALUE}).") int seqLen = 128;
    @Option(names = "--ffn", description = "gelu | swiglu | mglu (default: ${DEFAULT-VALUE}).") String ffn = "mglu";
    @Option(names = "--nm", description = "Masks per MGLU layer, 1..16 (default: ${DEFAULT-VALUE}).") int nm = 4;
    @Option(names = "--act", description = "Gate: swish | gelu | relu (default: ${DEFAULT-VALUE}).") String act = "swish";
    @Option(names = "--top-k", description = "Top-K routing over the masks, 0 = off (default: ${DEFAULT-VALUE}).") int topK = 0;
    @Option(names = "--untied", description = "Separate LM head instead of tied embeddings.") boolean untied;
    @Option(names = "--rope-theta", description = "RoPE base (default: ${DEFAULT-VALUE}).") float ropeTheta = 10000f;

    /** The config for a vocabulary (every value checked by Config). */
    Config config(int vocab) {
        Config.FfnKind kind = Config.FfnKind.parse(ffn);
        boolean m = kind == Config.FfnKind.MGLU;
        int headDim = Config.headDimOf(dim, heads);
        return new Config(vocab, dim, layers, heads, kvHeads == null ? heads : kvHeads, headDim, hidden, seqLen, kind, m ? nm : 0, Act.parse(act),
                m ? topK : 0, !untied, Rope.interleaved(ropeTheta), 1e-5f);
    }
}
