package jmglu.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.autograd.F;
import jmglu.autograd.Var;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;

/**
 * THE model: a decoder-only transformer (Llama-style, nanoGPT-sized), with the training forward
 * (autograd) and the decode step (KV cache, inference storage, any backend) side by side:
 * <pre>
 *   x = tok_emb[ids]                         (B·T, C)       decode: (B, C), one token per sequence
 *   x = block_l(x), l = 0 .. nLayers−1       (B·T, C)
 *   logits = norm(x) · lm_headᵀ              (B·T, V)       lm_head = tok_emb when tied
 * </pre>
 * A model is in one of two forms. <b>Training form</b> ({@link #Transformer(Config, long)},
 * {@link #forTraining}): F32 weights on the heap as trainable Vars, MGLU mask logits.
 * <b>Inference form</b> ({@link #forInference}): the weights as stored (16-bit, packed mask
 * bit-planes, memory-mapped or on a device), resident on one backend; it decodes and cannot
 * train. {@link #pack} turns a training model into inference tensors in memory. An inference model
 * is immutable: one can serve several {@link DecodeState}s (one per conversation) at once.
 */
public final class Transformer {
    public final Config config;
    final Var tokEmb;            // (V, C)
    final List<Block> layers = new ArrayList<>();
    final RmsNorm norm;
    final Var lmHead;            // (V, C); the same Var as tokEmb when tied
    private final Params params;
    private final Backend backend;   // inference form only

    /** A fresh training model: weights initialised from seed (F32 on the heap: checked to fit first). */
    public Transformer(Config c, long seed) {
        c.checkHeap(4, "the F32 weights");
        this(c, Params.fresh(seed), null);
    }

    /** A training model from checkpoint tensors (copied to F32 on the heap: checked to fit first). */
    public static Transformer forTraining(Config c, Map<String, Tensor> tensors) {
        c.checkHeap(4, "the F32 weights");
        return new Transformer(c, Params.training(tensors), null);
    }


    /** An inference model over stored tensors (packed), made resident on backend (host backends: no copy). */
    public static Transformer forInference(Config c, Map<String, Tensor> tensors, Backend backend) {
        backend.require("decoding a " + c.label() + " model", decodeOps(c));
        return new Transformer(c, Params.inference(tensors, backend), backend);
    }

    /**
     * A randomly initialised model directly in inference form (matrices in dtype, random mask bits),
     * in off-heap memory of arena: what `jmglu init` writes, for models larger than the heap.
     */
    public static Map<String, Tensor> randomPacked(Config c, DType dtype, long seed, java.lang.foreign.Arena arena) {
        return new Transformer(c, Params.randomPacked(seed, dtype, arena), null).stateDict();
    }

    private Transformer(Config c, Params p, Backend backend) {
        this.config = c;
        this.params = p;
        this.backend = backend;
        Params.Scope root = p.scope("");
        tokEmb = root.randn("tok_emb.weight", 0.02, c.vocab(), c.dim());
        for (int l = 0; l < c.nLayers(); l++) layers.add(new Block(root.scope("layers." + l + "."), c));
        norm = new RmsNorm(root.scope("norm."), c.dim(), c.normEps());
        lmHead = c.tiedEmbeddings() ? tokEmb : root.randn("lm_head.weight", 0.02, c.vocab(), c.dim());
    }

    private static String[] decodeOps(Config c) {
        String ffn = switch (c.ffn()) { case GELU -> "act"; case GLU -> "glu"; case MGLU -> c.topK() > 0 ? "mgluTopK" : "flashMglu"; };
        return new String[] {"embedding", "rmsnorm", "linear", "rope", "attentionStep", ffn};
    }

    /** Whether this is a training-form model. */
    public boolean trainable() { return backend == null; }

    /** The backend an inference model lives on (null for a training model). */
    public Backend backend() { return backend; }

    /** The weights by name, in creation order (a tied head appears once, as tok_emb.weight). */
    public Map<String, Var> parameters() { return params.map(); }

