package jmglu.engine;

/**
 * cos θ and sin θ of one ({@link Rope}, hd) for positions 0 .. positions − 1, what fast kernels read
 * instead of calling cos and sin: row-major (positions, hd/2), entry [p · hd/2 + j] for pair j at
 * position p, θ = {@link Rope#angle}(p, invFreq[j]), cos and sin taken in float64 and rounded to
 * float32 — the same floats as the plain loops of {@link ReferenceKernels#rope}. Immutable once built;
 * a backend keeps the latest one per (rope, hd) and builds a larger one when a position beyond it comes.
 */
public record RopeTable(Rope rope, int hd, int positions, float[] cos, float[] sin) {

    /** The table of (rope, hd) for positions 0 .. positions − 1. */
    public static RopeTable build(Rope rope, int hd, int positions) {
        if (positions < 1) throw new IllegalArgumentException("rope table: positions must be ≥ 1, got " + positions);
        float[] inv = rope.invFreq(hd);
        int half = hd / 2;
        float[] c = new float[Math.multiplyExact(positions, half)], s = new float[c.length];
        for (int p = 0; p < positions; p++)
            for (int j = 0; j < half; j++) {
                double ang = Rope.angle(p, inv[j]);
                c[p * half + j] = (float) Math.cos(ang);
                s[p * half + j] = (float) Math.sin(ang);
            }
        return new RopeTable(rope, hd, positions, c, s);
    }

    /** Whether this table serves (rope, hd) at position maxPos. */
    public boolean covers(Rope r, int h, int maxPos) { return hd == h && rope.equals(r) && maxPos < positions; }

    /**
     * t itself when it covers (rope, hd, maxPos), else a new table with room to grow: at least 256 positions,
     * a power of two above maxPos, and twice t's when t is of the same (rope, hd).
     */
    public static RopeTable grow(RopeTable t, Rope rope, int hd, int maxPos) {
        if (t != null && t.covers(rope, hd, maxPos)) return t;
        int n = Math.max(256, Integer.highestOneBit(Math.max(1, maxPos)) * 2);
        if (t != null && t.hd == hd && t.rope.equals(rope)) n = Math.max(n, 2 * t.positions);
        return build(rope, hd, n);
    }
}
