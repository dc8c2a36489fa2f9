package jmglu.engine;

import java.util.Arrays;
import java.util.Set;

/**
 * A backend whose tensors live in host memory, running the decode ops through its array
 * {@link Kernels} (the reference or the SIMD kernels). Activations are heap F32 tensors; weights
 * may be on the heap, off-heap or in a mapped file: the kernels read them where they are, so
 * {@link #adopt} copies no matrix.
 */
public final class HostBackend implements Backend {
    private static final Set<String> OPS = Set.of("embedding", "rmsnorm", "linear", "rope", "attentionStep", "act", "glu",
            "flashMglu", "mgluTopK");
    private final Kernels k;
    private final String description;

    public HostBackend(Kernels kernels, String description) {
        this.k = kernels;
        this.description = description;
    }

    @Override public String name() { return k.name(); }
    @Override public String describe() { return description; }
    @Override public boolean canTrain() { return true; }
    @Override public Kernels kernels() { return k; }
    @Override public Set<String> ops() { return OPS; }

    /** Matrices and masks are read where they are (mapped, off-heap or heap); vectors (norm gains) are copied to the heap, where the row kernels want them. */
    @Override public Tensor adopt(Tensor t) {
        if (!t.isHost()) throw new IllegalArgumentException(name() + ": cannot adopt " + t + " (it lives on another device)");
        return t.rank() == 1 && !t.isHeap() ? t.to(DType.F32) : t;
    }

    @Override public Tensor zeros(int... shape) { return Tensor.zeros(shape); }

    @Override public void read(Tensor t, float[] dst) { System.arraycopy(f32(t), t.offset(), dst, 0, t.size()); }

    // ---------------------------------------------------------------- decode ops
    @Override public void embedding(Tensor out, Tensor table, int[] ids) {
        int C = table.dim(1), V = table.dim(0);
        float[] o = f32(out);
        for (int b = 0; b < ids.length; b++) {
            if (ids[b] < 0 || ids[b] >= V) throw new IllegalArgumentException("embedding: token " + ids[b] + " outside vocabulary of " + V);
            if (table.isHeap() && table.dtype() == DType.F32) System.arraycopy(table.data(), table.offset() + ids[b] * C, o, out.offset() + b * C, C);
            else System.arraycopy(table.row(ids[b]).toArray(), 0, o, out.offset() + b * C, C);
        }
    }

