package jmglu.simd;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

/**
 * The two kernels FlashMGLU is measured against (kept for the benchmarks, each as fast as this
 * backend makes it, so the comparison is about memory traffic and not about sloppy baselines):
 * <ul>
 *   <li>{@link #naiveMglu}: MGLU the way the paper's naive PyTorch computes it. Per route i it
 *       materialises M_i ⊙ W and (1 − M_i) ⊙ W (two passes over W and the mask plane, each writing
 *       a full (d, h) matrix in W's dtype), then two GEMVs, then y += g(gate_i) ⊙ value_i.
 *       Bytes read: nm · (4·d·h·bytes(W) + 2·d·⌈h/32⌉·4); written: nm · 2·d·h·bytes(W).</li>
 *   <li>{@link #swiglu}: y = SiLU(x Wgᵀ) ⊙ (x Wvᵀ) with two (d, h) matrices of one dtype, fused:
 *       one pass over the rows of both, reading 2·d·h·bytes(W).</li>
 * </ul>
 * W and the masks are read where they are, as {@link Storage} says (heap arrays in place; other
 * storage a row at a time); the threads are those of the {@link SimdKernels} given at construction.
 */
public final class Baselines {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> SH = WeightRows.SH;
    static final int L = S.length();
    static final long LANES = (1L << L) - 1;

    private final Parallel par;
    private final SimdGemv gemv;

    public Baselines(SimdKernels kernels) {
        this.par = kernels.par;
        this.gemv = kernels.gemv;
    }

    /** The naive kernel's materialised matrices (heap, W's dtype) and per-route outputs, allocated once and reused. */
    public static final class NaiveWorkspace {
        final float[] gate32, value32;
        final short[] gate16, value16;
        final WeightMatrix gateW, valueW;
        float[] gate = new float[0], value = new float[0];

        public NaiveWorkspace(DType dtype, int d, int h) {
            int n = Math.multiplyExact(d, h);
            boolean f32 = dtype == DType.F32;
            gate32 = f32 ? new float[n] : null;
            value32 = f32 ? new float[n] : null;
            gate16 = f32 ? null : new short[n];
            value16 = f32 ? null : new short[n];
            gateW = new WeightMatrix(dtype, d, h, f32 ? MemorySegment.ofArray(gate32) : MemorySegment.ofArray(gate16));
            valueW = new WeightMatrix(dtype, d, h, f32 ? MemorySegment.ofArray(value32) : MemorySegment.ofArray(value16));
        }
    }

    /** Bytes the naive kernel reads: nm · (4 passes over W + 2 over the mask plane). */
    public static long naiveBytesRead(WeightMatrix w, MaskPlanes m) {
        return (long) m.nm() * (4 * w.bytes() + 2 * (long) w.rows() * m.wordsPerRow() * 4);
    }

