package jmglu.simd;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.WeightMatrix;

/**
 * The decode GEMVs of {@link SimdBackend}, over activations at offsets in their heap arrays (no
 * copies, no padding) and stored weights where they are ({@link Storage}):
 * <pre>
 *   linear:  y[b, r] (=|+=) x_b · W_r                           x (B, h) at xo, y (B, d) at yo, W (d, h)
 *   glu:     y[b, r] = g(x_b · Wg_r) · (x_b · Wv_r)              Wg, Wv (d, h): one pass over both
 * </pre>
 * Each row of W is read from memory once for all B rows of x. BF16 rows (h a multiple of 2L, in a
 * heap short[] or a native segment) are widened in registers, four rows per sweep against 1, 2 or 4
 * rows of x ({@link DecodeTilesBf16}; B &gt; 4 takes further sweeps of the L1-resident rows): linear
 * sweeps rows i, i + d/4, i + d/2, i + 3d/4, glu rows i and i + d/2 of Wg and of Wv, so each sweep
 * reads four sequential streams (one core keeps more reads in flight that way; lab/simd/gen/
 * decode_tiles.py has the measurements). F32 rows in a heap float[] are swept in place; every other
 * row is widened into an L1 scratch first and swept by {@link DecodeDots}. The residual add of
 * linear is the epilogue of each dot product; glu's g runs vectorised over a chunk's rows once their
 * gate and value are in (masked at the end). The index i is handed out in chunks
 * ({@link Parallel#chunks}); a row's sums depend neither on its chunk nor on its stream group.
 */
final class DecodeGemv {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Per-thread scratch: a widened row, tile accumulators (16 slots of L), glu's gate and value for a chunk's rows. */
    private static final class Scratch {
        float[] row = new float[0], gate = new float[0], value = new float[0], res = new float[16 * L];
        float[] row(int n) { if (row.length < n) row = new float[n]; return row; }
        void blocks(int n) { if (gate.length < n) { gate = new float[n]; value = new float[n]; } }
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Where one call reads W: a heap short[] (BF16/F16) or float[] (F32) in place (else null), W as a
     * plain segment; bf16: BF16 rows widened in registers (h a multiple of 2L, heap short[] or native).
     */
    private record Src(WeightMatrix w, short[] w16, int w16o, float[] w32, int w32o, MemorySegment plain, boolean bf16) {
        static Src of(WeightMatrix w) {
            MemorySegment s = w.seg();
            short[] w16 = Storage.shorts(s);
            float[] w32 = Storage.floats(s);
            boolean bf16 = w.dtype() == DType.BF16 && w.cols() % (2 * L) == 0 && (w16 != null || s.isNative());
            return new Src(w, w16, w16 == null ? 0 : Storage.first(s, 2), w32, w32 == null ? 0 : Storage.first(s, 4), Storage.plain(s), bf16);
        }
        boolean heap() { return w16 != null; }
    }

    private final Parallel par;

    DecodeGemv(Parallel par) { this.par = par; }

    /** The shortest chunk of n indices: 16, or n / 64 for large n (the guided chunks shrink to it at the end). */
    private static int chunk(int n) { return Math.max(16, n / 64); }

    /** y (B, d) at yo = x (B, h) at xo · Wᵀ, or y += that when acc. */
    void linear(float[] y, int yo, float[] x, int xo, WeightMatrix w, int B, boolean acc) {
        int d = w.rows(), h = w.cols();
        Src src = Src.of(w);
        long work = Storage.shared(w.seg()) ? (long) d * h * B : 0;
        if (!src.bf16()) {
            par.chunks(d, work, chunk(d), (lo, hi) -> {
                Scratch sc = SCRATCH.get();
                for (int r = lo; r < hi; r++) rowDots(y, yo + r, d, acc, src, r, x, xo, h, B, sc);
            });
            return;
        }
        int q = d / 4, n = q + d - 4 * q;                      // i < q: rows i + k·q, k < 4; i ≥ q: row 3q + i alone (the last d − 4q)
        par.chunks(n, work, chunk(n), (lo, hi) -> linearRows(y, yo, x, xo, src, d, h, q, B, acc, lo, hi));
    }

