package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The sampling reference: the inverse CDF of softmax(l / T) over the top k, checked against numbers worked by hand. */
class SamplingTest {

    /** l = ln(1, 2, 3, 4) at T = 1: p = (0.1, 0.2, 0.3, 0.4); u on a grid of 1000 falls in each interval p·1000 times. */
    @Test void drawsFollowTheSoftmax() {
        float[] l = {0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        int[] count = new int[4];
        for (int i = 0; i < 1000; i++) count[Sampling.draw(l, 0, 4, 1f, 0, (i + 0.5) / 1000)]++;
        assertArrayEquals(new int[] {100, 200, 300, 400}, count);
        // T = 0.5 squares the odds: p ∝ (1, 4, 9, 16) / 30
        count = new int[4];
        for (int i = 0; i < 3000; i++) count[Sampling.draw(l, 0, 4, 0.5f, 0, (i + 0.5) / 3000)]++;
        assertArrayEquals(new int[] {100, 400, 900, 1600}, count);
    }

    /** Top-k: the k largest renormalised (ln 3, ln 4 at k = 2: 3/7, 4/7); ties at the k-th value are all kept. */
    @Test void topKKeepsTheLargestAndItsTies() {
        float[] l = {0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        int[] count = new int[4];
        for (int i = 0; i < 700; i++) count[Sampling.draw(l, 0, 4, 1f, 2, (i + 0.5) / 700)]++;
        assertArrayEquals(new int[] {0, 0, 300, 400}, count);
        float[] ties = {1f, 5f, 1f, 5f, 5f, 0f};                        // k = 2, but three 5s tie: all three kept, 1/3 each
        count = new int[6];
        for (int i = 0; i < 300; i++) count[Sampling.draw(ties, 0, 6, 1f, 2, (i + 0.5) / 300)]++;
        assertArrayEquals(new int[] {0, 100, 0, 100, 100, 0}, count);
        assertEquals(3, Sampling.draw(l, 0, 4, 1f, 1, 0.0), "k = 1 is the argmax");
    }

    /** Greedy, offsets, and the rows with no distribution. */
    @Test void greedyOffsetsAndCorruptRows() {
        float[] a = {9f, 0f, 3f, 3f, 1f};
        assertEquals(1, Sampling.draw(a, 1, 4, 0f, 0, 0.99), "T = 0: argmax of a[1..5), ties to the lower index");
        assertEquals(0, Sampling.draw(a, 1, 1, 1f, 0, 0.5), "one entry is always drawn");
        float inf = Float.POSITIVE_INFINITY;
        assertEquals(-1, Sampling.draw(new float[] {0f, Float.NaN}, 0, 2, 1f, 0, 0.5));
        assertEquals(-1, Sampling.draw(new float[] {0f, inf}, 0, 2, 0f, 0, 0.5));
        assertEquals(-1, Sampling.draw(new float[] {-inf, -inf}, 0, 2, 1f, 0, 0.5), "only −∞: nothing to draw");
        assertEquals(0, Sampling.draw(new float[] {-inf, -inf}, 0, 2, 0f, 0, 0.5), "greedy keeps argmax's answer");
        assertEquals(1, Sampling.draw(new float[] {-inf, 2f, -inf}, 0, 3, 1f, 0, 0.999), "−∞ among finite values has p = 0");
        assertThrows(IllegalArgumentException.class, () -> Sampling.check(-1f, 0));
        assertThrows(IllegalArgumentException.class, () -> Sampling.check(1f, -1));
    }
}
