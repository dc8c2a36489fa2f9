package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/** Mask packing: both layouts round trip, the bit-plane addressing is the documented one, padding is zero, bad input throws. */
class MaskPackerTest {
    final Rng rng = new Rng(5);

    @Test void bitPlanesRoundTripAndAddressing() {
        for (int nm : new int[] {1, 2, 3, 8, 15, 16}) for (int rows : new int[] {1, 3, 7}) for (int cols : Check.AWKWARD) {
            float[] m = Check.randomMasks(rng, nm, rows, cols);
            MaskPlanes p = MaskPacker.pack(m, nm, rows, cols);
            assertArrayEquals(m, MaskPacker.unpack(p), "round trip nm=" + nm + " (" + rows + "," + cols + ")");
            int wpr = (cols + 31) / 32;
            assertEquals(wpr, p.wordsPerRow());
            int[] bits = p.toInts();
            assertEquals(rows * nm * wpr, bits.length);
            assertEquals(4L * rows * nm * wpr, p.bytes());
            for (int i = 0; i < nm; i++) for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) {
                int want = (int) m[(i * rows + r) * cols + c];
                assertEquals(want, p.get(i, r, c));
                // the documented layout: word (r·nm + i)·wpr + c/32, bit c mod 32
                assertEquals(want, (bits[(r * nm + i) * wpr + c / 32] >> (c % 32)) & 1);
            }
            for (int w = 0; w < bits.length; w++) {          // padding bits (columns ≥ cols of each last word) are zero
                int used = cols - (w % wpr) * 32;
                if (used < 32) assertEquals(0, bits[w] >>> used, "padding bits of word " + w + " (cols " + cols + ")");
            }
        }
    }

    @Test void logitsPackAsTheHardMask() {
        float[] logits = {0.3f, -0.2f, 0f, 1e-30f, -0f, Float.NaN};   // M = 1[L > 0]: 0, −0 and NaN are off
        MaskPlanes p = MaskPacker.pack(logits, 1, 1, 6);
        assertArrayEquals(new float[] {1, 0, 0, 1, 0, 0}, MaskPacker.unpack(p));
    }

    @Test void byteLayoutRoundTrip() {
        for (int nm = 1; nm <= 8; nm++) for (int cols : Check.AWKWARD) {
            int rows = 3;
            float[] m = Check.randomMasks(rng, nm, rows, cols);
            byte[] b = MaskPacker.packBytes(m, nm, rows, cols);
            assertEquals(rows * cols, b.length);
            assertArrayEquals(m, MaskPacker.unpackBytes(b, nm, rows, cols), "byte round trip nm=" + nm);
            for (int e = 0; e < rows * cols; e++) {
                for (int i = 0; i < nm; i++) assertEquals((int) m[i * rows * cols + e], (b[e] >> i) & 1);
                assertEquals(0, (b[e] & 0xFF) >>> nm, "bits above nm are zero");
            }
        }
    }

    @Test void badInputThrowsNamingTheOp() {
        float[] one = {1f};
        for (int nm : new int[] {0, -1, 17}) {
            int n = nm;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskPacker.pack(one, n, 1, 1));
            assertTrue(e.getMessage().contains("MaskPacker.pack") && e.getMessage().contains("" + n), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new MaskPlanes(n, 1, 1, new int[Math.max(0, n)]));
            assertTrue(e.getMessage().contains("MaskPlanes"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MaskPacker.packBytes(new float[9], 9, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> MaskPacker.unpackBytes(new byte[1], 9, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> MaskPacker.unpackBytes(new byte[1], 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> MaskPacker.unpackBytes(new byte[2], 1, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskPacker.pack(new float[5], 2, 1, 3));
        assertTrue(e.getMessage().contains("MaskPacker") && e.getMessage().contains("5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MaskPacker.pack(new float[0], 1, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> MaskPacker.pack(new float[3], 1, -1, -3));
        assertThrows(IllegalArgumentException.class, () -> new MaskPlanes(2, 1, 33, new int[3]), "wrong word count");
        assertThrows(IllegalArgumentException.class, () -> new MaskPlanes(1, 0, 5, new int[0]), "empty shape");
    }
}
