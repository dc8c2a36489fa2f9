package jmglu.simd;

import java.util.Set;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.Kernels;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;

/**
 * The "simd" backend: host tensors, the decode ops on the Vector API over the tensors' heap arrays
 * at their offsets. No activation is copied and no op allocates per call in the hot path (scratch
 * is per thread and reused):
 * <ul>
 *   <li>linear: one pass over W for all B rows of x; y += x Wᵀ is the GEMV's epilogue
 *       ({@link DecodeGemv#linear}); linearQkv: attention's three projections in one parallel region;</li>
 *   <li>glu: one pass over the rows of Wg and Wv together, g(gate) ⊙ value in the epilogue
 *       ({@link DecodeGemv#glu});</li>
 *   <li>flashMglu: straight into y ({@link SimdFlashMglu});</li>
 *   <li>rope, attentionStep: on the caches in place, vectorised over hd, grouped-query
 *       ({@link DecodeAttention});</li>
 *   <li>embedding, rmsnorm, act: row kernels on the caller's thread.</li>
 * </ul>
 * Each op that is split over threads is one parallel region ({@link Parallel}). What is not faster
 * here (Top-K routed MGLU) runs through a {@link HostBackend} over the same {@link SimdKernels},
 * which also serves training ({@link #kernels()}). Every op agrees with the HostBackend composition
 * over the reference kernels within the tolerances of SimdBackendTest.
 */
public final class SimdBackend implements Backend {
    private static final Set<String> OPS = Set.of("embedding", "rmsnorm", "linear", "rope", "attentionStep", "act", "glu",
            "flashMglu", "mgluTopK");
    private static final ThreadLocal<float[][]> RSTD = ThreadLocal.withInitial(() -> new float[1][0]);

    private final SimdKernels k;
    private final HostBackend host;
    private final DecodeGemv gemv;
    private final DecodeAttention attention;

    public SimdBackend(SimdKernels kernels) {
        this.k = kernels;
        this.host = new HostBackend(kernels, kernels.describe());
        this.gemv = new DecodeGemv(kernels.par);
        this.attention = new DecodeAttention(kernels.par);
    }

    @Override public String name() { return k.name(); }
    @Override public String describe() { return k.describe(); }
    @Override public boolean canTrain() { return true; }
    @Override public Kernels kernels() { return k; }
    @Override public Set<String> ops() { return OPS; }
    @Override public Tensor adopt(Tensor t) { return host.adopt(t); }
    @Override public Tensor zeros(int... shape) { return Tensor.zeros(shape); }
    @Override public void read(Tensor t, float[] dst) { host.read(t, dst); }

    // ---------------------------------------------------------------- decode ops
    @Override public void embedding(Tensor out, Tensor table, int[] ids) {
        int V = table.dim(0), C = table.dim(1);
        float[] o = act32(out, ids.length * C, "embedding out");
        WeightMatrix t = table.asWeights();
        for (int b = 0; b < ids.length; b++) {
            if (ids[b] < 0 || ids[b] >= V) throw new IllegalArgumentException("embedding: token " + ids[b] + " outside vocabulary of " + V);
            WeightRows.widen(o, out.offset() + b * C, t, ids[b]);
        }
    }