    /** y (B, d) = Σ_i g(x (M_i⊙W)ᵀ) ⊙ (x ((1−M_i)⊙W)ᵀ), materialising both masked matrices per route. */
    public void naiveMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g, NaiveWorkspace ws) {
        SimdFlashMglu.check("naiveMglu", x, w, m, B);
        int d = w.rows(), h = w.cols(), nm = m.nm();
        if (ws.gateW.rows() != d || ws.gateW.cols() != h || ws.gateW.dtype() != w.dtype())
            throw new IllegalArgumentException("naiveMglu: workspace is " + ws.gateW.dtype() + " (" + ws.gateW.rows() + ", " + ws.gateW.cols()
                    + "), W is " + w.dtype() + " (" + d + ", " + h + ")");
        if (ws.gate.length < B * d) { ws.gate = new float[B * d]; ws.value = new float[B * d]; }
        java.util.Arrays.fill(y, 0, B * d, 0f);
        for (int i = 0; i < nm; i++) {
            materialise(ws.gate32, ws.gate16, w, m, i, true);    // M_i ⊙ W
            materialise(ws.value32, ws.value16, w, m, i, false); // (1 − M_i) ⊙ W
            gemv.gemv(ws.gate, x, ws.gateW, B);
            gemv.gemv(ws.value, x, ws.valueW, B);
            int n = B * d, j = 0;
            for (int up = S.loopBound(n); j < up; j += L)
                VecAct.apply(g, FloatVector.fromArray(S, ws.gate, j)).fma(FloatVector.fromArray(S, ws.value, j), FloatVector.fromArray(S, y, j)).intoArray(y, j);
            for (; j < n; j++) y[j] += g.apply(ws.gate[j]) * ws.value[j];
        }
    }

    /** out = keep ? M_i ⊙ W : (1 − M_i) ⊙ W, element by element, in W's dtype (out32 for F32, else out16): a pass over W and plane i. */
    void materialise(float[] out32, short[] out16, WeightMatrix w, MaskPlanes m, int i, boolean keep) {
        int d = w.rows(), h = w.cols(), nm = m.nm(), wpr = m.wordsPerRow();
        boolean f32 = w.dtype() == DType.F32;
        MemorySegment ws = w.seg(), ms = m.seg();
        float[] w32 = Storage.floats(ws);
        short[] w16 = Storage.shorts(ws);
        int[] mb = Storage.ints(ms);
        int w32o = w32 == null ? 0 : Storage.first(ws, 4), w16o = w16 == null ? 0 : Storage.first(ws, 2), mbo = mb == null ? 0 : Storage.first(ms, 4);
        par.rows(d, Storage.shared(ws) && Storage.shared(ms) ? (long) d * h : 0, 16, (lo, hi) -> {
            float[] row32 = f32 && w32 == null ? new float[h] : null;
            short[] row16 = !f32 && w16 == null ? new short[h] : null;
            int[] words = mb == null ? new int[wpr] : null;
            for (int r = lo; r < hi; r++) {
                // this row of W and plane i's words, in place when on the heap, else copied
                float[] a32 = w32;
                short[] a16 = w16;
                int wo, mo;
                if (f32) {
                    if (a32 != null) wo = w32o + r * h;
                    else { a32 = row32; wo = 0; MemorySegment.copy(ws, DType.LE_FLOAT, 4L * r * h, a32, 0, h); }
                } else {
                    if (a16 != null) wo = w16o + r * h;
                    else { a16 = row16; wo = 0; MemorySegment.copy(ws, DType.LE_SHORT, 2L * r * h, a16, 0, h); }
                }
                int[] bits = mb;
                if (bits != null) mo = mbo + (r * nm + i) * wpr;
                else { bits = words; mo = 0; MemorySegment.copy(ms, DType.LE_INT, 4L * (r * nm + i) * wpr, bits, 0, wpr); }
                int base = r * h, c = 0;
                for (int up = S.loopBound(h); c < up; c += L) {
                    long word = (bits[mo + (c >>> 5)] >>> (c & (32 - L))) & LANES;
                    if (!keep) word = ~word & LANES;
                    if (f32) FloatVector.zero(S).blend(FloatVector.fromArray(S, a32, wo + c), VectorMask.fromLong(S, word)).intoArray(out32, base + c);
                    else ShortVector.zero(SH).blend(ShortVector.fromArray(SH, a16, wo + c), VectorMask.fromLong(SH, word)).intoArray(out16, base + c);
                }
                for (; c < h; c++) {
                    boolean take = (((bits[mo + (c >>> 5)] >>> (c & 31)) & 1) != 0) == keep;
                    if (f32) out32[base + c] = take ? a32[wo + c] : 0f;
                    else out16[base + c] = take ? a16[wo + c] : 0;
                }
            }
        });
    }

    /** SwiGLU y (B, d) = SiLU(x Wgᵀ) ⊙ (x Wvᵀ), one fused pass over the rows of Wg and Wv. */
    public void swiglu(float[] y, float[] x, WeightMatrix wg, WeightMatrix wv, int B) {
        int d = wg.rows(), h = wg.cols();
        if (wv.rows() != d || wv.cols() != h || wv.dtype() != wg.dtype() || x.length < B * h || y.length < B * d)
            throw new IllegalArgumentException("swiglu: Wg " + wg.dtype() + " (" + d + ", " + h + "), Wv " + wv.dtype() + " (" + wv.rows() + ", "
                    + wv.cols() + "), B=" + B + ", x[" + x.length + "], y[" + y.length + "]");
        int hp = SimdFlashMglu.padded(h);
        float[] xp = SimdFlashMglu.padX(x, B, h, hp);
        short[] g16 = Storage.shorts(wg.seg()), v16 = Storage.shorts(wv.seg());
        int g16o = g16 == null ? 0 : Storage.first(wg.seg(), 2), v16o = v16 == null ? 0 : Storage.first(wv.seg(), 2);
        MemorySegment gPlain = Storage.plain(wg.seg()), vPlain = Storage.plain(wv.seg());
        boolean inRegisters = B == 1 && wg.dtype() == DType.BF16 && hp == h, heap = g16 != null && v16 != null,
                nat = wg.seg().isNative() && wv.seg().isNative();
        par.rows(d, Storage.shared(wg.seg()) && Storage.shared(wv.seg()) ? 2L * d * h * B : 0, 16, (lo, hi) -> {
            int blk = 64;
            float[] rows = SimdGemv.rowScratch(2 * hp), gb = new float[B * blk], vb = new float[B * blk];
            for (int r0 = lo; r0 < hi; r0 += blk) {
                int n = Math.min(blk, hi - r0);
                for (int j = 0; j < n; j++) {
                    if (inRegisters && heap) { // both rows widened in registers, one sweep
                        SimdGemv.dot2Bf16(gb, vb, j, g16, v16, g16o + (r0 + j) * h, v16o + (r0 + j) * h, xp, 0, hp);
                        continue;
                    }
                    if (inRegisters && nat) {
                        SimdGemv.dot2Bf16(gb, vb, j, gPlain, vPlain, 2L * (r0 + j) * h, xp, 0, hp);
                        continue;
                    }
                    WeightRows.widen(rows, 0, wg, r0 + j);
                    WeightRows.widen(rows, hp, wv, r0 + j);
                    java.util.Arrays.fill(rows, h, hp, 0f);
                    java.util.Arrays.fill(rows, hp + h, 2 * hp, 0f);
                    SimdGemv.dots(gb, j, blk, rows, 0, xp, B, hp);   // gate_b  = x_b · wg_r
                    SimdGemv.dots(vb, j, blk, rows, hp, xp, B, hp);  // value_b = x_b · wv_r
                }
                for (int b = 0; b < B; b++) { // y = SiLU(gate) ⊙ value over the block
                    int j = 0;
                    for (int up = S.loopBound(n); j < up; j += L)
                        VecAct.apply(Act.SILU, FloatVector.fromArray(S, gb, b * blk + j)).mul(FloatVector.fromArray(S, vb, b * blk + j))
                                .intoArray(y, b * d + r0 + j);
                    for (; j < n; j++) y[b * d + r0 + j] = Act.SILU.apply(gb[b * blk + j]) * vb[b * blk + j];
                }
            }
        });
    }
}
