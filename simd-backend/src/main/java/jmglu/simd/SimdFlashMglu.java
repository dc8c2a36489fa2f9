package jmglu.simd;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

/**
 * FlashMGLU on the CPU: y (B, d) = Σ_i g(s_i) ⊙ (t − s_i), t = x Wᵀ, s_i = x (M_i ⊙ W)ᵀ.
 *
 * <p>Per output row r, W's row is read from memory ONCE, where it is, as {@link Storage} says: a
 * BF16 row from a heap short[] by the array tiles, or from a native (off-heap, mapped) segment by
 * the segment tiles ({@link FlashTilesBf16Seg}, {@link FlashTilesBf16BatchSeg}), which also read the
 * row's mask words in place; the array tiles read them from the masks' int[] (or a per-row copy when
 * the masks are elsewhere). The row paths:
 * <ul>
 *   <li>B = 1, BF16 W, nm ∈ {1,2,4,8}, h a multiple of 32: one sweep of a BF16-in-registers tile
 *       ({@link FlashTilesBf16} or its Seg twin: the even/odd "e" tile, x pre-split by {@link #prepX}, or the
 *       widening "h" tile, as {@link SimdSettings#eTileNms} says);</li>
 *   <li>B &gt; 1, BF16 W, h a multiple of 32, when {@link SimdSettings#evenOddBatch}: {@link #rowE}
 *       sweeps the raw row with the batch e tiles (Bt ≤ 4 rows of x × K ≤ 2 planes, masks shared by
 *       the rows);</li>
 *   <li>otherwise F32 rows (h a multiple of 32) are swept in place, and other rows are widened into
 *       an L1 scratch first; {@link FlashTiles} then sweeps with Bt ≤ 4 rows of x and K ≤ 8
 *       bit-planes at a time, all accumulators in registers (B and nm larger than one tile take
 *       further sweeps of the L1-resident row, not of memory).</li>
 * </ul>
 * Rows are processed in blocks of {@link #BLK}; the block's t and s_i land in small scratches and
 * the epilogue g(s_i)(t − s_i) runs vectorised over the block. Rows are split over threads
 * ({@link Parallel}: the scores in fixed pieces, FlashMGLU in chunks taken as threads become free);
 * each row's arithmetic is the same in any piece, so y does not depend on the split. Which path is faster where: lab/simd/results/README.md.
 * <pre>
 *   x (B, h) f32   W (d, h) F32|BF16|F16   masks word[(r·nm + i)·wpr + w], wpr = ⌈h/32⌉
 *   t (B, d)       s (nm, B, d)            y (B, d)
 * </pre>
 */
final class SimdFlashMglu {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int BLK = 64; // rows per epilogue block

    /** Per-thread scratch: the widened row, a staged BF16 row, staged mask words, tile results, and the block's t and s. */
    private static final class Scratch {
        float[] row = new float[0], res = new float[24 * L], st = new float[16 * 9 * L], tb = new float[0], sb = new float[0], gb = new float[0]; // res: up to 24 tile accumulators of L lanes
        short[] half = new short[0];
        float[] xp = new float[0]; // x laid out for the row path (the calling thread's)
        int[] words = new int[0], xs = new int[8];
        float[] row(int n) { if (row.length < n) row = new float[n]; return row; }
        short[] half(int n) { if (half.length < n) half = new short[n]; return half; }
        int[] words(int n) { if (words.length < n) words = new int[n]; return words; }
    }

    /**
     * Where one call reads W and the masks from ({@link Storage}): heap arrays (or null), whether W is
     * native, and W's and the masks' segments as plain native segments ({@link Storage#plain}).
     */
    private record Src(short[] w16, int w16o, float[] w32, int w32o, boolean wNative, int[] bits, int bitso, MemorySegment ws, MemorySegment ms) {
        static Src of(WeightMatrix w, MaskPlanes m) {
            MemorySegment ws = w.seg(), ms = m.seg();
            short[] w16 = Storage.shorts(ws);
            float[] w32 = Storage.floats(ws);
            int[] bits = Storage.ints(ms);
            return new Src(w16, w16 == null ? 0 : Storage.first(ws, 2), w32, w32 == null ? 0 : Storage.first(ws, 4), ws.isNative(),
                    bits, bits == null ? 0 : Storage.first(ms, 4), Storage.plain(ws), Storage.plain(ms));
        }
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final SimdSettings settings;
    private final Parallel par;