    @Override public void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) {
        int C = w.size(), rows = x.size() / C;
        float[][] box = RSTD.get();
        if (box[0].length < rows) box[0] = new float[rows];
        k.rmsnorm(act32(out, x.size(), "rmsnorm out"), out.offset(), box[0], 0, act32(x, rows * C, "rmsnorm x"), x.offset(),
                act32(w, C, "rmsnorm w"), w.offset(), rows, C, eps);
    }

    @Override public void linear(Tensor y, Tensor x, Tensor w, boolean acc) {
        WeightMatrix m = w.asWeights();
        int B = rows(x, m.cols(), "linear");
        gemv.linear(act32(y, B * m.rows(), "linear y"), y.offset(), act32(x, B * m.cols(), "linear x"), x.offset(), m, B, acc);
    }

    @Override public void linearQkv(Tensor q, Tensor k, Tensor v, Tensor x, Tensor wq, Tensor wk, Tensor wv) {
        WeightMatrix mq = wq.asWeights(), mk = wk.asWeights(), mv = wv.asWeights();
        int B = rows(x, mq.cols(), "linearQkv");
        if (mk.cols() != mq.cols() || mv.cols() != mq.cols())
            throw new IllegalArgumentException("linearQkv: Wq, Wk, Wv must have the same columns, got " + wq + ", " + wk + ", " + wv);
        gemv.linear3(act32(q, B * mq.rows(), "linearQkv q"), q.offset(), mq, act32(k, B * mk.rows(), "linearQkv k"), k.offset(), mk,
                act32(v, B * mv.rows(), "linearQkv v"), v.offset(), mv, act32(x, B * mq.cols(), "linearQkv x"), x.offset(), B);
    }

    @Override public void rope(Tensor x, int nH, int hd, int[] pos, Rope rope) {
        if (hd % 2 != 0) throw new IllegalArgumentException("rope: head size must be even, got " + hd);
        attention.rope(act32(x, pos.length * nH * hd, "rope x"), x.offset(), nH, hd, pos, rope);
    }

    @Override public void attentionStep(Tensor out, Tensor q, Tensor kn, Tensor vn, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd) {
        if (nKv < 1 || nH % nKv != 0) throw new IllegalArgumentException("attentionStep: " + nH + " query heads over " + nKv + " key/value heads");
        int B = pos.length, kv = nKv * hd, maxT = kCache.dim(1);
        if (kCache.rank() != 3 || kCache.dim(0) < B || kCache.dim(2) != kv || !kCache.sameShape(vCache))
            throw new IllegalArgumentException("attentionStep: caches " + kCache + ", " + vCache + " for B=" + B + ", kv=" + kv);
        attention.step(act32(out, B * nH * hd, "attention out"), out.offset(), act32(q, B * nH * hd, "attention q"), q.offset(),
                act32(kn, B * kv, "attention k"), kn.offset(), act32(vn, B * kv, "attention v"), vn.offset(),
                act32(kCache, B * maxT * kv, "k cache"), kCache.offset(), act32(vCache, B * maxT * kv, "v cache"), vCache.offset(),
                maxT, pos, nH, nKv, hd);
    }

    @Override public void act(Act g, Tensor x) { SimdElementwise.act(g, act32(x, x.size(), "act x"), x.offset(), x.data(), x.offset(), x.size()); }

    @Override public void glu(Tensor y, Tensor x, Tensor wGate, Tensor wValue, Act g) {
        WeightMatrix wg = wGate.asWeights(), wv = wValue.asWeights();
        int B = rows(x, wg.cols(), "glu");
        gemv.glu(act32(y, B * wg.rows(), "glu y"), y.offset(), act32(x, B * wg.cols(), "glu x"), x.offset(), wg, wv, B, g);
    }

    @Override public void flashMglu(Tensor y, Tensor x, Tensor w, Tensor masks, Act g) {
        WeightMatrix m = w.asWeights();
        int B = rows(x, m.cols(), "flashMglu");
        k.flash.flash(act32(y, B * m.rows(), "flashMglu y"), y.offset(), act32(x, B * m.cols(), "flashMglu x"), x.offset(),
                m, masks.asMasks(m.cols()), B, g);
    }

    @Override public void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int topK, Act g) {
        host.mgluTopK(y, x, w, masks, router, topK, g);
    }

    // ---------------------------------------------------------------- helpers
    /** B for an activation x of rows of width h. */
    private static int rows(Tensor x, int h, String op) {
        if (x.size() % h != 0) throw new IllegalArgumentException(op + ": x " + x + " is not made of rows of " + h);
        return x.size() / h;
    }

    /** t's heap float[] (checked: F32 on the heap, holding n elements from its offset). */
    private static float[] act32(Tensor t, int n, String what) {
        if (t.dtype() != DType.F32 || !t.isHeap() || t.size() < n)
            throw new IllegalArgumentException("simd: " + what + " must be an F32 heap tensor of at least " + n + " elements, got " + t);
        return t.data();
    }
}
