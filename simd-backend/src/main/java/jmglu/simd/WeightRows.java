package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.DType;
import jmglu.engine.WeightMatrix;

/**
 * Widens one row of a stored weight matrix to float32 in a small scratch (L1-resident), so the
 * dot-product kernels see plain floats whatever the storage type.
 * <pre>
 *   BF16: the 16 bits are the high half of a float: load 16 shorts, widen to ints, shift left 16,
 *         reinterpret as floats (3 vector ops per 16 elements).
 *   F16 : Float.float16ToFloat in a plain loop, which C2 intrinsifies and auto-vectorises to
 *         vcvtph2ps; it beat a Vector-API bit trick (exponent rebias by a ×2^112 multiply plus an
 *         Inf/NaN blend) in F16WidenBench, so it is the one kept (see the simd report).
 * </pre>
 */
public final class WeightRows {
    private WeightRows() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> SH = S.length() == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;

    /** Widens row r of w (cols h) into dst[0..h); F32 rows are copied. */
    static void widen(float[] dst, WeightMatrix w, int r) {
        int h = w.cols();
        switch (w.dtype()) {
            case F32 -> System.arraycopy(w.f32(), r * h, dst, 0, h);
            case BF16 -> bf16(dst, 0, w.half(), r * h, h);
            case F16 -> f16(dst, 0, w.half(), r * h, h);
        }
    }

    /** BF16 → float by shifting the 16 bits into the high half. */
    public static void bf16(float[] dst, int d0, short[] src, int s0, int n) {
        int i = 0, L = S.length();
        if (SH.length() == L) {
            for (; i + L <= n; i += L) {
                IntVector iv = (IntVector) ShortVector.fromArray(SH, src, s0 + i).convertShape(VectorOperators.S2I, SI, 0);
                iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, d0 + i);
            }
        }
        for (; i < n; i++) dst[d0 + i] = Float.intBitsToFloat((src[s0 + i] & 0xFFFF) << 16);
    }

    /** F16 → float with the intrinsic scalar conversion (auto-vectorised). */
    public static void f16(float[] dst, int d0, short[] src, int s0, int n) {
        for (int i = 0; i < n; i++) dst[d0 + i] = Float.float16ToFloat(src[s0 + i]);
    }

    /** F16 → float with a Vector-API bit trick (kept for the benchmark comparison only). */
    public static void f16Vector(float[] dst, int d0, short[] src, int s0, int n) {
        int i = 0, L = S.length();
        if (SH.length() == L) {
            for (; i + L <= n; i += L) {
                IntVector hv = (IntVector) ShortVector.fromArray(SH, src, s0 + i).convertShape(VectorOperators.S2I, SI, 0);
                IntVector sign = hv.and(0x8000).lanewise(VectorOperators.LSHL, 16);
                IntVector em = hv.and(0x7FFF);
                // normal and subnormal: (em << 13) as float times 2^112 rebiases the exponent exactly
                FloatVector f = em.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
                IntVector bits = f.reinterpretAsInts();
                // Inf / NaN (exponent all ones): force the float exponent to all ones, keep the payload
                bits = bits.blend(em.lanewise(VectorOperators.LSHL, 13).or(0x7F800000), em.compare(VectorOperators.GE, 0x7C00));
                bits.or(sign).reinterpretAsFloats().intoArray(dst, d0 + i);
            }
        }
        for (; i < n; i++) dst[d0 + i] = Float.float16ToFloat(src[s0 + i]);
    }

    static boolean isHalf(DType t) { return t != DType.F32; }
}