    // ---------------------------------------------------------------- training
    /** ids (B·T) → logits (B·T, V). */
    public Var forward(F f, int[] ids, int B, int T) {
        if (!trainable()) throw new IllegalStateException("this model is in inference form (" + backend.name() + "); the training forward needs a training model");
        if (ids.length != B * T) throw new IllegalArgumentException("Transformer.forward: " + ids.length + " ids for B=" + B + ", T=" + T);
        if (T > config.seqLen()) throw new IllegalArgumentException("Transformer.forward: T=" + T + " exceeds seqLen " + config.seqLen());
        for (int id : ids)
            if (id < 0 || id >= config.vocab()) throw new IllegalArgumentException("Transformer.forward: token " + id + " outside vocabulary " + config.vocab());
        Var x = f.embedding(tokEmb, ids);                    // (B·T, C)
        for (Block b : layers) x = b.forward(f, x, B, T);    // (B·T, C)
        return f.linear(norm.forward(f, x), lmHead);         // (B·T, V)
    }

    /** Mean next-token cross-entropy, a scalar (1). */
    public Var loss(F f, int[] ids, int[] targets, int B, int T) {
        return f.crossEntropy(forward(f, ids, B, T), targets);
    }

    // ---------------------------------------------------------------- decoding
    /** A KV cache and activations for batch sequences of up to maxSeq tokens on this model's backend. */
    public DecodeState newState(int batch, int maxSeq) {
        if (trainable()) throw new IllegalStateException("a training model does not decode; pack it (Transformer.pack) and load it with forInference");
        return new DecodeState(backend, config, batch, maxSeq);
    }

    /**
     * One decode step: token tokens[b] of sequence b at position pos[b] (the cache holds that
     * sequence's positions 0..pos[b]−1); returns the next-token logits (B, V), row b for sequence b,
     * in an array the next step overwrites.
     */
    public float[] decode(DecodeState s, int[] tokens, int[] pos) {
        step(s, tokens, pos);
        head(s);
        return s.readLogits();
    }

    /**
     * One decode step, then each row's next token chosen greedily on the backend ({@link Backend#argmax}:
     * a device reads back B ints instead of the B·V logits); returns next (B), row b for sequence b, in an
     * array the next step overwrites. The same tokens as {@link #decode} followed by an argmax on the host.
     */
    public int[] decodeGreedy(DecodeState s, int[] tokens, int[] pos) {
        step(s, tokens, pos);
        backend.linearArgmax(s.next, s.logits, s.n, lmHead.value());   // the lm head and the argmax: one op (s.logits written too)
        return checked(s, "argmax");
    }

    /**
     * One decode step, then each row's next token drawn on the backend with temperature t, top-k k (0 = all) and the
     * uniform u[b] ({@link Backend#sample}: a device reads back B ints); returns next (B) as {@link #decodeGreedy} does.
     * The same draw as {@link jmglu.engine.Sampling#draw} on the logits of {@link #decode}, up to float rounding.
     */
    public int[] decodeSample(DecodeState s, int[] tokens, int[] pos, float t, int k, double[] u) {
        step(s, tokens, pos);
        head(s);
        backend.sample(s.next, s.logits, t, k, u);
        return checked(s, "sample");
    }

