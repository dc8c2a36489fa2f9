package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * BF16 and F16 conversions against independent answers: the bit layouts decoded by formula
 * (sign · 2^e · 1.m), and round-to-nearest-even decided by comparing exact distances to the two
 * neighbouring representable values (BigDecimal or exact double arithmetic), never by the
 * carry trick the implementation uses.
 */
class DTypeTest {

    static short bf(float f) { return DType.floatToBf16(f); }
    static short f16(float f) { return DType.F16.encode(f); }
    static float f(int bits) { return Float.intBitsToFloat(bits); }

    // ---------------------------------------------------------------- decoding by formula
    /** BF16: 1 | 8 | 7, bias 127, subnormals below 2^-126 (the value of an F32 with 16 zero low bits). */
    static double bf16Formula(int b) {
        int sign = (b >>> 15) & 1, e = (b >>> 7) & 0xFF, m = b & 0x7F;
        double mag = e == 0 ? Math.scalb(m / 128.0, -126) : Math.scalb(1 + m / 128.0, e - 127);
        return sign == 1 ? -mag : mag;
    }

    /** F16: 1 | 5 | 10, bias 15, subnormals m · 2^-24. */
    static double f16Formula(int b) {
        int sign = (b >>> 15) & 1, e = (b >>> 10) & 0x1F, m = b & 0x3FF;
        double mag = e == 0 ? Math.scalb((double) m, -24) : Math.scalb(1 + m / 1024.0, e - 15);
        return sign == 1 ? -mag : mag;
    }

    @Test void exhaustiveBf16DecodeAndRoundTrip() {
        for (int b = 0; b < 65536; b++) {
            short s = (short) b;
            float v = DType.BF16.decode(s);
            int e = (b >>> 7) & 0xFF, m = b & 0x7F;
            if (e == 0xFF) {
                if (m == 0) assertEquals((b & 0x8000) != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY, v);
                else {
                    assertTrue(Float.isNaN(v), "bf16 " + Integer.toHexString(b) + " decodes to NaN");
                    short back = DType.BF16.encode(v);
                    assertTrue(Float.isNaN(DType.bf16ToFloat(back)), "NaN stays NaN");
                    assertEquals(0x0040, back & 0x0040, "NaN comes back quiet");
                }
                continue;
            }
            assertEquals(bf16Formula(b), (double) v, 0.0, "bf16 decode of 0x" + Integer.toHexString(b));
            assertEquals(s, DType.BF16.encode(v), "bf16 round trip of 0x" + Integer.toHexString(b));
        }
    }

    @Test void exhaustiveF16DecodeAndRoundTrip() {
        for (int b = 0; b < 65536; b++) {
            short s = (short) b;
            float v = DType.F16.decode(s);
            int e = (b >>> 10) & 0x1F, m = b & 0x3FF;
            if (e == 0x1F) {
                if (m == 0) assertEquals((b & 0x8000) != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY, v);
                else {
                    assertTrue(Float.isNaN(v));
                    assertTrue(Float.isNaN(DType.F16.decode(DType.F16.encode(v))), "NaN stays NaN");
                }
                continue;
            }
            assertEquals(f16Formula(b), (double) v, 0.0, "f16 decode of 0x" + Integer.toHexString(b));
            assertEquals(s, DType.F16.encode(v), "f16 round trip of 0x" + Integer.toHexString(b));
        }
    }

