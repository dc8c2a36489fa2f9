package jmglu.simd;

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
 */
public final class Baselines {
    private Baselines() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> SH = S.length() == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    static final int L = S.length();

    /** The naive kernel's materialised matrices and per-route outputs, allocated once and reused. */
    public static final class NaiveWorkspace {
        final WeightMatrix gateW, valueW;
        float[] gate = new float[0], value = new float[0];

        public NaiveWorkspace(DType dtype, int d, int h) {
            long n = (long) d * h;
            gateW = new WeightMatrix(dtype, d, h, dtype == DType.F32 ? new float[(int) n] : null, dtype == DType.F32 ? null : new short[(int) n]);
            valueW = new WeightMatrix(dtype, d, h, dtype == DType.F32 ? new float[(int) n] : null, dtype == DType.F32 ? null : new short[(int) n]);
        }
    }

    /** Bytes the naive kernel reads: nm · (4 passes over W + 2 over the mask plane). */
    public static long naiveBytesRead(WeightMatrix w, MaskPlanes m) {
        return (long) m.nm() * (4 * w.bytes() + 2 * (long) w.rows() * m.wordsPerRow() * 4);
    }

    /** y (B, d) = Σ_i g(x (M_i⊙W)ᵀ) ⊙ (x ((1−M_i)⊙W)ᵀ), materialising both masked matrices per route. */
    public static void naiveMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g, NaiveWorkspace ws) {
        SimdFlashMglu.check("naiveMglu", x, w, m, B);
        int d = w.rows(), h = w.cols(), nm = m.nm();
        if (ws.gateW.rows() != d || ws.gateW.cols() != h || ws.gateW.dtype() != w.dtype())
            throw new IllegalArgumentException("naiveMglu: workspace is " + ws.gateW.dtype() + " (" + ws.gateW.rows() + ", " + ws.gateW.cols()
                    + "), W is " + w.dtype() + " (" + d + ", " + h + ")");
        if (ws.gate.length < B * d) { ws.gate = new float[B * d]; ws.value = new float[B * d]; }
        java.util.Arrays.fill(y, 0, B * d, 0f);
        for (int i = 0; i < nm; i++) {
            materialise(ws.gateW, w, m, i, true);   // M_i ⊙ W
            materialise(ws.valueW, w, m, i, false); // (1 − M_i) ⊙ W
            SimdGemv.gemv(ws.gate, x, ws.gateW, B);
            SimdGemv.gemv(ws.value, x, ws.valueW, B);
            int n = B * d, j = 0;
            for (int up = S.loopBound(n); j < up; j += L)
                VecAct.apply(g, FloatVector.fromArray(S, ws.gate, j)).fma(FloatVector.fromArray(S, ws.value, j), FloatVector.fromArray(S, y, j)).intoArray(y, j);
            for (; j < n; j++) y[j] += g.apply(ws.gate[j]) * ws.value[j];
        }
    }

    /** out = keep ? M_i ⊙ W : (1 − M_i) ⊙ W, element by element, in W's dtype (a pass over W and plane i). */
    static void materialise(WeightMatrix out, WeightMatrix w, MaskPlanes m, int i, boolean keep) {
        int d = w.rows(), h = w.cols(), nm = m.nm(), wpr = m.wordsPerRow();
        int[] bits = m.bits();
        Parallel.rows(d, (long) d * h, 16, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int mo = (r * nm + i) * wpr, base = r * h, c = 0;
                for (int up = S.loopBound(h); c < up; c += L) {
                    long word = (bits[mo + (c >>> 5)] >>> (c & (32 - L))) & ((1L << L) - 1);
                    if (!keep) word = ~word & ((1L << L) - 1);
                    if (w.dtype() == DType.F32) {
                        FloatVector v = FloatVector.fromArray(S, w.f32(), base + c);
                        FloatVector.zero(S).blend(v, VectorMask.fromLong(S, word)).intoArray(out.f32(), base + c);
                    } else {
                        ShortVector v = ShortVector.fromArray(SH, w.half(), base + c);
                        ShortVector.zero(SH).blend(v, VectorMask.fromLong(SH, word)).intoArray(out.half(), base + c);
                    }
                }
                for (; c < h; c++) {
                    boolean on = ((bits[mo + (c >>> 5)] >>> (c & 31)) & 1) != 0;
                    boolean take = on == keep;
                    if (w.dtype() == DType.F32) out.f32()[base + c] = take ? w.f32()[base + c] : 0f;
                    else out.half()[base + c] = take ? w.half()[base + c] : 0;
                }
            }
        });
    }

    /** SwiGLU y (B, d) = SiLU(x Wgᵀ) ⊙ (x Wvᵀ), one fused pass over the rows of Wg and Wv. */
    public static void swiglu(float[] y, float[] x, WeightMatrix wg, WeightMatrix wv, int B) {
        int d = wg.rows(), h = wg.cols();
        if (wv.rows() != d || wv.cols() != h || wv.dtype() != wg.dtype() || x.length < B * h || y.length < B * d)
            throw new IllegalArgumentException("swiglu: Wg " + wg.dtype() + " (" + d + ", " + h + "), Wv " + wv.dtype() + " (" + wv.rows() + ", "
                    + wv.cols() + "), B=" + B + ", x[" + x.length + "], y[" + y.length + "]");
        int hp = SimdFlashMglu.padded(h);
        float[] xp = SimdFlashMglu.padX(x, B, h, hp);
        Parallel.rows(d, 2L * d * h * B, 16, (lo, hi) -> {
            int blk = 64;
            float[] rows = SimdGemv.rowScratch(2 * hp), gb = new float[B * blk], vb = new float[B * blk];
            for (int r0 = lo; r0 < hi; r0 += blk) {
                int n = Math.min(blk, hi - r0);
                for (int j = 0; j < n; j++) {
                    widenAt(rows, 0, wg, r0 + j);
                    widenAt(rows, hp, wv, r0 + j);
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

    private static void widenAt(float[] dst, int d0, WeightMatrix w, int r) {
        int h = w.cols();
        switch (w.dtype()) {
            case F32 -> System.arraycopy(w.f32(), r * h, dst, d0, h);
            case BF16 -> WeightRows.bf16(dst, d0, w.half(), r * h, h);
            case F16 -> WeightRows.f16(dst, d0, w.half(), r * h, h);
        }
        java.util.Arrays.fill(dst, d0 + h, d0 + SimdFlashMglu.padded(h), 0f);
    }
}
