package jmglu.gpu;

import jmglu.engine.Tensor;

/**
 * The deferred norms of {@link OpenClBackend}: after linearRmsnorm / embeddingRmsnorm the backend owes
 * n = rmsnorm(src) with weight w (src the residual stream y those ops just wrote) instead of writing n.
 * A consumer that can normalise its own input (the row kernels and flash_tc.cl with NORMIN: each group
 * sums x² of the rows it reads anyway, so no group waits for another) asks {@link #input} for what to
 * read: when its x is exactly the owed n, it gets src and the norm's weight, and n stays owed (a later
 * reader still sees the norm). Every other access goes through {@link OpenClBackend#buf}, which calls
 * {@link #touched}: a tensor that overlaps n, src or w while no consumer holds the norm has n written
 * first ({@link #settle}, decode.cl rmsnorm), so ops, reads and writes see exactly the composition's state.
 * linearRmsnorm on the same (y, n) again drops the owed n unread ({@link #redefine}): on a decode step
 * n is then never written. A path inside a consumer that cannot normalise (the GEMMs of {@link ClGemm}) asks
 * {@link Input#plain} for n, written then. One norm is owed at a time; the ops are serial (the backend is synchronized).
 *
 * <p>After embeddingRmsnorm of one row the source itself can be owed too: x = table[ids] ({@link #oweEmbedding}). Only the
 * attention's stacked qkv GEMV on gemv_b1.cl takes it ({@link #input(Tensor, boolean, Tensor...)} with keep, then
 * {@link Input#embIn}): it gathers the row from the table and writes x in the same launch. Every other access to x or
 * to the ids (an input without keep, {@link #touched}, {@link #settle}) has the embedding written first (decode.cl embed).
 */
final class ClNorms {
    /**
     * Consumers take an owed norm of at most this many rows (-Djmglu.opencl.norminb; 0: never, the norm is written on
     * first use as the composition does). H200, lab/gpu/decode-run9 call 2: at B = 8 the bench decoded 5570–5588 tok/s
     * with them against 5734–5946 with a norm launch (main), so larger batches kept the launch. With the tensor-core GEMV
     * (gemv_tc.cl, lab/gpu/tcgemv-run call 1) B = 8 took 7,212 tok/s with them against 7,175 with the launch: within the noise.
     * With x as one fp16 part there (OpenClSettings.xParts), NORMIN costs the qkv GEMV nothing (B = 8: 14.1 µs against
     * 15.8 without a norm, lab/gpu/s8-run call 2), and the step's one norm launch left at B = 3..8 (after the embedding;
     * gemv_tc NORMOUT writes the others) goes: gated step 714 / 697 µs against 724 / 704 (s8-run calls 4, 5). Default 8.
     */
    int maxRows = Integer.getInteger("jmglu.opencl.norminb", 8);
    private final OpenClBackend be;
    private Owed owed;
    private ClDecodeOps.Embed emb;   // x = table[ids] owed too (x: the owed norm's source), or null
    private int claims;          // consumers (nested: attention's GEMVs) reading the owed norm's source now

    /** n (rows of C) = rmsnorm(src) with weight w (C) F32, eps. */
    private record Owed(Tensor n, Tensor src, Tensor w, float eps) {}

    ClNorms(OpenClBackend be) { this.be = be; }

    /**
     * What an op reads for its input x: x itself, or — when x is exactly the owed n and none of the op's outputs
     * overlaps n, its source or its weight — the source, with the norm as a {@link OpenClMglu.NormIn}. Close it
     * once the op is enqueued.
     */
    Input input(Tensor x, Tensor... outs) { return input(x, false, outs); }

    /** {@link #input(Tensor, Tensor...)}; keep: an owed embedding of x stays owed for {@link Input#embIn}, else it is written now. */
    Input input(Tensor x, boolean keep, Tensor... outs) {
        if (!keep && emb != null && overlaps(emb.out(), x)) writeEmbedding();
        Owed o = owed;
        if (o == null || !same(x, o.n) || o.n.size() / o.w.size() > maxRows) return new Input(x, x, null);
        for (Tensor t : outs) if (overlaps(t, o.n) || overlaps(t, o.src) || overlaps(t, o.w)) return new Input(x, x, null);
        claims++;
        return new Input(o.src, x, o);
    }

    /** The input of an op: x to read (the caller's tensor, or the owed norm's source), and that norm or null. */
    final class Input implements AutoCloseable {
        /** The tensor to read, the same shape as given. */
        final Tensor x;
        /** The op's input as the caller gave it. */
        final Tensor given;
        private final Owed norm;
        private boolean open = true;

        private Input(Tensor x, Tensor given, Owed norm) { this.x = x; this.given = given; this.norm = norm; }

        /**
         * The owed embedding of x's row for a kernel that gathers it and writes x (take: the debt is the kernel's from now),
         * or null, the embedding then written now if it is owed.
         */
        GemvExtras.EmbIn embIn(boolean take) {
            ClDecodeOps.Embed e = emb;
            if (e == null || !overlaps(e.out(), x)) return null;
            if (!take || norm == null || !same(e.out(), x)) {
                writeEmbedding();
                return null;
            }
            emb = null;
            return e.in(() -> be.decode().launch(e));
        }