    /** s.next, unless a row came back −1: then the error its logits show (a non-finite logit, or only −∞). */
    private int[] checked(DecodeState s, String op) {
        for (int b = 0; b < s.batch; b++)
            if (s.next[b] < 0) {
                float[] l = s.readLogits();
                boolean finite = false;
                for (int j = 0; j < s.vocab; j++) {
                    float v = l[b * s.vocab + j];
                    if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY)
                        throw new IllegalArgumentException("the model produced a non-finite logit (" + v + " for token " + j + " of sequence " + b
                                + "); its weights or inputs are corrupt, so nothing is sampled");
                    finite |= v != Float.NEGATIVE_INFINITY;
                }
                if (!finite) throw new IllegalArgumentException("every logit of sequence " + b + " is -Infinity; its weights or inputs are corrupt, so nothing is sampled");
                throw new IllegalStateException(op + " on " + backend.name() + " flagged sequence " + b + " but its logits read back finite");
            }
        return s.next;
    }

    /**
     * A step of a pipelined decode ({@link jmglu.model.infer.DecodeAhead}): the tokens are tokens (from the host) or,
     * when tokens is null, the ids slot 1 − slot of s holds on the backend (the previous pipelined step's choice); the
     * next tokens are chosen into ids slot `slot` on the backend (greedy when t == 0 or k == 1, else drawn with u) and
     * not read back. {@link Backend#readIdsLater} brings them. The tokens are those of {@link #decodeGreedy} and
     * {@link #decodeSample} step by step; an id of −1 (a corrupt row of logits) feeds the next step a row of NaN.
     */
    public void decodeAhead(DecodeState s, int[] tokens, int slot, int[] pos, float t, int k, double[] u) {
        if (slot != 0 && slot != 1) throw new IllegalArgumentException("decodeAhead: slot is 0 or 1, got " + slot);
        step(s, tokens, tokens == null ? s.ids[1 - slot] : null, pos);
        if (t == 0f || k == 1) backend.linearArgmax(s.ids[slot], s.logits, s.n, lmHead.value());
        else {
            head(s);
            backend.sample(s.ids[slot], s.logits, t, k, u);
        }
    }

    /** Starts reading ids slot `slot` of s back (see {@link #decodeAhead}). */
    public Backend.PendingIds readIdsLater(DecodeState s, int slot) { return backend.readIdsLater(s.ids[slot]); }

    /** The step of {@link #decode} up to the lm head: s.n = norm(x) of the last layer's output, on the backend. */
    private void step(DecodeState s, int[] tokens, int[] pos) { step(s, tokens, null, pos); }

    /** The step over tokens from the host, or (tokens null) over the ids on the backend. */
    private void step(DecodeState s, int[] tokens, Tensor ids, int[] pos) {
        if (s.be != backend) throw new IllegalArgumentException("decode: the state belongs to another model's backend");
        if ((tokens != null ? tokens.length : ids.size()) != s.batch || pos.length != s.batch)
            throw new IllegalArgumentException("decode: " + (tokens != null ? tokens.length : ids.size()) + " tokens and " + pos.length
                    + " positions for a batch of " + s.batch);
        for (int b = 0; b < s.batch; b++) {
            if (tokens != null && (tokens[b] < 0 || tokens[b] >= config.vocab()))
                throw new IllegalArgumentException("decode: token " + tokens[b] + " outside vocabulary " + config.vocab());
            if (pos[b] < 0 || pos[b] >= s.maxSeq) throw new IllegalArgumentException("decode: position " + pos[b] + " outside the cache of " + s.maxSeq);
        }
        if (tokens != null) firstNorm().decodeEmbedding(backend, s.x, tokEmb.value(), tokens, s.n);   // x (B, C), n = norm(x)
        else firstNorm().decodeEmbedding(backend, s.x, tokEmb.value(), ids, s.n);
        var rows = new DecodeState.Rows(pos, 0, 0);
        for (int l = 0; l < layers.size(); l++) layers.get(l).decode(backend, s.step, s.kCache[l], s.vCache[l], rows, nextNorm(l));
    }

    /** The lm head after {@link #step}: s.logits (B, V) from n = norm(x) (the greedy paths fuse it with the argmax: linearArgmax). */
    private void head(DecodeState s) { backend.linear(s.logits, s.n, lmHead.value(), false); }

    /** The norm the first layer reads its input through (the final norm when there are no layers). */
    private RmsNorm firstNorm() { return layers.isEmpty() ? norm : layers.get(0).firstNorm(); }

    /** The norm after layer l: the next layer's attention norm, or the final norm after the last layer. */
    private RmsNorm nextNorm(int l) { return l + 1 < layers.size() ? layers.get(l + 1).firstNorm() : norm; }

    /**
     * A prefill: the tokens of sequence `row` at positions p0 .. p0 + P − 1, {@link DecodeState#prefillRows()}
     * positions per pass over the weights (causal attention among them and over the cache's positions
     * before p0); the same as P decode steps of that sequence. Returns the next-token logits (V) of the
     * last position, in an array the next step overwrites. The state's other sequences are untouched.
     */
    public float[] prefill(DecodeState s, int row, int[] tokens, int p0) {
        if (s.be != backend) throw new IllegalArgumentException("prefill: the state belongs to another model's backend");
        if (row < 0 || row >= s.batch) throw new IllegalArgumentException("prefill: sequence " + row + " outside the batch of " + s.batch);
        int P = tokens.length;
        if (P < 1 || p0 < 0 || p0 + P > s.maxSeq) throw new IllegalArgumentException("prefill: " + P + " tokens from position " + p0 + " do not fit the cache of " + s.maxSeq);
        for (int t : tokens) if (t < 0 || t >= config.vocab()) throw new IllegalArgumentException("prefill: token " + t + " outside vocabulary " + config.vocab());
        DecodeState.Acts a = null;
        int n = 0;
        for (int c0 = 0; c0 < P; c0 += n) {
            n = Math.min(s.prefillRows(), P - c0);
            a = s.prefillActs(n);
            firstNorm().decodeEmbedding(backend, a.x(), tokEmb.value(), java.util.Arrays.copyOfRange(tokens, c0, c0 + n), a.n());   // (n, C)
            var rows = new DecodeState.Rows(null, row, p0 + c0);
            for (int l = 0; l < layers.size(); l++) layers.get(l).decode(backend, a, s.kCache[l], s.vCache[l], rows, nextNorm(l));
        }
        Tensor ln = a.n().rows(n - 1, n);                                 // norm(x) of the last position: only its logits
        Tensor logits = s.logits.rows(0, 1);
        backend.linear(logits, ln, lmHead.value(), false);                // (1, V)
        return s.readRow0();
    }

    // ---------------------------------------------------------------- tensors in and out

    /** The current weights by name (training form: F32 heap tensors, shared, not copied). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : parameters().entrySet()) out.put(e.getKey(), e.getValue().value());
        return out;
    }

    /**
     * The inference form of this training model, in memory: every matrix in dtype (the MGLU router
     * stays F32: it is nm·C values), norms F32, mask logits → mask bit-planes
     * {@code layers.l.ffn.masks} I32 (d, nm, ⌈C/32⌉) (M_i = 1[L_i &gt; 0]); nothing else.
     */
    public Map<String, Tensor> pack(DType dtype) {
        if (!trainable()) throw new IllegalStateException("this model is already in inference form");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : parameters().entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue().value();
            if (name.endsWith(".ffn.mask_logits")) {
                MaskPlanes m = MaskPacker.pack(t.toArray(), t.dim(0), t.dim(1), t.dim(2));
                out.put(name.replace("mask_logits", "masks"), m.tensor());
            } else if (t.rank() == 2 && !name.endsWith(".ffn.router")) out.put(name, t.to(dtype));
            else out.put(name, t.copy());
        }
        return out;
    }

    // ---------------------------------------------------------------- sizes

    /** Weight parameters (float values the model stores), mask logits and packed masks excluded. */
    public long weightParams() {
        long n = 0;
        for (Map.Entry<String, Var> e : parameters().entrySet())
            if (!e.getKey().endsWith("mask_logits") && !e.getKey().endsWith(".masks")) n += e.getValue().value().size();
        return n;
    }

    /** Mask bits at inference: nm·d·C per MGLU layer (0 otherwise). */
    public long maskBits() {
        return config.isMglu() ? (long) config.nLayers() * config.nm() * config.hidden() * config.dim() : 0;
    }

    /**
     * Bytes the FFN weights cost to read per token at batch-1 inference with 16-bit weights:
     * GELU MLP 2·(2dC), SwiGLU 3·(2dC), MGLU 2·(2dC) + nm bit-planes (rows padded to 32 bits).
     */
    public long ffnBytesPerToken() {
        long dC = (long) config.hidden() * config.dim();
        long per = switch (config.ffn()) {
            case GELU -> 2 * 2 * dC;
            case GLU -> 3 * 2 * dC;
            case MGLU -> 2 * 2 * dC + (long) config.nm() * config.hidden() * MaskPlanes.wordsPerRow(config.dim()) * 4
                    + (config.topK() > 0 ? 4L * config.nm() * config.dim() : 0);
        };
        return per * config.nLayers();
    }

    /** Bytes of every stored weight a decode step reads once (the weight-read floor of one step). */
    public long weightBytesPerStep() {
        long n = 0;
        for (Map.Entry<String, Var> e : parameters().entrySet()) {
            if (e.getKey().equals("tok_emb.weight") && !config.tiedEmbeddings()) continue;     // one row per token
            n += e.getValue().value().byteSize();
        }
        return n;
    }
}