    SimdFlashMglu(SimdSettings settings, Parallel par) {
        this.settings = settings;
        this.par = par;
    }

    static void check(String op, float[] x, WeightMatrix w, MaskPlanes m, int B) {
        if (w.rows() != m.rows() || w.cols() != m.cols())
            throw new IllegalArgumentException(op + ": W is (" + w.rows() + ", " + w.cols() + ") but masks are (" + m.rows() + ", " + m.cols() + ")");
        if (B < 1 || x.length < B * w.cols())
            throw new IllegalArgumentException(op + ": x has " + x.length + " floats, need B·h = " + B + "·" + w.cols());
    }

    /** x (B, h) copied with every row zero-padded to hp = padded(h). */
    static float[] padX(float[] x, int B, int h, int hp) {
        if (hp == h) return x;
        float[] xp = new float[B * hp];
        for (int b = 0; b < B; b++) System.arraycopy(x, b * h, xp, b * hp, h);
        return xp;
    }

    /** The split's cost estimate (element operations); 0 (the calling thread only) when W or the masks live in a confined arena. */
    static long work(WeightMatrix w, MaskPlanes m, int B) {
        return Storage.shared(w.seg()) && Storage.shared(m.seg()) ? (long) w.rows() * w.cols() * B * (1 + m.nm()) : 0;
    }

    /** h rounded up to a multiple of 32 (one mask word; a whole number of vectors for L ≤ 32). */
    static int padded(int h) { return (h + 31) & ~31; }

    /** Whether B = 1 rows go through a BF16-fused one-sweep tile. */
    static boolean fused(int B, WeightMatrix w, MaskPlanes m) {
        int nm = m.nm();
        return B == 1 && nm <= 8 && Integer.bitCount(nm) == 1 && w.dtype() == DType.BF16 && padded(w.cols()) == w.cols();
    }

    /** Whether B > 1 rows go through the BF16 even/odd batch tiles over the raw row ({@link #rowE}). */
    boolean fusedB(int B, WeightMatrix w) {
        return B > 1 && settings.evenOddB() && w.dtype() == DType.BF16 && padded(w.cols()) == w.cols();
    }

    /** x in the layout the row path wants: padded rows, even/odd split per 32-block for the e tiles. */
    float[] prepX(float[] x, int B, WeightMatrix w, MaskPlanes m) {
        int h = w.cols(), hp = padded(h);
        float[] xp = padX(x, B, h, hp);
        boolean eo = (fused(B, w, m) && settings.eTile(m.nm())) || fusedB(B, w);
        return eo ? FlashTilesBf16.evenOdd(xp, B * hp) : xp;
    }

    /** t (B, d), s (nm, B, d): the scores pass alone (the training forward). */
    void scores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) {
        check("mgluScores", x, w, m, B);
        int d = w.rows(), h = w.cols(), hp = padded(h), nm = m.nm();
        if (t.length < B * d || s.length < nm * B * d)
            throw new IllegalArgumentException("mgluScores: t needs B·d = " + B * d + ", s needs nm·B·d = " + nm * B * d);
        float[] xp = prepX(x, B, w, m);
        Src src = Src.of(w, m);
        par.rows(d, work(w, m, B), 16, (lo, hi) -> {
            Scratch sc = SCRATCH.get();
            for (int r = lo; r < hi; r++) row(t, r, d, s, r, d, xp, 0, B, hp, w, m, src, r, sc);
        });
    }

    /** y (B, d) = Σ_i g(s_i)(t − s_i), one pass over W. */
    void flash(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) {
        if (y.length < B * w.rows()) throw new IllegalArgumentException("flashMglu: y has " + y.length + " floats, need B·d = " + B * w.rows());
        flash(y, 0, x, 0, w, m, B, g);
    }

