package jmglu.gpu;

import org.jocl.cl_mem;

/**
 * What a decode GEMV launch (gemv_b1.cl, gemv_tc.cl) can carry besides y = x Wᵀ and its input's norm
 * ({@link OpenClMglu.NormIn}): an input still owed as an embedding (EMBIN: the first layer's qkv GEMV gathers the token's
 * row itself), the norm of its output (gemv_tc.cl NORMOUT) and the argmax of its rows (ARGMAX: the lm head's greedy
 * choice, argmax_part.cl). Their kernel arguments follow the plain ones and the norm's, in that order ({@link #args}).
 * The two outputs a launch's last work-group finishes (ticket.cl) take the backend's one ticket: launches on its
 * in-order queue never overlap, and each leaves the ticket 0.
 */
public final class GemvExtras {
    private GemvExtras() {}

    /**
     * Where the argmax fused into a GEMV goes (argmax_part.cl): ids (B ints), parts (the blocks' candidates: at least
     * {@link #argmaxPartBytes} bytes), ticket (one int, zero before the launch; the launch leaves it zero).
     */
    public record ArgmaxOut(cl_mem ids, cl_mem parts, cl_mem ticket) {}

    /** The bytes of {@link ArgmaxOut#parts} a GEMV of d rows at batch B needs (2 ints per batch row and block, blocks of ≥ 1 row). */
    public static long argmaxPartBytes(int d, int B) { return 8L * d * B; }

    /**
     * An input x whose rows are owed as table[ids] (gemv_b1.cl EMBIN): the kernel gathers them from table (V, h), element
     * offset to, type wt (0 f32, 1 f16, 2 bf16), id b = ids[b] (id0 == Integer.MIN_VALUE) or id0, and writes x. A path
     * that cannot gather calls write first (the embedding's own launch), then reads x.
     */
    public record EmbIn(cl_mem table, int to, int wt, cl_mem ids, int id0, int V, Runnable write) {}

    /**
     * NORMOUT: the launch also writes n (B, d) = rmsnorm(y) with weight w[wo, wo + d) F32 and eps, of the y it leaves
     * (the last group to finish does it, see gemv_tc.cl): the norm launch after a residual GEMV is not needed.
     */
    public record NormOut(cl_mem n, cl_mem w, int wo, float eps, cl_mem ticket) {}

    /** The arguments of a launch of gemv_b1 / gemv_tc: the plain ones, then the norm's, the embedding's, out's, am's (each when not null). */
    static Object[] args(OpenClMglu.NormIn norm, EmbIn emb, NormOut out, ArgmaxOut am, Object... plain) {
        var a = new java.util.ArrayList<>(java.util.Arrays.asList(plain));
        if (norm != null) a.addAll(java.util.List.of(norm.w(), norm.wo(), norm.eps()));
        if (emb != null) a.addAll(java.util.List.of(emb.table(), emb.to(), emb.ids(), emb.id0(), emb.V()));
        if (out != null) a.addAll(java.util.List.of(out.n(), out.w(), out.wo(), out.eps(), out.ticket()));
        if (am != null) a.addAll(java.util.List.of(am.parts(), am.ticket(), am.ids()));
        return a.toArray();
    }

}