    @Override public void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) {
        int C = w.size(), rows = x.size() / C;
        k.rmsnorm(f32(out), out.offset(), new float[rows], 0, f32(x), x.offset(), f32(w), w.offset(), rows, C, eps);
    }

    @Override public void linear(Tensor y, Tensor x, Tensor w, boolean acc) {
        WeightMatrix m = w.asWeights();
        int B = x.size() / m.cols();
        float[] xs = dense(x), out = acc ? new float[B * m.rows()] : denseOut(y);
        k.gemv(out, xs, m, B);
        if (acc) k.add(f32(y), y.offset(), f32(y), y.offset(), out, 0, out.length);
        else copyBack(y, out);
    }

    @Override public void rope(Tensor x, int nH, int hd, int[] pos, Rope rope) {
        float[] a = f32(x);
        for (int b = 0; b < pos.length; b++) {
            int o = x.offset() + b * nH * hd;
            k.rope(a, o, a, o, 1, 1, nH, hd, pos[b], rope);
        }
    }

    @Override public void attentionStep(Tensor out, Tensor q, Tensor kn, Tensor vn, Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd) {
        int kv = nKv * hd, maxT = kCache.dim(1), group = nH / nKv;
        float[] kc = f32(kCache), vc = f32(vCache), o = f32(out), qa = f32(q);
        for (int b = 0; b < pos.length; b++) {
            if (pos[b] < 0 || pos[b] >= maxT) throw new IllegalArgumentException("attentionStep: position " + pos[b] + " outside the cache of " + maxT);
            int base = kCache.offset() + b * maxT * kv;
            System.arraycopy(f32(kn), kn.offset() + b * kv, kc, base + pos[b] * kv, kv);
            System.arraycopy(f32(vn), vn.offset() + b * kv, vc, vCache.offset() + b * maxT * kv + pos[b] * kv, kv);
            int len = pos[b] + 1;
            float[] scratch = new float[len];
            if (group == 1) {
                float[] res = new float[nH * hd];
                k.attentionStep(res, Arrays.copyOfRange(qa, q.offset() + b * nH * hd, q.offset() + (b + 1) * nH * hd),
                        Arrays.copyOfRange(kc, base, base + len * kv), Arrays.copyOfRange(vc, vCache.offset() + b * maxT * kv, vCache.offset() + b * maxT * kv + len * kv),
                        len, nH, hd, scratch);
                System.arraycopy(res, 0, o, out.offset() + b * nH * hd, nH * hd);
            } else {                                   // grouped-query: each KV head serves `group` query heads
                float[] kh = new float[len * hd], vh = new float[len * hd], qh = new float[hd], res = new float[hd];
                for (int j = 0; j < nH; j++) {
                    int g = j / group;
                    for (int u = 0; u < len; u++) {
                        System.arraycopy(kc, base + u * kv + g * hd, kh, u * hd, hd);
                        System.arraycopy(vc, vCache.offset() + b * maxT * kv + u * kv + g * hd, vh, u * hd, hd);
                    }
                    System.arraycopy(qa, q.offset() + b * nH * hd + j * hd, qh, 0, hd);
                    k.attentionStep(res, qh, kh, vh, len, 1, hd, scratch);
                    System.arraycopy(res, 0, o, out.offset() + b * nH * hd + j * hd, hd);
                }
            }
        }
    }

    @Override public void act(Act g, Tensor x) { k.act(g, f32(x), x.offset(), f32(x), x.offset(), x.size()); }

    @Override public void glu(Tensor y, Tensor x, Tensor wGate, Tensor wValue, Act g) {
        WeightMatrix wg = wGate.asWeights(), wv = wValue.asWeights();
        int B = x.size() / wg.cols(), n = B * wg.rows();
        float[] xs = dense(x), gate = new float[n], out = denseOut(y);
        k.gemv(gate, xs, wg, B);
        k.act(g, gate, 0, gate, 0, n);
        k.gemv(out, xs, wv, B);
        k.mul(out, 0, out, 0, gate, 0, n);
        copyBack(y, out);
    }

    @Override public void flashMglu(Tensor y, Tensor x, Tensor w, Tensor masks, Act g) {
        WeightMatrix m = w.asWeights();
        float[] out = denseOut(y);
        k.flashMglu(out, dense(x), m, masks.asMasks(m.cols()), x.size() / m.cols(), g);
        copyBack(y, out);
    }

    @Override public void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int topK, Act g) {
        WeightMatrix m = w.asWeights();
        MaskPlanes mp = masks.asMasks(m.cols());
        int h = m.cols(), d = m.rows(), nm = mp.nm(), B = x.size() / h;
        float[] xs = dense(x), r = new float[B * nm], t = new float[B * d], s = new float[nm * B * d];
        k.gemv(r, xs, router.asWeights(), B);
        k.mgluScores(t, s, xs, m, mp, B);
        float[] o = f32(y);
        for (int b = 0; b < B; b++) {
            float[] G = TopK.weights(Arrays.copyOfRange(r, b * nm, (b + 1) * nm), nm, topK);
            int yo = y.offset() + b * d;
            Arrays.fill(o, yo, yo + d, 0f);
            for (int i = 0; i < nm; i++) {
                if (G[i] == 0f) continue;
                for (int j = 0; j < d; j++) {
                    float si = s[(i * B + b) * d + j];
                    o[yo + j] += G[i] * g.apply(si) * (t[b * d + j] - si);
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers
    private static float[] f32(Tensor t) { return t.data(); }

    /** The tensor's floats from index 0 (the array itself when the tensor starts at 0). */
    private static float[] dense(Tensor t) { return t.offset() == 0 && t.data().length == t.size() ? t.data() : t.toArray(); }

    private static float[] denseOut(Tensor t) { return t.offset() == 0 && t.data().length == t.size() ? t.data() : new float[t.size()]; }

    private static void copyBack(Tensor t, float[] out) { if (out != t.data()) System.arraycopy(out, 0, t.data(), t.offset(), t.size()); }
}