    /**
     * y (B, d) at yo = Σ_i g(s_i)(t − s_i) for x (B, h) at xo, one pass over W. x is read in place
     * when the row path takes it as it is (h a multiple of 32, no even/odd split); otherwise it is laid
     * out once into this thread's scratch (padded rows, even/odd per 32-block): no allocation per call.
     */
    void flash(float[] y, int yo, float[] x, int xo, WeightMatrix w, MaskPlanes m, int B, Act g) {
        check("flashMglu", x, w, m, B);
        int d = w.rows(), h = w.cols(), hp = padded(h), nm = m.nm();
        if (xo < 0 || xo + B * h > x.length || yo < 0 || yo + B * d > y.length)
            throw new IllegalArgumentException("flashMglu: x (" + B + ", " + h + ") at " + xo + " or y (" + B + ", " + d + ") at " + yo + " outside its array");
        boolean eo = (fused(B, w, m) && settings.eTile(nm)) || fusedB(B, w);
        float[] xp = x;
        int x0 = xo;
        if (eo || hp != h) {
            Scratch own = SCRATCH.get();
            if (own.xp.length < B * hp) own.xp = new float[B * hp];
            xp = own.xp;
            x0 = 0;
            layoutX(xp, x, xo, B, h, hp, eo);
        }
        float[] xin = xp;
        int xin0 = x0;
        Src src = Src.of(w, m);
        boolean b1 = L == 16 && fused(B, w, m) && src.w16() == null && src.wNative(); // B = 1, BF16 W in a native segment
        par.chunks(d, work(w, m, B), 16, (lo, hi) -> {
            Scratch sc = SCRATCH.get();
            if (sc.tb.length < B * BLK) sc.tb = new float[B * BLK];
            if (sc.sb.length < nm * B * BLK) { sc.sb = new float[nm * B * BLK]; sc.gb = new float[nm * B * BLK]; }
            for (int r0 = lo; r0 < hi; r0 += BLK) {
                int n = Math.min(BLK, hi - r0);
                if (b1) rowsB1(sc, r0, n, xin, xin0, hp, src, h, nm, m.wordsPerRow(), settings.eTile(nm));
                else for (int j = 0; j < n; j++) row(sc.tb, j, BLK, sc.sb, j, BLK, xin, xin0, B, hp, w, m, src, r0 + j, sc);
                SimdElementwise.act(g, sc.gb, 0, sc.sb, 0, nm * B * BLK); // g(s_i) for the block (a multiple of L: no scalar tail)
                epilogue(y, yo, r0, d, sc.tb, sc.sb, sc.gb, n, B, nm);
            }
        });
    }

    /** dst (B, hp) = x (B, h) at xo, rows zero-padded to hp; eo: each 32-block as [x0, x2, .., x30, x1, x3, .., x31] (FlashTilesBf16#evenOdd). */
    static void layoutX(float[] dst, float[] x, int xo, int B, int h, int hp, boolean eo) {
        for (int b = 0; b < B; b++) {
            int s = xo + b * h, o = b * hp;
            if (!eo) {
                System.arraycopy(x, s, dst, o, h);
                java.util.Arrays.fill(dst, o + h, o + hp, 0f);
                continue;
            }
            for (int c = 0; c < hp; c += 32)
                for (int j = 0; j < 16; j++) {
                    int e = c + 2 * j;
                    dst[o + c + j] = e < h ? x[s + e] : 0f;
                    dst[o + c + 16 + j] = e + 1 < h ? x[s + e + 1] : 0f;
                }
        }
    }