        /** The norm the kernel applies to x as it loads it, or null when x is read as it is (an owed embedding of x written first). */
        OpenClMglu.NormIn normIn() {
            if (emb != null && overlaps(emb.out(), x)) writeEmbedding();
            if (norm == null) return null;
            ClBuffer wb = be.f32(norm.w, "rmsnorm", "w", norm.w.size());
            return new OpenClMglu.NormIn(wb.mem(), OpenClBackend.elems(norm.w), norm.eps);
        }

        /**
         * For a path that cannot normalise (the GEMMs of {@link ClGemm}): the owed norm written now, and the tensor as given
         * (x and {@link #normIn} stay valid: the source is unchanged, a kernel normalising it gets the same rows).
         */
        Tensor plain() {
            if (emb != null && overlaps(emb.out(), x)) writeEmbedding();
            if (norm != null && owed == norm) settle();
            return given;
        }

        @Override public void close() {
            if (open && norm != null) claims--;
            open = false;
        }
    }

    /** n (rows of C) = rmsnorm(src) with weight w is owed from now on (a norm owed before is written first). */
    void owe(Tensor n, Tensor src, Tensor w, float eps) {
        if (owed != null) settle();
        be.f32(w, "rmsnorm", "w", w.size());
        if (src.size() % w.size() != 0) throw new IllegalArgumentException("rmsnorm: " + src + " is not rows of " + w.size());
        be.f32(n, "rmsnorm", "n", src.size());
        if (overlaps(n, src) || overlaps(n, w)) be.decode().rmsnorm(n, src, w, eps);    // in place: no deferral
        else owed = new Owed(n, src, w, eps);
    }

    /**
     * The embedding e (out = table[ids], not launched) and n = rmsnorm(out) with weight w owed from now on. Only one row
     * (the consumer that gathers it runs at B = 1) whose n is apart from out; otherwise e is written now and n owed as by {@link #owe}.
     */
    void oweEmbedding(ClDecodeOps.Embed e, Tensor n, Tensor w, float eps) {
        writeEmbedding();
        if (e.B() != 1 || maxRows < 1 || overlaps(n, e.out())) {
            be.decode().launch(e);
            owe(n, e.out(), w, eps);
            return;
        }
        owe(n, e.out(), w, eps);
        emb = e;
    }

    /** An embedding is about to overwrite out from inputs: an owed embedding of exactly out that no input overlaps is dropped unwritten. */
    void dropEmbedding(Tensor out, Tensor... inputs) {
        ClDecodeOps.Embed e = emb;
        if (e == null || claims > 0 || !same(e.out(), out)) return;
        for (Tensor t : inputs) if (overlaps(t, e.out())) return;
        emb = null;
    }

    /** Writes an owed embedding (decode.cl embed / embed_ids). */
    private void writeEmbedding() {
        ClDecodeOps.Embed e = emb;
        if (e == null) return;
        emb = null;
        be.decode().launch(e);
    }

    /**
     * An op is about to write y and then owe n anew (linearRmsnorm, embeddingRmsnorm) from inputs: when n and y
     * are the owed norm's and no input overlaps them, the owed n would be overwritten unread, so it is dropped.
     */
    void redefine(Tensor n, Tensor y, Tensor... inputs) {
        Owed o = owed;
        if (o == null || claims > 0 || !same(n, o.n) || !same(y, o.src)) return;
        for (Tensor t : inputs) if (overlaps(t, o.n) || overlaps(t, o.src)) return;
        owed = null;
    }

    /** Called for every tensor an op or a transfer is about to use: writes the owed n first when t overlaps it, its source or weight. */
    void touched(Tensor t) {
        ClDecodeOps.Embed e = emb;
        if (e != null && claims == 0 && (overlaps(t, e.out()) || overlaps(t, e.idsT()))) writeEmbedding();
        Owed o = owed;
        if (o != null && claims == 0 && (overlaps(t, o.n) || overlaps(t, o.src) || overlaps(t, o.w))) settle();
    }

    /** Writes the owed n (one launch per row, decode.cl rmsnorm). */
    void settle() {
        writeEmbedding();
        Owed o = owed;
        if (o == null) return;
        owed = null;
        be.decode().rmsnorm(o.n, o.src, o.w, o.eps);
    }

    /** Whether a norm is owed now (tests). */
    boolean owes() { return owed != null; }

    /** Whether an embedding is owed now (tests). */
    boolean owesEmbedding() { return emb != null; }

    private static boolean same(Tensor a, Tensor b) {
        return !a.isHost() && !b.isHost() && a.deviceBuffer() == b.deviceBuffer() && a.deviceOffset() == b.deviceOffset() && a.size() == b.size()
                && a.dtype() == b.dtype();
    }

    /** Whether device tensors a and b share bytes of one buffer. */
    static boolean overlaps(Tensor a, Tensor b) {
        if (a == null || b == null || a.isHost() || b.isHost() || a.deviceBuffer() != b.deviceBuffer()) return false;
        long a0 = a.deviceOffset(), b0 = b.deviceOffset();
        return a0 < b0 + b.byteSize() && b0 < a0 + a.byteSize();
    }
}
