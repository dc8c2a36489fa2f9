package jmglu.simd;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.DType;
import jmglu.engine.WeightMatrix;

/**
 * Decode GEMV y (B, d) = x (B, h) · Wᵀ on stored weights (F32, BF16, F16), read where they are
 * (W's segment: heap, off-heap or a mapped file; row r at byte r·h·bytes; see {@link Storage}).
 * Each row of W is read from memory once. B = 1 on BF16 (h a multiple of 32) widens in registers,
 * from a heap short[] or in place from a native segment; F32 rows in a heap float[] (h a multiple
 * of 32) are dotted in place; otherwise the row is widened (or copied) into an L1 scratch
 * ({@link WeightRows}), then dotted with up to 4 rows of x per sweep. Rows of W are split over
 * threads; each dot product sums its lanes in a fixed order ({@link Lanes}).
 * <pre>
 *   x (B, h) f32, padded per row to hp = ⌈h/32⌉·32 with zeros     W (d, h)     y (B, d)
 * </pre>
 */
final class SimdGemv {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final java.nio.ByteOrder LE = java.nio.ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    private final Parallel par;

    SimdGemv(Parallel par) { this.par = par; }

    void gemv(float[] y, float[] x, WeightMatrix w, int B) {
        int d = w.rows(), h = w.cols();
        if (B < 1 || x.length < B * h || y.length < B * d)
            throw new IllegalArgumentException("gemv: W (" + d + ", " + h + "), B=" + B + " needs x of " + B * h + " and y of " + B * d
                    + " floats, got " + x.length + " and " + y.length);
        int hp = SimdFlashMglu.padded(h);
        float[] xp = SimdFlashMglu.padX(x, B, h, hp);
        MemorySegment ws = w.seg();
        short[] w16 = Storage.shorts(ws);
        float[] w32 = Storage.floats(ws);
        int w16o = w16 == null ? 0 : Storage.first(ws, 2), w32o = w32 == null ? 0 : Storage.first(ws, 4);
        MemorySegment plain = Storage.plain(ws);
        boolean bf16x1 = B == 1 && w.dtype() == DType.BF16 && hp == h, f32InPlace = w.dtype() == DType.F32 && hp == h && w32 != null;
        par.rows(d, Storage.shared(ws) ? (long) d * h * B : 0, 16, (lo, hi) -> { // confined weights: the calling thread
            float[] wr = rowScratch(hp);
            for (int r = lo; r < hi; r++) {
                if (bf16x1 && w16 != null) y[r] = dot1Bf16(w16, w16o + r * h, xp, 0, hp);
                else if (bf16x1 && ws.isNative()) y[r] = dot1Bf16(plain, 2L * r * h, xp, 0, hp);
                else if (f32InPlace) dots(y, r, d, w32, w32o + r * h, xp, B, hp);
                else { WeightRows.widen(wr, 0, w, r); java.util.Arrays.fill(wr, h, hp, 0f); dots(y, r, d, wr, 0, xp, B, hp); }
            }
        });
    }

    static float[] rowScratch(int n) {
        float[][] box = ROW.get();
        if (box[0].length < n) box[0] = new float[n];
        return box[0];
    }

    /** out[o + b·stride] = x_b · w for b < B; w and x rows hold hp (a multiple of L) floats. */
    static void dots(float[] out, int o, int stride, float[] w, int wo, float[] x, int B, int hp) {
        int b = 0;
        for (; b + 4 <= B; b += 4) dot4(out, o + b * stride, stride, w, wo, x, b * hp, hp);
        for (; b < B; b++) out[o + b * stride] = dot1(w, wo, x, b * hp, hp);
    }