    // ---------------------------------------------------------------- edge values
    @Test void bf16Edges() {
        // ties: 1 + 2^-8 is halfway between 1 (0x3F80, even) and 1 + 2^-7 (0x3F81): goes down to even
        float one = 1f, tie = 1f + 0x1p-8f;
        assertEquals((short) 0x3F80, bf(one));
        assertEquals((short) 0x3F80, bf(tie));
        assertEquals((short) 0x3F81, bf(Math.nextUp(tie)));
        assertEquals((short) 0x3F80, bf(Math.nextDown(tie)));
        // 1 + 3·2^-8 is halfway between 0x3F81 (odd) and 0x3F82 (even): goes up to even
        float tie2 = 1f + 3 * 0x1p-8f;
        assertEquals((short) 0x3F82, bf(tie2));
        assertEquals((short) 0x3F81, bf(Math.nextDown(tie2)));
        assertEquals((short) 0xBF82, bf(-tie2), "negative ties mirror the positive ones");
        assertEquals((short) 0xBF80, bf(-tie));
        // zeros and infinities
        assertEquals((short) 0x0000, bf(0f));
        assertEquals((short) 0x8000, bf(-0f));
        assertEquals((short) 0x7F80, bf(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xFF80, bf(Float.NEGATIVE_INFINITY));
        // subnormals: the smallest bf16 subnormal 0x0001 is the float 0x00010000 = 2^-133
        assertEquals(0x1p-133f, DType.bf16ToFloat((short) 1));
        assertEquals((short) 0x0000, bf(Float.MIN_VALUE), "2^-149 is far below half of 2^-133");
        assertEquals((short) 0x0000, bf(f(0x00008000)), "exactly half of 2^-133 ties to even 0");
        assertEquals((short) 0x0001, bf(f(0x00008001)));
        assertEquals((short) 0x0002, bf(f(0x00018000)), "halfway between 0x0001 and 0x0002 ties to even");
        assertEquals((short) 0x0080, bf(f(0x007FFFFF)), "the largest float subnormal rounds up to the smallest normal");
        // max finite 0x7F7F = (2 − 2^-7)·2^127, and overflow
        assertEquals((short) 0x7F7F, bf(f(0x7F7F0000)));
        assertEquals((short) 0x7F7F, bf(f(0x7F7F7FFF)));
        assertEquals((short) 0x7F80, bf(f(0x7F7F8000)), "the tie above max rounds to the even neighbour, infinity");
        assertEquals((short) 0x7F80, bf(Float.MAX_VALUE));
        assertEquals((short) 0xFF80, bf(-Float.MAX_VALUE));
        // NaN: stays NaN and quiet, even when the payload sits only in the discarded low bits
        for (int nan : new int[] {0x7FC00000, 0x7F800001, 0x7F810000, 0xFF800001, 0x7FFFFFFF}) {
            short b = bf(f(nan));
            assertTrue(Float.isNaN(DType.bf16ToFloat(b)), "NaN 0x" + Integer.toHexString(nan) + " stays NaN");
            assertEquals(0x0040, b & 0x0040, "NaN 0x" + Integer.toHexString(nan) + " is quiet");
            assertEquals(nan >>> 31, (b >>> 15) & 1, "NaN keeps its sign");
        }
    }

    @Test void f16Edges() {
        assertEquals((short) 0x0001, f16(0x1p-24f), "min subnormal 2^-24");
        assertEquals((short) 0x0000, f16(0x1p-25f), "halfway below the min subnormal ties to even 0");
        assertEquals((short) 0x0001, f16(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x0002, f16(3 * 0x1p-25f), "halfway between 0x0001 and 0x0002 ties to even");
        assertEquals((short) 0x0400, f16(0x1p-14f), "min normal");
        assertEquals((short) 0x3C00, f16(1f + 0x1p-11f), "tie down to even");
        assertEquals((short) 0x3C02, f16(1f + 3 * 0x1p-11f), "tie up to even");
        assertEquals((short) 0x3C01, f16(Math.nextUp(1f + 0x1p-11f)));
        assertEquals((short) 0x0000, f16(0f));
        assertEquals((short) 0x8000, f16(-0f));
        assertEquals((short) 0x7C00, f16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xFC00, f16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7BFF, f16(65504f), "max finite");
        assertEquals((short) 0x7BFF, f16(65519.99f));
        assertEquals((short) 0x7C00, f16(65520f), "the tie above max rounds to infinity");
        assertEquals((short) 0xFC00, f16(-65520f));
        assertEquals((short) 0x7C00, f16(1e6f));
        assertTrue(Float.isNaN(DType.F16.decode(f16(Float.NaN))));
        assertTrue(Float.isNaN(DType.F16.decode(f16(f(0x7F800001)))), "a NaN with a low payload stays NaN");
    }

    // ---------------------------------------------------------------- independent rounding
    /**
     * RNE of float v to bf16 by exact distances to the truncated neighbour lo and the next one up
     * hi (2^128 stands in for inf, as IEEE rounds as if the exponent were unbounded). With exact
     * = true the distances are BigDecimals; otherwise doubles, which are exact here too (v, lo, hi
     * have 24-bit significands within one binade, so v − lo and hi − v fit in 53 bits).
     */
    static short bf16ByDistance(float v, boolean exact) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isInfinite(v)) return (short) (bits >>> 16);
        int sign = bits & 0x80000000, mag = bits & 0x7FFFFFFF;
        int lo = mag & 0xFFFF0000, hi = lo + 0x10000;
        double x = Math.abs((double) v), vlo = f(lo), vhi = hi == 0x7F800000 ? Math.scalb(1.0, 128) : f(hi);
        int c = exact ? new BigDecimal(x).subtract(new BigDecimal(vlo)).compareTo(new BigDecimal(vhi).subtract(new BigDecimal(x)))
                : Double.compare(x - vlo, vhi - x);
        int pick = c < 0 ? lo : c > 0 ? hi : (((lo >>> 16) & 1) == 0 ? lo : hi);
        return (short) ((sign | pick) >>> 16);
    }

