package jmglu.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Kernels;
import jmglu.engine.Tensor;

/**
 * A backend that passes every op to another and, while {@link #profiling} is on, times each op
 * (with a {@link Backend#sync()} after it, so a device's queued work is charged to the op that
 * issued it) into categories: attention (rope, attention step; the fused attention op with its q, k, v
 * projections), gemv (linear projections, with the norm after them when fused), ffn
 * (the fused FFN kernels and activations), norms (RMSNorm and the embedding row), transfer (reads
 * back to the host), sampling (argmax on the backend, with its read-back; with the lm head when fused into it, linearArgmax). Syncing after every op slows a device down, so the shares come from a pass of
 * their own, never from the timed one.
 */
public final class ProfilingBackend implements Backend {
    private final Backend b;
    private final Map<String, Long> nanos = new LinkedHashMap<>();
    public boolean profiling;

    public ProfilingBackend(Backend inner) {
        this.b = inner;
        for (String k : new String[] {"attention", "gemv", "ffn", "norms", "transfer", "sampling"}) nanos.put(k, 0L);
    }

    /** The backend that runs the ops. */
    public Backend inner() { return b; }

    /** Nanoseconds per category since the last {@link #reset()}. */
    public Map<String, Long> nanos() { return nanos; }

    public void reset() { nanos.replaceAll((k, v) -> 0L); }

    private void timed(String what, Runnable op) {
        if (!profiling) { op.run(); return; }
        long t0 = System.nanoTime();
        op.run();
        b.sync();
        nanos.merge(what, System.nanoTime() - t0, Long::sum);
    }

    @Override public String name() { return b.name(); }
    @Override public String describe() { return b.describe(); }
    @Override public boolean canTrain() { return b.canTrain(); }
    @Override public Kernels kernels() { return b.kernels(); }
    @Override public Tensor adopt(Tensor t) { return b.adopt(t); }
    @Override public Tensor zeros(int... shape) { return b.zeros(shape); }
    @Override public void read(Tensor t, float[] dst) { timed("transfer", () -> b.read(t, dst)); }
    @Override public void release(Tensor t) { b.release(t); }
    @Override public Set<String> ops() { return b.ops(); }
    @Override public void sync() { b.sync(); }
    @Override public int prefillRows() { return b.prefillRows(); }
    @Override public void close() { b.close(); }

    @Override public void embedding(Tensor out, Tensor table, int[] ids) { timed("norms", () -> b.embedding(out, table, ids)); }
    @Override public void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) { timed("norms", () -> b.rmsnorm(out, x, w, eps)); }
    @Override public void linear(Tensor y, Tensor x, Tensor w, boolean acc) { timed("gemv", () -> b.linear(y, x, w, acc)); }
    @Override public void linearQkv(Tensor q, Tensor k, Tensor v, Tensor x, Tensor wq, Tensor wk, Tensor wv) {
        timed("gemv", () -> b.linearQkv(q, k, v, x, wq, wk, wv));
    }
    @Override public void linearRmsnorm(Tensor y, Tensor x, Tensor w, boolean acc, Tensor n, Tensor nw, float eps) {
        timed("gemv", () -> b.linearRmsnorm(y, x, w, acc, n, nw, eps));
    }
    @Override public void embeddingRmsnorm(Tensor out, Tensor table, int[] ids, Tensor n, Tensor nw, float eps) {
        timed("norms", () -> b.embeddingRmsnorm(out, table, ids, n, nw, eps));
    }
    @Override public void embeddingRmsnorm(Tensor out, Tensor table, Tensor ids, Tensor n, Tensor nw, float eps) {
        timed("norms", () -> b.embeddingRmsnorm(out, table, ids, n, nw, eps));
    }
    @Override public void argmax(Tensor ids, Tensor logits) { timed("sampling", () -> b.argmax(ids, logits)); }
    @Override public void linearArgmax(Tensor ids, Tensor logits, Tensor x, Tensor w) { timed("sampling", () -> b.linearArgmax(ids, logits, x, w)); }
    @Override public void linearArgmax(int[] out, Tensor logits, Tensor x, Tensor w) { timed("sampling", () -> b.linearArgmax(out, logits, x, w)); }
    @Override public void sample(Tensor ids, Tensor logits, float t, int k, double[] u) { timed("sampling", () -> b.sample(ids, logits, t, k, u)); }
    @Override public PendingIds readIdsLater(Tensor ids) {
        if (!profiling) return b.readIdsLater(ids);
        PendingIds p = b.readIdsLater(ids);
        return () -> {
            long t0 = System.nanoTime();
            int[] a = p.get();
            nanos.merge("transfer", System.nanoTime() - t0, Long::sum);
            return a;
        };
    }
    @Override public void argmax(int[] out, Tensor logits) { timed("sampling", () -> b.argmax(out, logits)); }
    @Override public void sample(int[] out, Tensor logits, float t, int k, double[] u) { timed("sampling", () -> b.sample(out, logits, t, k, u)); }
    @Override public void rope(Tensor x, int nH, int hd, int[] pos, jmglu.engine.Rope rope) { timed("attention", () -> b.rope(x, nH, hd, pos, rope)); }
    @Override public void attentionStep(Tensor out, Tensor q, Tensor k, Tensor v, Tensor kc, Tensor vc, int[] pos, int nH, int nKv, int hd) {
        timed("attention", () -> b.attentionStep(out, q, k, v, kc, vc, pos, nH, nKv, hd));
    }
    @Override public void attention(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                                    Tensor kc, Tensor vc, int[] pos, int nH, int nKv, int hd, jmglu.engine.Rope rope) {
        timed("attention", () -> b.attention(out, x, wq, wk, wv, q, k, v, kc, vc, pos, nH, nKv, hd, rope));
    }
    @Override public void prefillAttention(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                                           Tensor kc, Tensor vc, int row, int p0, int nH, int nKv, int hd, jmglu.engine.Rope rope) {
        timed("attention", () -> b.prefillAttention(out, x, wq, wk, wv, q, k, v, kc, vc, row, p0, nH, nKv, hd, rope));
    }
    @Override public void act(Act g, Tensor x) { timed("ffn", () -> b.act(g, x)); }
    @Override public void glu(Tensor y, Tensor x, Tensor wg, Tensor wv, Act g) { timed("ffn", () -> b.glu(y, x, wg, wv, g)); }
    @Override public void flashMglu(Tensor y, Tensor x, Tensor w, Tensor masks, Act g) { timed("ffn", () -> b.flashMglu(y, x, w, masks, g)); }
    @Override public void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int k, Act g) {
        timed("ffn", () -> b.mgluTopK(y, x, w, masks, router, k, g));
    }
}