    /**
     * One row r of W: t_b → tOut[tOff + b·tStride], s_{i,b} → sOut[sOff + (i·B + b)·sStride].
     * Row r of W starts at byte r·h·bytes of W's segment, its masks at word r·nm·wpr.
     */
    void row(float[] tOut, int tOff, int tStride, float[] sOut, int sOff, int sStride,
             float[] xp, int x0, int B, int hp, WeightMatrix w, MaskPlanes m, Src src, int r, Scratch sc) {
        int h = w.cols(), nm = m.nm(), wpr = m.wordsPerRow(), words = nm * wpr;
        boolean one = fused(B, w, m);
        if ((one || fusedB(B, w)) && src.w16() == null && src.wNative()) {
            // BF16 W in a native segment: the segment tiles read W and the mask words in place
            if (one) {
                FlashTilesBf16Seg.runBf16(settings.eTile(nm), nm, sc.res, src.ws(), 2L * r * h, xp, x0, src.ms(), (long) r * words, wpr, hp);
                tOut[tOff] = sc.res[0];
                for (int i = 0; i < nm; i++) sOut[sOff + i * sStride] = sc.res[1 + i];
            } else rowE(tOut, tOff, tStride, sOut, sOff, sStride, xp, x0, B, hp, null, 0, null, 0, src.ws(), 2L * r * h, src.ms(), (long) r * words, nm, wpr, sc);
            return;
        }
        // the array paths: mask words from the masks' int[], or this row's words copied out of their segment
        int[] bits;
        int mo;
        if (src.bits() != null) { bits = src.bits(); mo = src.bitso() + r * words; }
        else { bits = sc.words(words); mo = 0; MemorySegment.copy(m.seg(), DType.LE_INT, 4L * r * words, bits, 0, words); }
        if (one || fusedB(B, w)) {
            // BF16 in registers, no scratch round trip: from the heap short[], or from a copy of the row
            short[] wa = src.w16();
            int wo = src.w16o() + r * h;
            if (wa == null) { wa = sc.half(h); wo = 0; MemorySegment.copy(w.seg(), DType.LE_SHORT, 2L * r * h, wa, 0, h); }
            if (one) {
                FlashTilesBf16.runBf16(settings.eTile(nm), nm, sc.res, wa, wo, xp, x0, bits, mo, wpr, hp);
                tOut[tOff] = sc.res[0];
                for (int i = 0; i < nm; i++) sOut[sOff + i * sStride] = sc.res[1 + i];
            } else rowE(tOut, tOff, tStride, sOut, sOff, sStride, xp, x0, B, hp, wa, wo, bits, mo, null, 0, null, 0, nm, wpr, sc);
            return;
        }
        float[] wr;
        int wo;
        if (src.w32() != null && hp == h) { wr = src.w32(); wo = src.w32o() + r * h; }
        else { wr = sc.row(hp); wo = 0; WeightRows.widen(wr, 0, w, r); java.util.Arrays.fill(wr, h, hp, 0f); }
        float[] res = sc.res;
        int[] xs = sc.xs;
        for (int b0 = 0; b0 < B; ) {
            int bt = B - b0 >= 4 ? 4 : B - b0 >= 2 ? 2 : 1; // 4 rows is the widest tile that does not spill
            for (int b = 0; b < bt; b++) xs[b] = x0 + (b0 + b) * hp;
            for (int i0 = 0; i0 < nm; ) {
                int left = Math.min(nm - i0, FlashTiles.maxK(bt));
                int k = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
                FlashTiles.run(bt, k, res, wr, wo, xp, xs, bits, mo + i0 * wpr, wpr, hp);
                for (int b = 0; b < bt; b++) {
                    if (i0 == 0) tOut[tOff + (b0 + b) * tStride] = res[b * (1 + k)];
                    for (int i = 0; i < k; i++) sOut[sOff + ((i0 + i) * B + b0 + b) * sStride] = res[b * (1 + k) + 1 + i];
                }
                i0 += k;
            }
            b0 += bt;
        }
    }