    /**
     * y1 = x W1ᵀ, y2 = x W2ᵀ, y3 = x W3ᵀ (attention's q, k, v) as one parallel region: the three
     * index spaces of {@link #linear} one after another. Other than BF16 rows: three linears.
     */
    void linear3(float[] y1, int yo1, WeightMatrix w1, float[] y2, int yo2, WeightMatrix w2, float[] y3, int yo3, WeightMatrix w3,
                 float[] x, int xo, int B) {
        Src s1 = Src.of(w1), s2 = Src.of(w2), s3 = Src.of(w3);
        int h = w1.cols();
        if (!s1.bf16() || !s2.bf16() || !s3.bf16() || s1.heap() != s2.heap() || s1.heap() != s3.heap() || w2.cols() != h || w3.cols() != h) {
            linear(y1, yo1, x, xo, w1, B, false);
            linear(y2, yo2, x, xo, w2, B, false);
            linear(y3, yo3, x, xo, w3, B, false);
            return;
        }
        int d1 = w1.rows(), d2 = w2.rows(), d3 = w3.rows(), q1 = d1 / 4, q2 = d2 / 4, q3 = d3 / 4;
        int n1 = q1 + d1 - 4 * q1, n2 = n1 + q2 + d2 - 4 * q2, n = n2 + q3 + d3 - 4 * q3;
        boolean shared = Storage.shared(w1.seg()) && Storage.shared(w2.seg()) && Storage.shared(w3.seg());
        par.chunks(n, shared ? (long) (d1 + d2 + d3) * h * B : 0, chunk(n), (lo, hi) -> {
            if (lo < n1) linearRows(y1, yo1, x, xo, s1, d1, h, q1, B, false, lo, Math.min(hi, n1));
            if (lo < n2 && hi > n1) linearRows(y2, yo2, x, xo, s2, d2, h, q2, B, false, Math.max(lo, n1) - n1, Math.min(hi, n2) - n1);
            if (hi > n2) linearRows(y3, yo3, x, xo, s3, d3, h, q3, B, false, Math.max(lo, n2) - n2, hi - n2);
        });
    }

    /** linear for indices [lo, hi) of the BF16 path (see {@link #linear}); a method of its own, so C2 compiles it whole. */
    private static void linearRows(float[] y, int yo, float[] x, int xo, Src src, int d, int h, int q, int B, boolean acc, int lo, int hi) {
        float[] res = SCRATCH.get().res;
        for (int i = lo; i < hi; i++) {
            boolean alone = i >= q;
            int r0 = alone ? 3 * q + i : i, dq = alone ? 0 : q, rows = alone ? 1 : 4;
            for (int b0 = 0, bt; b0 < B; b0 += bt) {
                bt = tile(B - b0);
                sweep(res, bt, src, r0, r0 + dq, src, r0 + 2 * dq, r0 + 3 * dq, x, xo + b0 * h, h);
                for (int k = 0; k < rows; k++)
                    for (int b = 0; b < bt; b++) {
                        int o = yo + (b0 + b) * d + r0 + k * dq;
                        y[o] = acc ? y[o] + res[k * bt + b] : res[k * bt + b];
                    }
            }
        }
    }

    /** y (B, d) at yo = g(x Wgᵀ) ⊙ (x Wvᵀ), x (B, h) at xo; one pass over the rows of Wg and Wv. */
    void glu(float[] y, int yo, float[] x, int xo, WeightMatrix wg, WeightMatrix wv, int B, Act g) {
        int d = wg.rows(), h = wg.cols();
        if (wv.rows() != d || wv.cols() != h)
            throw new IllegalArgumentException("glu: Wg is (" + d + ", " + h + ") but Wv is (" + wv.rows() + ", " + wv.cols() + ")");
        Src sg = Src.of(wg), sv = Src.of(wv);
        boolean bf16 = sg.bf16() && sv.bf16() && sg.heap() == sv.heap();
        long work = Storage.shared(wg.seg()) && Storage.shared(wv.seg()) ? 2L * d * h * B : 0;
        int m = bf16 ? d / 2 : d, n = bf16 ? m + d % 2 : d;    // bf16: i < m: rows i and i + m; i = m: row d − 1 alone; else i: row i
        par.chunks(n, work, chunk(n), (lo, hi) -> gluRows(y, yo, x, xo, sg, sv, bf16, d, h, m, B, g, lo, hi));
    }

