package jmglu.engine;

import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * A backend: where tensors live and what runs over them. Chosen once (the CLI's --device, or
 * {@link Backends#open}) and then passed explicitly to the model, trainer and session; there is
 * no process-wide "current backend".
 *
 * <p>Two levels of operations:
 * <ul>
 *   <li>{@link #kernels()}: the array kernels training runs on (host memory, the {@link Kernels}
 *       contract). A backend without training support says so with {@link #canTrain()} and its
 *       kernels() throws an {@link UnsupportedOperationException} naming it.</li>
 *   <li>The decode ops below, over {@link Tensor}s resident on this backend: what one decode step
 *       of the model needs. Host backends run them through their array kernels
 *       ({@link HostBackend}); a device backend runs them on device buffers without moving data
 *       to the host, so a whole step stays on the device. Shapes are per batch row b &lt; B: every
 *       row is an independent sequence with its own position.</li>
 * </ul>
 * An op a backend does not implement throws {@link UnsupportedOperationException} with one line
 * naming the backend and the op; {@link #ops()} lists the ones it has, so callers can check before
 * any work ({@link #require}).
 */
public interface Backend extends AutoCloseable {

    /** The --device name: "reference", "simd", "opencl". */
    String name();

    /** What runs it, for messages: "simd (2 threads, 16 float lanes)", "opencl: NVIDIA H200". */
    String describe();

    // ---------------------------------------------------------------- training
    /** Whether {@link #kernels()} exists (training runs on host arrays through it). */
    boolean canTrain();

    /** The array kernels for training; throws UnsupportedOperationException naming the backend when {@link #canTrain()} is false. */
    Kernels kernels();

    // ---------------------------------------------------------------- storage
    /** t resident on this backend for repeated reads (weights): host backends return t itself (no copy). */
    Tensor adopt(Tensor t);

    /** A zeroed F32 tensor on this backend (activations, KV caches). */
    Tensor zeros(int... shape);

    /**
     * A zeroed tensor of storage type dtype on this backend. The default makes F32 ({@link #zeros(int...)}) only; a
     * backend that stores other types (the KV caches of {@link #kvCacheType}) overrides it.
     */
    default Tensor zeros(DType dtype, int... shape) {
        if (dtype != DType.F32) throw new UnsupportedOperationException("backend '" + name() + "' makes F32 tensors only, not " + dtype);
        return zeros(shape);
    }

    /**
     * The storage type of the KV caches a decode state makes on this backend ({@link #zeros(DType, int...)}): F32 (the
     * default, host backends), or F16 on a backend whose attention ops read and write 16-bit caches (computing in F32).
     */
    default DType kvCacheType() { return DType.F32; }

    /** Copies the F32 tensor t (on this backend) into dst[0, t.size()) (a backend with F16 caches also widens those). */
    void read(Tensor t, float[] dst);

    /** Frees what {@link #adopt} or {@link #zeros} allocated for t (host backends: nothing). */
    default void release(Tensor t) {}

    /** The names of the decode ops this backend implements (see {@link #require}). */
    Set<String> ops();

    /** Throws one UnsupportedOperationException naming the backend and the first op of ops it lacks. */
    default void require(String why, String... ops) {
        for (String op : ops)
            if (!ops().contains(op))
                throw new UnsupportedOperationException("backend '" + name() + "' does not implement " + op + ", which " + why + " needs");
    }

    // ---------------------------------------------------------------- decode ops
    /** out (B, C) F32 = table[ids[b]] widened, table (V, C) in F32/BF16/F16. */
    void embedding(Tensor out, Tensor table, int[] ids);

    /** out (B, C) = x · rstd · w per row, rstd = 1/√(mean(x²) + eps); w (C) F32. */
    void rmsnorm(Tensor out, Tensor x, Tensor w, float eps);

    /** y (B, d) = x (B, h) · Wᵀ, or y += that when acc (a residual add); W (d, h) F32/BF16/F16. */
    void linear(Tensor y, Tensor x, Tensor w, boolean acc);

    /**
     * q = x Wqᵀ, k = x Wkᵀ, v = x Wvᵀ: the three projections of an attention step as one op, so that a
     * backend can run them as one pass (one parallel region over the rows of all three); the
     * composition of three {@link #linear}s is the reference.
     */
    default void linearQkv(Tensor q, Tensor k, Tensor v, Tensor x, Tensor wq, Tensor wk, Tensor wv) {
        linear(q, x, wq, false);
        linear(k, x, wk, false);
        linear(v, x, wv, false);
    }

    /** RoPE in place on x (B, nH·hd), row b at position pos[b] (pairs and angles as rope says, as {@link Kernels#rope}). */
    void rope(Tensor x, int nH, int hd, int[] pos, Rope rope);

    /**
     * One attention step per row b: writes k[b], v[b] (B, nKv·hd) into the caches (B, maxT, nKv·hd)
     * at position pos[b], then out[b] (nH·hd) = softmax(q[b] · K[0..pos[b]]ᵀ / √hd) V[0..pos[b]];
     * query head j reads key/value head j / (nH / nKv) (grouped-query attention; nKv = nH is MHA).
     */
    void attentionStep(Tensor out, Tensor q, Tensor k, Tensor v, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd);

    /**
     * The attention of one decode step from the normed input x (B, h), as one op so that a backend can
     * fuse it: q, k, v = x Wqᵀ, x Wkᵀ, x Wvᵀ; RoPE on q (nH heads) and k (nKv heads) at pos; then
     * {@link #attentionStep} into out (B, nH·hd). q (B, nH·hd), k, v (B, nKv·hd) are this composition's
     * workspace: a fused implementation may leave them untouched. Wq (nH·hd, h), Wk, Wv (nKv·hd, h).
     */
    default void attention(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                           Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd, Rope rope) {
        linearQkv(q, k, v, x, wq, wk, wv);
        rope(q, nH, hd, pos, rope);
        rope(k, nKv, hd, pos, rope);
        attentionStep(out, q, k, v, kCache, vCache, pos, nH, nKv, hd);
    }

    /**
     * The attention of a prompt's positions p0 .. p0 + P − 1 of ONE sequence, the one in cache row
     * `row` of the caches, from its normed input x (P, h) (a prefill): row i at position p0 + i writes its
     * k, v into the cache and attends, causally, positions 0 .. p0 + i (those before p0 already in the
     * cache, the rows before it in this call). out (P, nH·hd); q, k, v (P, …) are the composition's
     * workspace, as in {@link #attention}. The composition: q, k, v for all rows, RoPE, then
     * {@link #attentionStep} one row after another.
     */
    default void prefillAttention(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                                  Tensor kCache, Tensor vCache, int row, int p0, int nH, int nKv, int hd, Rope rope) {
        prefillAttentionComposed(out, x, wq, wk, wv, q, k, v, kCache, vCache, row, p0, nH, nKv, hd, rope);
    }

    /** {@link #prefillAttention} as the composition of the primitives (what a fused version must agree with). */
    default void prefillAttentionComposed(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                                          Tensor kCache, Tensor vCache, int row, int p0, int nH, int nKv, int hd, Rope rope) {
        int P = x.size() / wq.dim(1), kv = nKv * hd;
        int[] pos = new int[P];
        for (int i = 0; i < P; i++) pos[i] = p0 + i;
        linearQkv(q, k, v, x, wq, wk, wv);
        rope(q, nH, hd, pos, rope);
        rope(k, nKv, hd, pos, rope);
        Tensor kc = kCache.rows(row, row + 1), vc = vCache.rows(row, row + 1);
        Tensor o2 = out.reshape(P, nH * hd), q2 = q.reshape(P, nH * hd), k2 = k.reshape(P, kv), v2 = v.reshape(P, kv);
        for (int i = 0; i < P; i++)
            attentionStep(o2.rows(i, i + 1), q2.rows(i, i + 1), k2.rows(i, i + 1), v2.rows(i, i + 1), kc, vc, new int[] {p0 + i}, nH, nKv, hd);
    }

    /** x = g(x) in place. */
    void act(Act g, Tensor x);

    /** y (B, d) = g(x Wgᵀ) ⊙ (x Wvᵀ): the gated linear unit (SwiGLU for g = SiLU) before its output projection. */
    void glu(Tensor y, Tensor x, Tensor wGate, Tensor wValue, Act g);

    /** FlashMGLU: y (B, d) = Σ_i g(s_i) ⊙ (t − s_i), t = x Wᵀ, s_i = x (M_i ⊙ W)ᵀ; masks I32 (d, nm, ⌈h/32⌉). */
    void flashMglu(Tensor y, Tensor x, Tensor w, Tensor masks, Act g);

    /** Top-K routed MGLU: r = x routerᵀ (B, nm); y = Σ_{i ∈ topK(r)} softmax_K(r)_i · g(s_i) ⊙ (t − s_i). */
    void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int k, Act g);

    // ---------------------------------------------------------------- fused decode ops and sampling
    // Optional: each default is the composition of the primitives above (what a fused version must agree
    // with), so a backend overrides only what it can fuse. They exist to cut a device's launches per step.

    /**
     * y (B, d) = x (B, h) · Wᵀ (y += that when acc), then n (B, d) = rmsnorm(y) with weight nw (d): a residual
     * projection and the norm of the sublayer after it as one op, so that a backend can fold the norm into
     * the projection's epilogue instead of running it as an op of its own.
     */
    default void linearRmsnorm(Tensor y, Tensor x, Tensor w, boolean acc, Tensor n, Tensor nw, float eps) {
        linear(y, x, w, acc);
        rmsnorm(n, y, nw, eps);
    }

    /** out (B, C) = table[ids[b]], then n (B, C) = rmsnorm(out) with weight nw (C): a step's first two ops as one. */
    default void embeddingRmsnorm(Tensor out, Tensor table, int[] ids, Tensor n, Tensor nw, float eps) {
        embedding(out, table, ids);
        rmsnorm(n, out, nw, eps);
    }

    /**
     * Greedy sampling on the backend: out[b] = argmax_j logits[b, j] for each row b of logits (B, V) F32
     * (ties to the lower j), or −1 when row b holds a NaN or +Inf (corrupt logits give no token). A device
     * backend reads back B ints instead of B·V floats. The default reads the logits back and scans them.
     */
    default void argmax(int[] out, Tensor logits) {
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        if (out.length < B) throw new IllegalArgumentException("argmax: " + B + " rows of logits, out has " + out.length);
        float[] a = new float[logits.size()];
        read(logits, a);
        for (int b = 0; b < B; b++) out[b] = argmaxRow(a, b * V, V);
    }

    /**
     * The lm head and greedy sampling as one op: logits (B, V) = x (B, h) · Wᵀ ({@link #linear}, not accumulating), then
     * out[b] = argmax of row b ({@link #argmax(int[], Tensor)}: ties to the lower index, −1 for a NaN or +Inf row). The
     * logits are left in logits as linear leaves them. A device backend can choose the tokens inside the GEMV's launch.
     */
    default void linearArgmax(int[] out, Tensor logits, Tensor x, Tensor w) {
        linear(logits, x, w, false);
        argmax(out, logits);
    }

    /**
     * Sampling on the backend: out[b] = the token {@link Sampling#draw} draws from row b of logits (B, V) F32 with
     * temperature t, top-k k (0 = all) and the uniform u[b] in [0, 1), or −1 when row b has no distribution (a NaN
     * or +Inf, or only −Inf); T = 0 or k = 1 is {@link #argmax}. A device backend reads back B ints instead of B·V floats; it computes in float, so a
     * u within float rounding of a boundary between two tokens may fall on either. The default reads the logits back.
     */
    default void sample(int[] out, Tensor logits, float t, int k, double[] u) {
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        if (out.length < B || u.length < B) throw new IllegalArgumentException("sample: " + B + " rows of logits, out has " + out.length + ", u " + u.length);
        Sampling.check(t, k);
        float[] a = new float[logits.size()];
        read(logits, a);
        for (int b = 0; b < B; b++) out[b] = Sampling.draw(a, b * V, V, t, k, u[b]);
    }

    // ---------------------------------------------------------------- token ids that stay on the backend
    // A pipelined decode (jmglu.model.infer.DecodeAhead) keeps the tokens a step chooses in a (B) I32 tensor of the
    // backend, feeds them to the next step's embedding there and reads them back while that step runs: the host
    // enqueues step n + 1 before step n's tokens are known, so a device never idles between steps. The defaults
    // serve host backends (ids a host tensor; nothing runs ahead of them); a device backend overrides all four.

    /** {@link #argmax(int[], Tensor)} into ids (B) I32 on this backend instead of an array. */
    default void argmax(Tensor ids, Tensor logits) {
        int[] out = new int[ids.size()];
        argmax(out, logits);
        writeIds(ids, out);
    }

    /** {@link #linearArgmax(int[], Tensor, Tensor, Tensor)} into ids (B) I32 on this backend instead of an array. */
    default void linearArgmax(Tensor ids, Tensor logits, Tensor x, Tensor w) {
        linear(logits, x, w, false);
        argmax(ids, logits);
    }

    /** {@link #sample(int[], Tensor, float, int, double[])} into ids (B) I32 on this backend. */
    default void sample(Tensor ids, Tensor logits, float t, int k, double[] u) {
        int[] out = new int[ids.size()];
        sample(out, logits, t, k, u);
        writeIds(ids, out);
    }

    /**
     * {@link #embeddingRmsnorm(Tensor, Tensor, int[], Tensor, Tensor, float)} of the ids in ids (B) I32 on this backend;
     * an id outside the vocabulary (the −1 of a corrupt row of logits) gives rows of NaN in out and n, not an error:
     * the host learns of it when it reads that id back.
     */
    default void embeddingRmsnorm(Tensor out, Tensor table, Tensor ids, Tensor n, Tensor nw, float eps) {
        int[] a = readIdsLater(ids).get();
        int V = table.dim(0), C = table.dim(1);
        boolean[] bad = new boolean[a.length];
        for (int b = 0; b < a.length; b++)
            if (a[b] < 0 || a[b] >= V) { bad[b] = true; a[b] = 0; }
        embeddingRmsnorm(out, table, a, n, nw, eps);
        for (int b = 0; b < a.length; b++)
            if (bad[b]) for (int c = 0; c < C; c++) { out.set(Float.NaN, b, c); n.set(Float.NaN, b, c); }
    }

    /** Starts reading ids (B) I32 back after the ops issued so far; get() waits for them. */
    default PendingIds readIdsLater(Tensor ids) {
        if (!ids.isHost()) throw new IllegalStateException(name() + ": token ids on a device, but this backend reads none back");
        int[] a = ids.toInts();
        return () -> a;
    }

    /** Token ids on their way back from a backend. */
    interface PendingIds {
        /** The ids, once every op issued before the read has run. */
        int[] get();
    }

    private void writeIds(Tensor ids, int[] v) {
        if (!ids.isHost() || ids.dtype() != DType.I32 || ids.size() != v.length)
            throw new IllegalArgumentException(name() + ": ids must be a host I32 tensor of " + v.length + " ids here, got " + ids);
        MemorySegment.copy(v, 0, ids.segment(), DType.LE_INT, 0, v.length);
    }

    /** The index of the largest of a[o, o + V) relative to o (ties to the lower index), −1 when one is NaN or +Inf. */
    static int argmaxRow(float[] a, int o, int V) {
        int best = 0;
        for (int j = 0; j < V; j++) {
            float v = a[o + j];
            if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) return -1;
            if (v > a[o + best]) best = j;
        }
        return best;
    }

    /**
     * Positions of one sequence that a model's prefill runs as the rows of one pass over the weights: more
     * rows read every weight fewer times and take activations of that many rows. 16 unless a backend's
     * batched kernels gain from more (OpenCL's tensor-core GEMMs: 512).
     */
    default int prefillRows() { return 16; }

    /** Waits until every op issued so far has finished (device backends queue ops; host backends run them in the call). */
    default void sync() {}

    /** Frees the backend's resources (device memory, queues). */
    @Override default void close() {}
}