    /** One x row: two accumulators (even and odd vectors) hide the add latency. */
    static float dot1(float[] w, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int c = 0;
        for (; c + 2 * L <= hp; c += 2 * L) {
            a0 = FloatVector.fromArray(S, w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = FloatVector.fromArray(S, w, wo + c + L).fma(FloatVector.fromArray(S, x, xo + c + L), a1);
        }
        if (c < hp) a0 = FloatVector.fromArray(S, w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
        return Lanes.sum(a0.add(a1));
    }

    /** Four x rows (at xo, xo + hp, ...) against one w row: each w vector is loaded once. */
    static void dot4(float[] out, int o, int stride, float[] w, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < hp; c += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wo + c);
            a0 = wv.fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = wv.fma(FloatVector.fromArray(S, x, xo + hp + c), a1);
            a2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * hp + c), a2);
            a3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * hp + c), a3);
        }
        out[o] = Lanes.sum(a0);
        out[o + stride] = Lanes.sum(a1);
        out[o + 2 * stride] = Lanes.sum(a2);
        out[o + 3 * stride] = Lanes.sum(a3);
    }

    /** BF16 row (raw 16-bit patterns at w[wo..wo+hp), hp a multiple of 2L) · x, widened in registers: the B = 1 decode path. */
    static float dot1Bf16(short[] w, int wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int c = 0; c < hp; c += 2 * L) {
            a0 = bf16(w, wo + c).fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = bf16(w, wo + c + L).fma(FloatVector.fromArray(S, x, xo + c + L), a1);
        }
        return Lanes.sum(a0.add(a1));
    }

    /** outA[o] = wa·x, outB[o] = wb·x for two BF16 rows (from wa[ao], wb[bo]) in one sweep (SwiGLU's gate and value rows). */
    static void dot2Bf16(float[] outA, float[] outB, int o, short[] wa, short[] wb, int ao, int bo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, b0 = a0, b1 = a0;
        for (int c = 0; c < hp; c += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, x, xo + c), x1 = FloatVector.fromArray(S, x, xo + c + L);
            a0 = bf16(wa, ao + c).fma(x0, a0);
            a1 = bf16(wa, ao + c + L).fma(x1, a1);
            b0 = bf16(wb, bo + c).fma(x0, b0);
            b1 = bf16(wb, bo + c + L).fma(x1, b1);
        }
        outA[o] = Lanes.sum(a0.add(a1));
        outB[o] = Lanes.sum(b0.add(b1));
    }

    // The segment loops run over an int index j and address W at wo + (constant)·j: the form C2
    // recognises to hoist the segment's bounds check out of the loop (as for arrays).

    /** {@link #dot1Bf16(short[], int, float[], int, int)} over a native segment, the row at byte wo. */
    static float dot1Bf16(MemorySegment w, long wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int j = 0, n = hp / (2 * L); j < n; j++) {
            int c = 2 * L * j;
            a0 = bf16(w, wo + 4L * L * j).fma(FloatVector.fromArray(S, x, xo + c), a0);
            a1 = bf16(w, wo + 4L * L * j + 2 * L).fma(FloatVector.fromArray(S, x, xo + c + L), a1);
        }
        return Lanes.sum(a0.add(a1));
    }

    /** The same over two native segments, the rows at byte wo of each. */
    static void dot2Bf16(float[] outA, float[] outB, int o, MemorySegment wa, MemorySegment wb, long wo, float[] x, int xo, int hp) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, b0 = a0, b1 = a0;
        for (int j = 0, n = hp / (2 * L); j < n; j++) {
            int c = 2 * L * j;
            FloatVector x0 = FloatVector.fromArray(S, x, xo + c), x1 = FloatVector.fromArray(S, x, xo + c + L);
            a0 = bf16(wa, wo + 4L * L * j).fma(x0, a0);
            a1 = bf16(wa, wo + 4L * L * j + 2 * L).fma(x1, a1);
            b0 = bf16(wb, wo + 4L * L * j).fma(x0, b0);
            b1 = bf16(wb, wo + 4L * L * j + 2 * L).fma(x1, b1);
        }
        outA[o] = Lanes.sum(a0.add(a1));
        outB[o] = Lanes.sum(b0.add(b1));
    }

    /** L BF16 patterns at w[off] → floats: widen to ints, shift into the high half. */
    static FloatVector bf16(short[] w, int off) {
        return ((IntVector) ShortVector.fromArray(WeightRows.SH, w, off).convertShape(VectorOperators.S2I, WeightRows.SI, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** L BF16 patterns at byte off of a native segment → floats. */
    static FloatVector bf16(MemorySegment w, long off) {
        return ((IntVector) ShortVector.fromMemorySegment(WeightRows.SH, w, off, LE).convertShape(VectorOperators.S2I, WeightRows.SI, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