    /** glu for indices [lo, hi) (see {@link #glu}); a method of its own, so C2 compiles it whole. */
    private static void gluRows(float[] y, int yo, float[] x, int xo, Src sg, Src sv, boolean bf16, int d, int h, int m, int B, Act g, int lo, int hi) {
        Scratch sc = SCRATCH.get();
        int len = Math.min(hi, m) - lo, stride = 2 * len + 1;     // gate, value (B, stride): rows lo.. at 0, rows lo + m.. at len, d − 1 at 2·len
        int all = (B * stride + L - 1) / L * L;                   // whole vectors: g runs without a scalar tail
        sc.blocks(all);
        float[] gb = sc.gate, vb = sc.value, res = sc.res;
        for (int i = lo; i < lo + len; i++) {
            int j = i - lo;
            if (!bf16) {
                rowDots(gb, j, stride, false, sg, i, x, xo, h, B, sc);
                rowDots(vb, j, stride, false, sv, i, x, xo, h, B, sc);
                continue;
            }
            for (int b0 = 0, bt; b0 < B; b0 += bt) {
                bt = tile(B - b0);
                sweep(res, bt, sg, i, i + m, sv, i, i + m, x, xo + b0 * h, h);
                for (int b = 0; b < bt; b++) {
                    int o = (b0 + b) * stride + j;
                    gb[o] = res[b]; gb[o + len] = res[bt + b]; vb[o] = res[2 * bt + b]; vb[o + len] = res[3 * bt + b];
                }
            }
        }
        if (bf16 && hi > m)                                        // the odd last row, alone
            for (int b0 = 0, bt; b0 < B; b0 += bt) {
                bt = tile(B - b0);
                sweep(res, bt, sg, d - 1, d - 1, sv, d - 1, d - 1, x, xo + b0 * h, h);
                for (int b = 0; b < bt; b++) { gb[(b0 + b) * stride + 2 * len] = res[b]; vb[(b0 + b) * stride + 2 * len] = res[2 * bt + b]; }
            }
        SimdElementwise.act(g, gb, 0, gb, 0, all);                 // g(gate) in a pass of its own: the exp polynomial stays in a small method
        mul(y, yo, d, gb, vb, stride, B, lo, len, 0);
        if (!bf16) return;
        mul(y, yo, d, gb, vb, stride, B, lo + m, len, len);
        if (hi > m) mul(y, yo, d, gb, vb, stride, B, d - 1, 1, 2 * len);
    }

    /** Rows of x per sweep: 4, 2 or 1. */
    private static int tile(int left) { return left >= 4 ? 4 : left >= 2 ? 2 : 1; }

    /** res[k·bt + b] = x_b · W_k for the four BF16 rows (a0, a1 of a; b0, b1 of b) and bt rows of x from xo. */
    private static void sweep(float[] res, int bt, Src a, int a0, int a1, Src b, int b0, int b1, float[] x, int xo, int h) {
        if (a.heap()) DecodeTilesBf16.run(bt, res, a.w16(), a.w16o() + a0 * h, a.w16o() + a1 * h, b.w16(), b.w16o() + b0 * h, b.w16o() + b1 * h, x, xo, h);
        else DecodeTilesBf16.run(bt, res, a.plain(), 2L * a0 * h, 2L * a1 * h, b.plain(), 2L * b0 * h, 2L * b1 * h, x, xo, h);
        Lanes.fold(res, 0, 4 * bt);
    }

    /** y[yo + b·d + r0 + c] = gb[b·stride + s0 + c] · vb[b·stride + s0 + c] for c &lt; len, b &lt; B; the last vector masked. */
    private static void mul(float[] y, int yo, int d, float[] gb, float[] vb, int stride, int B, int r0, int len, int s0) {
        for (int b = 0; b < B; b++)
            for (int c = 0; c < len; c += L) {
                VectorMask<Float> in = S.indexInRange(c, len);
                int o = b * stride + s0 + c;
                FloatVector.fromArray(S, gb, o, in).mul(FloatVector.fromArray(S, vb, o, in)).intoArray(y, yo + b * d + r0 + c, in);
            }
    }

    /** out[j + b·stride] (=|+=) x_b · W_r for b < B, W's row in place (heap F32) or widened. */
    private static void rowDots(float[] out, int j, int stride, boolean acc, Src src, int r, float[] x, int xo, int h, int B, Scratch sc) {
        if (src.w32() != null) { DecodeDots.dots(out, j, stride, acc, src.w32(), src.w32o() + r * h, x, xo, h, B, sc.res); return; }
        float[] wr = sc.row(h);
        WeightRows.widen(wr, 0, src.w(), r);
        DecodeDots.dots(out, j, stride, acc, wr, 0, x, xo, h, B, sc.res);
    }
}
