package jmglu.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane sums in a fixed order. {@code reduceLanes(ADD)} leaves the order of its float additions
 * unspecified, and it does differ: the interpreter adds lane by lane, C2's intrinsic in a tree, so
 * the same call gives other bits once compiled. Every reduction in this backend goes through here
 * instead: a pairwise tree over rotations, for L = 16
 * <pre>
 *   v_i += v_{i+8};  v_i += v_{i+4};  v_i += v_{i+2};  v_i += v_{i+1};   result = v_0   (indices mod L)
 * </pre>
 * Lane-wise adds and rearranges are exact operations, so the sum has the same bits interpreted,
 * C1- or C2-compiled. {@link #fold} sums accumulators the tiles stored into an array: it keeps the
 * tiles' compiled code small (C2 stops inlining into a method past a node budget, and a call left
 * with a vector argument boxes the vector).
 */
final class Lanes {
    private Lanes() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> SD = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length(), LD = SD.length();

    // rotations by L/2, L/4, L/8, L/16 (null where that step does not exist for this L)
    private static final VectorShuffle<Float> F1 = rot(S, L / 2), F2 = rot(S, L / 4), F3 = rot(S, L / 8), F4 = rot(S, L / 16);
    private static final VectorShuffle<Double> D1 = rot(SD, LD / 2), D2 = rot(SD, LD / 4), D3 = rot(SD, LD / 8);

    private static <E> VectorShuffle<E> rot(VectorSpecies<E> s, int by) {
        return by < 1 ? null : VectorShuffle.fromOp(s, i -> (i + by) % s.length());
    }

    /** Σ lanes of v (a SPECIES_PREFERRED vector), pairwise in the fixed order above. */
    static float sum(FloatVector v) {
        if (F1 != null) v = v.add(v.rearrange(F1));
        if (F2 != null) v = v.add(v.rearrange(F2));
        if (F3 != null) v = v.add(v.rearrange(F3));
        if (F4 != null) v = v.add(v.rearrange(F4));
        return v.lane(0);
    }

    /**
     * a[s] = Σ a[s·L, (s+1)·L) for s = first .. first+count−1, each sum in the order of
     * {@link #sum(FloatVector)}; in place, slots in ascending order (a[s] lies below slot s's data,
     * which no earlier write reaches).
     */
    static void fold(float[] a, int first, int count) {
        for (int s = first; s < first + count; s++) {
            int o = s * L;
            if (L == 16) { // straight-line scalar code (no vector that a call could box): (a_i + a_{i+8}), then + 4, + 2, + 1
                float b0 = a[o] + a[o + 8], b1 = a[o + 1] + a[o + 9], b2 = a[o + 2] + a[o + 10], b3 = a[o + 3] + a[o + 11];
                float b4 = a[o + 4] + a[o + 12], b5 = a[o + 5] + a[o + 13], b6 = a[o + 6] + a[o + 14], b7 = a[o + 7] + a[o + 15];
                float c0 = b0 + b4, c1 = b1 + b5, c2 = b2 + b6, c3 = b3 + b7;
                a[s] = (c0 + c2) + (c1 + c3);
            } else {
                for (int half = L >> 1; half >= 1; half >>= 1)
                    for (int i = 0; i < half; i++) a[o + i] += a[o + i + half];
                a[s] = a[o];
            }
        }
    }

    /**
     * Lane sums of 16 accumulators at once (L = 16 only): st holds row j's slot s at st[(j·slots + s)·L ..
     * + L) for j < 16; out[o + j] = Σ lanes of row j's slot s for j < n. A transpose-and-add butterfly:
     * combine(X, Y, k) gives X_l + X_{l+k} on the lanes with l mod 2k < k and Y_l + Y_{l−k} on the others
     * (two two-vector permutes and one add), applied with k = 8 to rows (j, j+8), 4 to (j, j+4), 2, 1:
     * lane j of the result then holds exactly {@link #fold}'s sum of row j, the same additions in the same
     * tree (a + b and b + a are the same float), so the bits equal the row-by-row fold. Each lane depends
     * on its own row only: rows ≥ n may hold anything. 15 combines per 16 rows instead of 15 scalar adds per row.
     */
    static void sum16(float[] st, int slots, int s, float[] out, int o, int n) {
        FloatVector z0 = combine(st, slots, s, 0), z1 = combine(st, slots, s, 1), z2 = combine(st, slots, s, 2), z3 = combine(st, slots, s, 3);
        FloatVector z4 = combine(st, slots, s, 4), z5 = combine(st, slots, s, 5), z6 = combine(st, slots, s, 6), z7 = combine(st, slots, s, 7);
        FloatVector y0 = combine(z0, z4, 1), y1 = combine(z1, z5, 1), y2 = combine(z2, z6, 1), y3 = combine(z3, z7, 1);
        FloatVector u = combine(combine(y0, y2, 2), combine(y1, y3, 2), 3);
        if (n == 16) u.intoArray(out, o); else u.intoArray(out, o, S.indexInRange(0, n));
    }

    // PICK_X[k], PICK_Y[k]: the permute indices of combine step k (halves of 8, 4, 2, 1 lanes); 16 + l = lane l of Y
    private static final FloatVector[] PICK_X = new FloatVector[4], PICK_Y = new FloatVector[4];
    static {
        if (L == 16)
            for (int step = 0; step < 4; step++) {
                int k = 8 >> step;
                float[] p = new float[L], q = new float[L];
                for (int l = 0; l < L; l++) {
                    boolean lo = l % (2 * k) < k;
                    p[l] = lo ? l : L + l;
                    q[l] = lo ? l + k : L + l - k;
                }
                PICK_X[step] = FloatVector.fromArray(S, p, 0);
                PICK_Y[step] = FloatVector.fromArray(S, q, 0);
            }
    }

    private static FloatVector combine(FloatVector x, FloatVector y, int step) {
        return PICK_X[step].selectFrom(x, y).add(PICK_Y[step].selectFrom(x, y));
    }

    private static FloatVector combine(float[] st, int slots, int s, int j) { // rows j and j + 8, step 0
        return combine(FloatVector.fromArray(S, st, (j * slots + s) * L), FloatVector.fromArray(S, st, ((j + 8) * slots + s) * L), 0);
    }

    /** Σ lanes of v (a SPECIES_PREFERRED double vector), pairwise in the fixed order above. */
    static double sum(DoubleVector v) {
        if (D1 != null) v = v.add(v.rearrange(D1));
        if (D2 != null) v = v.add(v.rearrange(D2));
        if (D3 != null) v = v.add(v.rearrange(D3));
        return v.lane(0);
    }
}
