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
 * Widens one row of a stored weight matrix to float32 in a small scratch (L1-resident), so the
 * dot-product kernels see plain floats whatever the storage type. Row r of W (cols h) starts at
 * byte r · h · bytes(dtype) of W's segment (little-endian); it is read as {@link Storage} says.
 * <pre>
 *   F32 : a bulk copy from the segment.
 *   BF16: the 16 bits are the high half of a float: load 16 shorts, widen to ints, shift left 16,
 *         reinterpret as floats (3 vector ops per 16 elements).
 *   F16 : Float.float16ToFloat in a plain array loop, which C2 intrinsifies and auto-vectorises to
 *         vcvtph2ps (it beat a Vector-API bit trick: lab, jmglu.lab.simd.F16Widen).
 * </pre>
 * BF16/F16 rows not in a heap short[] are first copied into a short scratch.
 */
public final class WeightRows {
    private WeightRows() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> SH = S.length() == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final ThreadLocal<short[][]> HALF = ThreadLocal.withInitial(() -> new short[1][0]);

    /** Widens row r of w (cols h) into dst[d0, d0 + h). */
    static void widen(float[] dst, int d0, WeightMatrix w, int r) {
        int h = w.cols();
        MemorySegment seg = w.seg();
        if (w.dtype() == DType.F32) { MemorySegment.copy(seg, DType.LE_FLOAT, 4L * r * h, dst, d0, h); return; }
        short[] a = Storage.shorts(seg);
        int o;
        if (a != null) o = Storage.first(seg, 2) + r * h;
        else { a = halfRow(h); o = 0; MemorySegment.copy(seg, DType.LE_SHORT, 2L * r * h, a, 0, h); }
        if (w.dtype() == DType.BF16) bf16(dst, d0, a, o, h);
        else f16(dst, d0, a, o, h);
    }

    /** This thread's short scratch of at least n elements (a staged BF16/F16 row). */
    static short[] halfRow(int n) {
        short[][] box = HALF.get();
        if (box[0].length < n) box[0] = new short[n];
        return box[0];
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
}
