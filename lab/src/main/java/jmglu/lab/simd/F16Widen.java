package jmglu.lab.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jmglu.simd.WeightRows;

/**
 * F16 → float widening, two ways (a main, not a test): the scalar Float.float16ToFloat loop the
 * backend keeps (WeightRows.f16: C2 intrinsifies and auto-vectorises it to vcvtph2ps) against a
 * Vector-API bit trick (exponent rebias by a ×2^112 multiply plus an Inf/NaN blend), which lost.
 * Checks both against Float.float16ToFloat on all 65536 patterns, then times them on an L1-resident
 * row, alternating. Usage: F16Widen [h] [reps]
 */
public final class F16Widen {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> SH = S.length() == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;

    /** F16 → float with the bit trick. */
    static void f16Vector(float[] dst, int d0, short[] src, int s0, int n) {
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

    public static void main(String[] a) {
        short[] all = new short[65536 + 5];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] p = new float[all.length], q = new float[all.length];
        WeightRows.f16(p, 0, all, 0, all.length);
        f16Vector(q, 0, all, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            int e = Float.floatToIntBits(Float.float16ToFloat(all[i]));
            if (e != Float.floatToIntBits(p[i]) || e != Float.floatToIntBits(q[i]))
                throw new AssertionError("f16 pattern 0x" + Integer.toHexString(i & 0xFFFF) + ": " + Float.intBitsToFloat(e) + " vs " + p[i] + " / " + q[i]);
        }
        int h = a.length > 0 ? Integer.parseInt(a[0]) : 4096, reps = a.length > 1 ? Integer.parseInt(a[1]) : 20000;
        short[] row = new short[h];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < h; i++) row[i] = Float.floatToFloat16((float) rnd.nextGaussian());
        float[] out = new float[h];
        double[] best = {1e18, 1e18};
        for (int round = 0; round < 12; round++)
            for (int v = 0; v < 2; v++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) if (v == 0) WeightRows.f16(out, 0, row, 0, h); else f16Vector(out, 0, row, 0, h);
                if (round > 1) best[v] = Math.min(best[v], (System.nanoTime() - t0) / (double) reps);
            }
        System.out.printf("all 65536 patterns agree; h=%d: intrinsic %.1f ns, bit trick %.1f ns per row%n", h, best[0], best[1]);
    }
}
