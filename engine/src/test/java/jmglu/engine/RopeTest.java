package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * {@link Rope}: the inverse frequencies against float64 formulas and values worked by hand, the
 * argument checks, and the cos/sin tables against the plain formula.
 */
class RopeTest {

    static void near(double want, float got, double rel, String what) {
        assertTrue(Math.abs(want - got) <= rel * Math.abs(want), what + ": want " + want + ", got " + got);
    }

    @Test void defaultFrequenciesAreThetaToTheMinus2jOverHd() {
        for (float theta : new float[] {10000f, 500000f, 1e6f})
            for (int hd : new int[] {2, 6, 64, 128}) {
                float[] inv = Rope.interleaved(theta).invFreq(hd);
                assertEquals(hd / 2, inv.length);
                for (int j = 0; j < hd / 2; j++) near(Math.pow(theta, -2.0 * j / hd), inv[j], 1e-6, "θ=" + theta + " hd=" + hd + " j=" + j);
                assertArrayEquals(inv, Rope.halves(theta, new Rope.Scaling.None()).invFreq(hd), "the style does not change the frequencies");
            }
    }

    /** theta 10000, hd 8: inv = 1, 0.1, 0.01, 0.001. */
    @Test void linearDividesByTheFactor() {
        float[] inv = Rope.halves(10000f, new Rope.Scaling.Linear(4f)).invFreq(8);
        double[] want = {0.25, 0.025, 0.0025, 0.00025};
        for (int j = 0; j < 4; j++) near(want[j], inv[j], 1e-6, "linear j=" + j);
    }

    /**
     * theta 10000, hd 8, llama3(factor 8, low 1, high 4, orig 64): wavelengths 2π·(1, 10, 100, 1000);
     * low_freq_wavelen = 64, high_freq_wavelen = 16.
     * j=0: 6.28 &lt; 16, kept: 1.  j=1: 62.8 is between: smooth = (64/62.83 − 1)/3 = 0.0061973,
     * (1 − smooth)·0.1/8 + smooth·0.1 = 0.0130423.  j=2, 3: beyond 64, divided by 8: 0.00125, 0.000125.
     */
    @Test void llama3ByHand() {
        float[] inv = Rope.halves(10000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 64)).invFreq(8);
        double[] want = {1.0, 0.013042256043820465, 0.00125, 0.000125};
        for (int j = 0; j < 4; j++) near(want[j], inv[j], 2e-6, "llama3 j=" + j);
    }

    /** Llama 3.1's own numbers (θ 500000, hd 128, factor 8, 1, 4, 8192): pairs 0..28 kept, 35.. divided by 8, 29..34 between. */
    @Test void llama3OfLlama31() {
        float[] base = Rope.interleaved(500000f).invFreq(128);
        float[] inv = Rope.halves(500000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 8192)).invFreq(128);
        for (int j = 0; j < 64; j++) {
            double wavelen = 2 * Math.PI / base[j];
            if (j <= 28) assertEquals(base[j], inv[j], 0f, "high frequency " + j + " is kept");
            else if (j >= 35) near(base[j] / 8.0, inv[j], 1e-6, "low frequency " + j);
            else {
                double s = (8192 / wavelen - 1) / 3, want = (1 - s) * base[j] / 8 + s * base[j];
                assertTrue(s > 0 && s < 1, "pair " + j + " is between");
                near(want, inv[j], 1e-5, "medium frequency " + j);
            }
        }
    }

    @Test void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Rope.interleaved(0f));
        assertThrows(IllegalArgumentException.class, () -> Rope.interleaved(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Rope(1e4f, true, null));
        assertThrows(IllegalArgumentException.class, () -> new Rope.Scaling.Linear(0f));
        assertThrows(IllegalArgumentException.class, () -> new Rope.Scaling.Llama3(8f, 4f, 1f, 8192));
        assertThrows(IllegalArgumentException.class, () -> new Rope.Scaling.Llama3(8f, 1f, 4f, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> Rope.interleaved(1e4f).invFreq(7));
        assertTrue(e.getMessage().contains("even"), e.getMessage());
        assertEquals(Rope.interleaved(1e4f), new Rope(1e4f, false, new Rope.Scaling.None()), "a record: equal by value (a cache key)");
    }

    @Test void tableIsThePlainFormulaAndGrows() {
        Rope r = Rope.halves(500000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 64));
        RopeTable t = RopeTable.grow(null, r, 6, 300);
        assertTrue(t.positions() > 300 && t.covers(r, 6, 300) && !t.covers(r, 8, 3) && !t.covers(Rope.interleaved(500000f), 6, 3));
        float[] inv = r.invFreq(6);
        for (int p : new int[] {0, 1, 77, 300})
            for (int j = 0; j < 3; j++) {
                assertEquals((float) Math.cos(p * (double) inv[j]), t.cos()[p * 3 + j], 0f);
                assertEquals((float) Math.sin(p * (double) inv[j]), t.sin()[p * 3 + j], 0f);
            }
        assertSame(t, RopeTable.grow(t, r, 6, 12));
        assertEquals(2 * t.positions(), RopeTable.grow(t, r, 6, t.positions()).positions());
    }
}