    @Test void bf16AgreesWithExactRoundingOnRandomFloats() {
        Rng rng = new Rng(11);
        for (int n = 0; n < 1_000_000; n++) {
            float v;
            if (n % 4 == 0) v = (float) (rng.nextGaussian() * 3);                  // ordinary values
            else if (n % 4 == 1) v = f((int) rng.nextLong() & 0xFFFF8000 | (n % 3 == 0 ? 0x8000 : 0)); // many exact ties
            else v = f((int) rng.nextLong());                                     // every exponent
            if (Float.isNaN(v)) continue;
            short want = bf16ByDistance(v, n < 50_000), got = bf(v);              // BigDecimal on the first 50k, exact doubles after
            if (want != got) fail("floatToBf16(" + v + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(v))
                    + ") = 0x" + Integer.toHexString(got & 0xFFFF) + ", exact rounding gives 0x" + Integer.toHexString(want & 0xFFFF));
        }
    }

    /** RNE of v to f16 by searching the sorted positive f16 values (0x0000..0x7BFF are increasing). */
    static short f16ByDistance(float v, double[] table) {
        double x = Math.abs((double) v);
        int sign = Float.floatToRawIntBits(v) < 0 ? 0x8000 : 0;
        int pick;
        if (x >= 65520.0) pick = 0x7C00;                                  // ≥ max + ulp/2: overflow (65520 ties to the even 'next', inf)
        else {
            int lo = 0, hi = 0x7BFF;
            while (lo < hi) { int mid = (lo + hi + 1) >>> 1; if (table[mid] <= x) lo = mid; else hi = mid - 1; }
            if (table[lo] == x || lo == 0x7BFF) pick = lo;
            else {
                double dlo = x - table[lo], dhi = table[lo + 1] - x;   // exact in double
                pick = dlo < dhi ? lo : dlo > dhi ? lo + 1 : ((lo & 1) == 0 ? lo : lo + 1);
            }
        }
        return (short) (sign | pick);
    }

    @Test void f16AgreesWithExactRoundingOnRandomFloats() {
        double[] table = new double[0x7C00];
        for (int b = 0; b < 0x7C00; b++) table[b] = f16Formula(b);
        Rng rng = new Rng(12);
        for (int n = 0; n < 300_000; n++) {
            float v = n % 2 == 0 ? (float) (rng.nextGaussian() * Math.pow(2, rng.nextInt(40) - 26))
                    : (float) (DType.F16.decode((short) rng.nextInt(0x7C00)) + (rng.nextInt(3) - 1) * Math.scalb(1.0, -25 + rng.nextInt(20)));
            short want = f16ByDistance(v, table), got = f16(v);
            if (want != got) fail("F16.encode(" + v + ") = 0x" + Integer.toHexString(got & 0xFFFF) + ", exact rounding gives 0x" + Integer.toHexString(want & 0xFFFF));
        }
    }

    @Test void arraysAndParse() {
        float[] src = {0f, 1f, -2.5f, 65504f, 1f + 0x1p-8f};
        for (DType t : new DType[] {DType.BF16, DType.F16}) {
            short[] h = new short[src.length + 2];
            t.encode(h, 1, src, 0, src.length);
            float[] back = new float[src.length + 1];
            t.decode(back, 1, h, 1, src.length);
            for (int i = 0; i < src.length; i++) assertEquals(t.decode(t.encode(src[i])), back[i + 1]);
        }
        assertEquals(DType.BF16, DType.parse("BF16"));
        assertEquals(DType.F16, DType.parse("fp16"));
        assertEquals(DType.F32, DType.parse("float32"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DType.parse("int8"));
        assertTrue(e.getMessage().contains("int8"));
        assertThrows(IllegalStateException.class, () -> DType.F32.encode(1f));
    }
}
