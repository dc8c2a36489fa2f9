package jmglu.engine;

/**
 * Rotary position embedding (RoPE): which pairs of a head rotate and by how much.
 * <pre>
 *   head x (hd), position p, pair j &lt; hd/2, θ_j = p · invFreq[j]:
 *     (x_a, x_b) ↦ (x_a cos θ_j − x_b sin θ_j,  x_a sin θ_j + x_b cos θ_j)
 *   interleaved (jmglu, Meta's llama):       a = 2j, b = 2j + 1
 *   halves (Hugging Face's rotate_half):     a = j,  b = j + hd/2
 * </pre>
 * invFreq is computed in float32 exactly as Hugging Face transformers does (see {@link #invFreq});
 * every kernel then takes θ_j = p · (double) invFreq[j] and rounds cos θ_j, sin θ_j from float64 to
 * float32, so the plain loops and the cached tables ({@link RopeTable}) give the same floats. (transformers
 * forms p · invFreq[j] in float32; the float64 product differs from it by less than one float32 rounding of θ.)
 *
 * @param theta   the base (HF rope_theta), finite and &gt; 0
 * @param halves  pairs (j, j + hd/2) when true, (2j, 2j + 1) when false
 * @param scaling how the frequencies are stretched for long contexts (HF rope_scaling)
 */
public record Rope(float theta, boolean halves, Scaling scaling) {

    /** HF rope_scaling: none, "linear" (position interpolation) or "llama3". */
    public sealed interface Scaling {
        /** No scaling (HF "default"). */
        record None() implements Scaling {}

        /** Every frequency divided by factor (HF "linear"). */
        record Linear(float factor) implements Scaling {
            public Linear {
                if (!(factor > 0) || !Float.isFinite(factor)) throw new IllegalArgumentException("rope: linear scaling factor must be finite and > 0, got " + factor);
            }
        }

        /**
         * Llama 3.1's frequency-dependent scaling (HF "llama3"): wavelengths longer than
         * originalMaxPositions/lowFreqFactor are divided by factor, those shorter than
         * originalMaxPositions/highFreqFactor kept, and the ones between interpolated.
         */
        record Llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) implements Scaling {
            public Llama3 {
                if (!(factor > 0) || !Float.isFinite(factor)) throw new IllegalArgumentException("rope: llama3 factor must be finite and > 0, got " + factor);
                if (!(lowFreqFactor > 0) || !Float.isFinite(highFreqFactor) || !(highFreqFactor > lowFreqFactor))
                    throw new IllegalArgumentException("rope: llama3 needs 0 < lowFreqFactor < highFreqFactor (finite), got low "
                            + lowFreqFactor + ", high " + highFreqFactor);
                if (originalMaxPositions <= 0) throw new IllegalArgumentException("rope: llama3 originalMaxPositions must be > 0, got " + originalMaxPositions);
            }
        }
    }

    public Rope {
        if (!(theta > 0) || !Float.isFinite(theta)) throw new IllegalArgumentException("rope: theta must be finite and > 0, got " + theta);
        if (scaling == null) throw new IllegalArgumentException("rope: scaling is null (use new Rope.Scaling.None())");
    }

    /** jmglu's convention: interleaved pairs (2j, 2j + 1), no scaling. */
    public static Rope interleaved(float theta) { return new Rope(theta, false, new Scaling.None()); }

    /** Hugging Face's convention (rotate_half): pairs (j, j + hd/2), with scaling s. */
    public static Rope halves(float theta, Scaling s) { return new Rope(theta, true, s); }

    /**
     * The hd/2 inverse frequencies, in float32 as transformers computes them:
     * <pre>
     *   default  inv_j = 1 / theta^(fl(2j) / hd)          (1.0 / base ** (arange(0, hd, 2).float() / hd))
     *   linear   inv_j / factor
     *   llama3   wavelen = 2π / inv_j  (torch: reciprocal(inv) · 2π)
     *            wavelen &gt; orig/low  → inv_j / factor                    (long wavelengths: stretched)
     *            wavelen &lt; orig/high → inv_j                             (short ones: kept)
     *            else smooth = (orig/wavelen − low) / (high − low),
     *                 (1 − smooth) · inv_j / factor + smooth · inv_j       (interpolated)
     * </pre>
     */
    public float[] invFreq(int hd) {
        if (hd <= 0 || hd % 2 != 0) throw new IllegalArgumentException("rope: head size hd must be even and > 0, got " + hd);
        float[] inv = new float[hd / 2];
        for (int j = 0; j < inv.length; j++) {
            float e = (float) (2 * j) / (float) hd;                     // arange(0, hd, 2).float() / hd
            inv[j] = 1f / (float) Math.pow(theta, e);                   // float32 pow, then 1.0 / it in float32
        }
        switch (scaling) {
            case Scaling.None _ -> { }
            case Scaling.Linear l -> { for (int j = 0; j < inv.length; j++) inv[j] = inv[j] / l.factor(); }
            case Scaling.Llama3 s -> llama3(inv, s);
        }
        return inv;
    }

    /** transformers' _compute_llama3_parameters, op by op in float32 (its Python scalars become float32 operands). */
    private static void llama3(float[] inv, Scaling.Llama3 s) {
        float orig = s.originalMaxPositions();
        float lowWavelen = (float) ((double) s.originalMaxPositions() / s.lowFreqFactor());
        float highWavelen = (float) ((double) s.originalMaxPositions() / s.highFreqFactor());
        float twoPi = (float) (2 * Math.PI), range = (float) ((double) s.highFreqFactor() - s.lowFreqFactor());
        for (int j = 0; j < inv.length; j++) {
            float f = inv[j], wavelen = (1f / f) * twoPi;
            float scaled = wavelen > lowWavelen ? f / s.factor() : f;               // inv_freq_llama
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium) {
                float smooth = ((1f / wavelen) * orig - s.lowFreqFactor()) / range;
                scaled = (1f - smooth) * scaled / s.factor() + smooth * scaled;
            }
            inv[j] = scaled;
        }
    }

    /** The angle θ_j = p · invFreq[j] every kernel uses, in float64 (cos and sin of it are rounded to float32). */
    public static double angle(int p, float invFreq) { return p * (double) invFreq; }

    /** A short label: "interleaved θ=10000", "halves θ=500000 llama3(8, 1, 4, 8192)". */
    public String label() {
        String s = switch (scaling) {
            case Scaling.None _ -> "";
            case Scaling.Linear l -> " linear(" + l.factor() + ")";
            case Scaling.Llama3 l -> " llama3(" + l.factor() + ", " + l.lowFreqFactor() + ", " + l.highFreqFactor() + ", " + l.originalMaxPositions() + ")";
        };
        return (halves ? "halves" : "interleaved") + " θ=" + theta + s;
    }
}
