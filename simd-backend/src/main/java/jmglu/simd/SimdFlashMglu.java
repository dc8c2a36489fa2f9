package jmglu.simd;

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
 * <p>Per output row r, W's row is read from memory ONCE. B = 1 with BF16 W, nm ∈ {1,2,4,8} and
 * h a multiple of 32 (one sweep): the tile uses BF16 in registers, with x pre-split into even/odd
 * lanes once per call ({@link #prepX}, see {@link FlashTiles}). B > 1 with BF16 W, h a multiple of 32
 * and 16 lanes: {@link #rowE} sweeps the raw BF16 row with the e tiles (Bt ≤ 4 rows of x × K ≤ 2
 * planes, BF16 widened in registers, masks shared by the rows; out of cache at 2048×8192, B = 8 it took
 * 0.64–0.90 of the time of the path below, FlashAB). Otherwise the row is widened (BF16/F16 → float)
 * into an L1 scratch, then {@link FlashTiles} sweeps it with Bt ≤ 4 rows of x and K ≤ 8 bit-planes at
 * a time, all accumulators in registers (B and nm larger than one tile take further sweeps of
 * the L1-resident row, not of memory). Rows are processed in blocks of {@link #BLK}; the block's
 * t and s_i land in small scratches and the epilogue g(s_i)(t − s_i) runs vectorised over the
 * block. Rows are split over threads ({@link Parallel}).
 * <pre>
 *   x (B, h) f32   W (d, h) F32|BF16|F16   masks bits[(r·nm + i)·wpr + w], wpr = ⌈h/32⌉
 *   t (B, d)       s (nm, B, d)            y (B, d)
 * </pre>
 */
final class SimdFlashMglu {
    private SimdFlashMglu() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int BLK = 64; // rows per epilogue block

    /** Per-thread scratch: the widened row, tile results, and the block's t and s. */
    private static final class Scratch {
        float[] row = new float[0], res = new float[8 * 9], tb = new float[0], sb = new float[0];
        int[] xs = new int[8];
        float[] row(int n) { if (row.length < n) row = new float[n]; return row; }
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

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

    /** Whether B = 1 rows go through the BF16-fused one-sweep tile (which then wants x in {@link FlashTiles#evenOdd} layout on 16 lanes). */
    static boolean fused(int B, WeightMatrix w, MaskPlanes m) {
        int nm = m.nm();
        return B == 1 && nm <= 8 && Integer.bitCount(nm) == 1 && w.dtype() == DType.BF16 && padded(w.cols()) == w.cols();
    }

    /**
     * Whether B > 1 rows go through the BF16 even/odd tiles over the raw row ({@link FlashTilesBf16Batch#runE}):
     * BF16 W, h a multiple of 32, 16 float lanes (-Djmglu.simd.evenOddB=false turns it off for A/B timing).
     */
    static boolean fusedB(int B, WeightMatrix w) {
        return B > 1 && evenOddB && w.dtype() == DType.BF16 && padded(w.cols()) == w.cols();
    }
    /**
     * The nm (bit nm set) whose B = 1 BF16 rows use the even/odd "e" tile; the others use the widening
     * "h" tile. Not final: tests and FlashAB switch it to compare both in one JVM.
     */
    static volatile int eTileNms = FlashTilesBf16.EVEN_ODD ? 1 << 1 | 1 << 2 | 1 << 4 | 1 << 8 : 0;
    static boolean eTile(int nm) { return (eTileNms >>> nm & 1) != 0; }

    /** Not final: tests and probes switch it to compare both B > 1 paths in one JVM. */
    static volatile boolean evenOddB = FlashTilesBf16.EVEN_ODD && !"false".equals(System.getProperty("jmglu.simd.evenOddB"));

    /** x in the layout the row kernel wants: padded rows, even/odd split per 32-block for the fused tiles. */
    static float[] prepX(float[] x, int B, WeightMatrix w, MaskPlanes m) {
        int h = w.cols(), hp = padded(h);
        float[] xp = padX(x, B, h, hp);
        boolean eo = (fused(B, w, m) && eTile(m.nm())) || fusedB(B, w);
        return eo ? FlashTilesBf16.evenOdd(xp, B * hp) : xp;
    }

    /** h rounded up to a multiple of 32 (one mask word; a whole number of vectors for L ≤ 32). */
    static int padded(int h) { return (h + 31) & ~31; }

    /** t (B, d), s (nm, B, d): the scores pass alone (the training forward). */
    static void scores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) {
        check("mgluScores", x, w, m, B);
        int d = w.rows(), h = w.cols(), hp = padded(h), nm = m.nm();
        if (t.length < B * d || s.length < nm * B * d)
            throw new IllegalArgumentException("mgluScores: t needs B·d = " + B * d + ", s needs nm·B·d = " + nm * B * d);
        float[] xp = prepX(x, B, w, m);
        Parallel.rows(d, (long) d * h * B * (1 + nm), 16, (lo, hi) -> {
            Scratch sc = SCRATCH.get();
            for (int r = lo; r < hi; r++) row(t, r, d, s, r, d, xp, B, hp, w, m, r, sc);
        });
    }

    /** y (B, d) = Σ_i g(s_i)(t − s_i), one pass over W. */
    static void flash(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) {
        check("flashMglu", x, w, m, B);
        int d = w.rows(), h = w.cols(), hp = padded(h), nm = m.nm();
        if (y.length < B * d) throw new IllegalArgumentException("flashMglu: y has " + y.length + " floats, need B·d = " + B * d);
        float[] xp = prepX(x, B, w, m);
        Parallel.rows(d, (long) d * h * B * (1 + nm), 16, (lo, hi) -> {
            Scratch sc = SCRATCH.get();
            if (sc.tb.length < B * BLK) sc.tb = new float[B * BLK];
            if (sc.sb.length < nm * B * BLK) sc.sb = new float[nm * B * BLK];
            for (int r0 = lo; r0 < hi; r0 += BLK) {
                int n = Math.min(BLK, hi - r0);
                for (int j = 0; j < n; j++) row(sc.tb, j, BLK, sc.sb, j, BLK, xp, B, hp, w, m, r0 + j, sc);
                epilogue(y, r0, d, sc.tb, sc.sb, n, B, nm, g);
            }
        });
    }

    /**
     * One row r of W: t_b → tOut[tOff + b·tStride], s_{i,b} → sOut[sOff + (i·B + b)·sStride].
     * The row is widened once; the (b, i) tiles then re-sweep it from L1.
     */
    static void row(float[] tOut, int tOff, int tStride, float[] sOut, int sOff, int sStride,
                    float[] xp, int B, int hp, WeightMatrix w, MaskPlanes m, int r, Scratch sc) {
        int h = w.cols(), nm = m.nm(), wpr = m.wordsPerRow();
        if (fused(B, w, m)) {
            // one sweep covers the row: BF16 used in registers, no scratch round trip (xp is even/odd split)
            FlashTilesBf16.runBf16(eTile(nm), nm, sc.res, w.half(), r * h, xp, 0, m.bits(), r * nm * wpr, wpr, hp);
            tOut[tOff] = sc.res[0];
            for (int i = 0; i < nm; i++) sOut[sOff + i * sStride] = sc.res[1 + i];
            return;
        }
        if (fusedB(B, w)) { rowE(tOut, tOff, tStride, sOut, sOff, sStride, xp, B, hp, w, m, r, sc); return; }
        float[] wr;
        int wo;
        if (w.dtype() == DType.F32 && hp == h) { wr = w.f32(); wo = r * h; }
        else { wr = sc.row(hp); wo = 0; WeightRows.widen(wr, w, r); java.util.Arrays.fill(wr, h, hp, 0f); }
        float[] res = sc.res;
        int[] xs = sc.xs;
        for (int b0 = 0; b0 < B; ) {
            // (an 8-row tile for nm = 1 was tried: 11 vs 6 ns per 16-chunk, it spills; 4 rows is the widest kept)
            int bt = B - b0 >= 4 ? 4 : B - b0 >= 2 ? 2 : 1;
            for (int b = 0; b < bt; b++) xs[b] = (b0 + b) * hp;
            for (int i0 = 0; i0 < nm; ) {
                int left = Math.min(nm - i0, FlashTiles.maxK(bt));
                int k = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
                FlashTiles.run(bt, k, res, wr, wo, xp, xs, m.bits(), (r * nm + i0) * wpr, wpr, hp);
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
     * {@link #row} for B > 1 over the raw BF16 row: tiles of bt ≤ 4 rows of x × k ≤ 2 planes (k ≤ 8 for
     * a single row); t is accumulated with the first plane group only. The row (and its mask words)
     * stays in L1 across the tiles: memory is read once per row whatever B and nm. (8-row tiles and
     * 4×4 tiles were measured slower: C2 spills their accumulators.)
     */
    static void rowE(float[] tOut, int tOff, int tStride, float[] sOut, int sOff, int sStride,
                     float[] xp, int B, int hp, WeightMatrix w, MaskPlanes m, int r, Scratch sc) {
        int h = w.cols(), nm = m.nm(), wpr = m.wordsPerRow();
        float[] res = sc.res;
        for (int b0 = 0; b0 < B; ) {
            int left = B - b0, bt = left >= 4 ? 4 : left >= 2 ? 2 : 1;
            for (int i0 = 0; i0 < nm; ) {
                int kl = Math.min(nm - i0, FlashTilesBf16Batch.maxKe(bt));
                int k = kl >= 8 ? 8 : kl >= 4 ? 4 : kl >= 2 ? 2 : 1;
                FlashTilesBf16Batch.runE(bt, k, i0 == 0, res, w.half(), r * h, xp, b0 * hp, m.bits(), (r * nm + i0) * wpr, wpr, hp);
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
     * y[b, r0 + j] = Σ_i g(s_ij)(t_j − s_ij) over a block of n rows; tb (B, BLK), sb (nm, B, BLK).
     * The last partial vector is masked (not scalar), so every row goes through the same vector
     * arithmetic whatever its position in the block: results do not depend on the thread split.
     */
    static void epilogue(float[] y, int r0, int d, float[] tb, float[] sb, int n, int B, int nm, Act g) {
        for (int b = 0; b < B; b++)
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> in = S.indexInRange(j, n);
                FloatVector t = FloatVector.fromArray(S, tb, b * BLK + j), acc = FloatVector.zero(S);
                for (int i = 0; i < nm; i++) {
                    FloatVector si = FloatVector.fromArray(S, sb, (i * B + b) * BLK + j);
                    acc = VecAct.apply(g, si).fma(t.sub(si), acc);
                }
                acc.intoArray(y, b * d + r0 + j, in);
            }
    }
}
