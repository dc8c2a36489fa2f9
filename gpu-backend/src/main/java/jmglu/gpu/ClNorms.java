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
 */
final class ClNorms {
    /**
     * Consumers take an owed norm of at most this many rows (-Djmglu.opencl.norminb; 0: never, the norm is written on
     * first use as the composition does). H200, lab/gpu/decode-run9 call 2: at B = 8 the bench decoded 5570–5588 tok/s
     * with them against 5734–5946 with a norm launch (main), so larger batches keep the launch. With the tensor-core GEMV
     * (gemv_tc.cl, lab/gpu/tcgemv-run call 1) B = 8 took 7,212 tok/s with them against 7,175 with the launch: within the noise.
     */
    int maxRows = Integer.getInteger("jmglu.opencl.norminb", 1);
    private final OpenClBackend be;
    private Owed owed;
    private int claims;          // consumers (nested: attention's GEMVs) reading the owed norm's source now

    /** n (rows of C) = rmsnorm(src) with weight w (C) F32, eps. */
    private record Owed(Tensor n, Tensor src, Tensor w, float eps) {}

    ClNorms(OpenClBackend be) { this.be = be; }

    /**
     * What an op reads for its input x: x itself, or — when x is exactly the owed n and none of the op's outputs
     * overlaps n, its source or its weight — the source, with the norm as a {@link OpenClMglu.NormIn}. Close it
     * once the op is enqueued.
     */
    Input input(Tensor x, Tensor... outs) {
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

        /** The norm the kernel applies to x as it loads it, or null when x is read as it is. */
        OpenClMglu.NormIn normIn() {
            if (norm == null) return null;
            ClBuffer wb = be.f32(norm.w, "rmsnorm", "w", norm.w.size());
            return new OpenClMglu.NormIn(wb.mem(), OpenClBackend.elems(norm.w), norm.eps);
        }

        /**
         * For a path that cannot normalise (the GEMMs of {@link ClGemm}): the owed norm written now, and the tensor as given
         * (x and {@link #normIn} stay valid: the source is unchanged, a kernel normalising it gets the same rows).
         */
        Tensor plain() {
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
        Owed o = owed;
        if (o != null && claims == 0 && (overlaps(t, o.n) || overlaps(t, o.src) || overlaps(t, o.w))) settle();
    }

    /** Writes the owed n (one launch per row, decode.cl rmsnorm). */
    void settle() {
        Owed o = owed;
        if (o == null) return;
        owed = null;
        be.decode().rmsnorm(o.n, o.src, o.w, o.eps);
    }

    /** Whether a norm is owed now (tests). */
    boolean owes() { return owed != null; }

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