    /**
     * {@link #row} for B = 1 over n ≤ BLK rows r0.. of a BF16 W in a native segment: t_j → sc.tb[j],
     * s_{i,j} → sc.sb[i·BLK + j]. The tiles leave their 1 + nm accumulator vectors for 16 rows in sc.st,
     * and {@link Lanes#sum16} sums their lanes 16 rows at a time with vector ops, in the order of the
     * row-by-row {@link Lanes#fold} (same bits as {@link #row}, whatever the thread split; the lane sums
     * cost ~20% of a row at h = 1024 done one row at a time: lab/simd/rowsum-b1.txt).
     */
    static void rowsB1(Scratch sc, int r0, int n, float[] xp, int x0, int hp, Src src, int h, int nm, int wpr, boolean eo) {
        int words = nm * wpr, sl = 1 + nm;
        float[] st = sc.st, tb = sc.tb, sb = sc.sb;
        boolean u = FlashTilesBf16Seg.leavesU(eo, nm);
        for (int g = 0; g < n; g += 16) {
            int m = Math.min(16, n - g);
            for (int j = 0; j < m; j++) {
                int r = r0 + g + j;
                FlashTilesBf16Seg.tileBf16(eo, nm, st, j * sl * L, src.ws(), 2L * r * h, xp, x0, src.ms(), (long) r * words, wpr, hp);
            }
            Lanes.sum16(st, sl, 0, tb, g, m);
            for (int i = 0; i < nm; i++) Lanes.sum16(st, sl, 1 + i, sb, i * BLK + g, m);
            if (u) { // s_i = (t + u_i) / 2, lane by lane as in runBf16 (the rows past m are garbage, never read)
                FloatVector t = FloatVector.fromArray(S, tb, g);
                for (int i = 0; i < nm; i++) t.add(FloatVector.fromArray(S, sb, i * BLK + g)).mul(0.5f).intoArray(sb, i * BLK + g);
            }
        }
    }

    /**
     * {@link #row} for B > 1 over the raw BF16 row: wa[wo..] with mask words bits[mo..], or (wa null)
     * the native segment ws at byte wso with mask words at word mso of segment ms. Tiles of bt ≤ 4 rows
     * of x × k ≤ 2 planes (k ≤ 8 for a single row); t is accumulated with the first plane group only.
     * The row (and its mask words) stays in L1 across the tiles: memory is read once per row whatever
     * B and nm.
     */
    static void rowE(float[] tOut, int tOff, int tStride, float[] sOut, int sOff, int sStride, float[] xp, int x0, int B, int hp,
                     short[] wa, int wo, int[] bits, int mo, MemorySegment ws, long wso, MemorySegment ms, long mso, int nm, int wpr, Scratch sc) {
        float[] res = sc.res;
        for (int b0 = 0; b0 < B; ) {
            int left = B - b0, bt = left >= 4 ? 4 : left >= 2 ? 2 : 1;
            for (int i0 = 0; i0 < nm; ) {
                int kl = Math.min(nm - i0, FlashTilesBf16Batch.maxKe(bt));
                int k = kl >= 8 ? 8 : kl >= 4 ? 4 : kl >= 2 ? 2 : 1;
                if (wa != null) FlashTilesBf16Batch.runE(bt, k, i0 == 0, res, wa, wo, xp, x0 + b0 * hp, bits, mo + i0 * wpr, wpr, hp);
                else FlashTilesBf16BatchSeg.runE(bt, k, i0 == 0, res, ws, wso, xp, x0 + b0 * hp, ms, mso + (long) i0 * wpr, wpr, hp);
                for (int b = 0; b < bt; b++) {
                    if (i0 == 0) tOut[tOff + (b0 + b) * tStride] = res[b * (1 + k)];
                    for (int i = 0; i < k; i++) sOut[sOff + ((i0 + i) * B + b0 + b) * sStride] = res[b * (1 + k) + 1 + i];
                }
                i0 += k;
            }
            b0 += bt;
        }
    }

    /**
     * y[yo + b·d + r0 + j] = Σ_i g(s_ij)(t_j − s_ij) over a block of n rows; tb (B, BLK), sb and gb = g(sb)
     * (nm, B, BLK). The activation is a separate pass ({@link SimdElementwise#act}): its exp
     * polynomial stays in a small method C2 compiles whole. The last partial vector is masked (not
     * scalar), so every row goes through the same vector arithmetic whatever its position in the
     * block: results do not depend on the thread split.
     */
    static void epilogue(float[] y, int yo, int r0, int d, float[] tb, float[] sb, float[] gb, int n, int B, int nm) {
        for (int b = 0; b < B; b++)
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> in = S.indexInRange(j, n);
                FloatVector t = FloatVector.fromArray(S, tb, b * BLK + j), acc = FloatVector.zero(S);
                for (int i = 0; i < nm; i++) {
                    int o = (i * B + b) * BLK + j;
                    acc = FloatVector.fromArray(S, gb, o).fma(t.sub(FloatVector.fromArray(S, sb, o)), acc);
                }
                acc.intoArray(y, yo + b * d + r0 + j, in);
            }
    }
}
