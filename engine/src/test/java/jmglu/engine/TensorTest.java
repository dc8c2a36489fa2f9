package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Tensor views share storage, dtype conversion round trips, bad shapes name the op. */
class TensorTest {

    static Tensor iota(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) t.data()[i] = i;
        return t;
    }

    @Test void reshapeRowsAndRowAreViews() {
        Tensor t = iota(2, 3, 4);                                   // (B, T, C) = (2, 3, 4)
        Tensor r = t.reshape(-1, 4);
        assertArrayEquals(new int[] {6, 4}, r.shape());
        assertSame(t.data(), r.data(), "reshape shares storage");
        r.set(100f, 5, 3);                                          // flat 23 = (1, 2, 3)
        assertEquals(100f, t.get(1, 2, 3));
        assertArrayEquals(new int[] {2, 12}, t.reshape(2, -1).shape());

        Tensor rows = t.rows(1, 2);                                 // (1, 3, 4) starting at element 12
        assertArrayEquals(new int[] {1, 3, 4}, rows.shape());
        assertEquals(12, rows.offset());
        assertEquals(12f, rows.get(0, 0, 0));
        rows.set(-1f, 0, 1, 2);
        assertEquals(-1f, t.get(1, 1, 2), "rows shares storage");

        Tensor row = t.row(1).row(2);                               // (C) = elements 20..23
        assertArrayEquals(new int[] {4}, row.shape());
        assertArrayEquals(new float[] {20, 21, 22, 100}, row.toArray());
        row.set(7f, 0);
        assertEquals(7f, t.get(1, 2, 0));
        Tensor view = t.rows(1, 2).reshape(3, 4);                   // a view of a view keeps the offset
        assertEquals(7f, view.get(2, 0));
        assertArrayEquals(new int[] {1}, iota(5).row(3).shape(), "a rank-1 row keeps one element");
        assertEquals(3f, iota(5).row(3).get(0));

        Tensor c = t.copy();
        c.set(55f, 0, 0, 0);
        assertEquals(0f, t.get(0, 0, 0), "copy does not share");
        assertTrue(c.sameShape(t));
        assertEquals(4, t.dim(-1), "dim(-1) is the last dimension");
    }

    @Test void halfTypesRoundTrip() {
        float[] v = {0f, 1f, -2.5f, 3.140625f, 1f + 0x1p-8f, 65504f, 1e-3f};
        Tensor t = Tensor.of(v.clone(), 7);
        for (DType d : new DType[] {DType.BF16, DType.F16}) {
            Tensor h = t.to(d);
            assertEquals(d, h.dtype());
            for (int i = 0; i < v.length; i++) {
                assertEquals(d.decode(d.encode(v[i])), h.get(i), d + " element " + i + " is the RNE rounding");
                assertEquals(h.toShorts()[i], d.encode(v[i]));
            }
            Tensor back = h.to(DType.F32);
            assertArrayEquals(h.toArray(), back.toArray());
            assertArrayEquals(h.toShorts(), back.to(d).toShorts(), d + ": f32 → " + d + " → f32 → " + d + " is stable");
            Tensor other = h.to(d == DType.BF16 ? DType.F16 : DType.BF16);           // half to half goes through float
            DType o = other.dtype();
            for (int i = 0; i < v.length; i++) assertEquals(o.decode(o.encode(h.get(i))), other.get(i));
            Tensor view = h.reshape(7).rows(2, 5);
            assertArrayEquals(new float[] {h.get(2), h.get(3), h.get(4)}, view.to(DType.F32).toArray(), "to() of a half view");
            assertThrows(IllegalStateException.class, h::data);
            WeightMatrix w = h.reshape(1, 7).asWeights();
            assertEquals(d, w.dtype());
            assertArrayEquals(h.toArray(), w.toFloat());
        }
        assertEquals(3.140625f, t.to(DType.BF16).get(3), "3.140625 = 1.5703125·2 is exact in bf16");
        WeightMatrix w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2).rows(1, 3).asWeights();  // offset view: copied
        assertArrayEquals(new float[] {3, 4, 5, 6}, w.toFloat());
    }

    static void throwsNaming(String op, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op), "message '" + e.getMessage() + "' should name " + op);
    }

    @Test void badShapesNameTheOp() {
        throwsNaming("Tensor.zeros", () -> Tensor.zeros(2, 0));
        throwsNaming("Tensor.zeros", () -> Tensor.zeros());
        throwsNaming("Tensor.zeros", () -> Tensor.zeros(-3));
        throwsNaming("Tensor.zeros", () -> Tensor.zeros(1 << 16, 1 << 16));
        throwsNaming("Tensor.of", () -> Tensor.of(new float[5], 2, 3));
        throwsNaming("Tensor.of", () -> Tensor.of(new float[0], 0));
        throwsNaming("Tensor.ofHalf", () -> Tensor.ofHalf(DType.F32, new short[1], 1));
        throwsNaming("Tensor.ofHalf", () -> Tensor.ofHalf(DType.BF16, new short[3], 2));
        throwsNaming("Tensor.randn", () -> Tensor.randn(new Rng(1), 1, 0));
        Tensor t = Tensor.zeros(2, 3);
        throwsNaming("reshape", () -> t.reshape(4, 2));
        throwsNaming("reshape", () -> t.reshape(-1, -1));
        throwsNaming("reshape", () -> t.reshape(-1, 4));
        throwsNaming("reshape", () -> t.reshape(0, -1));
        throwsNaming("rows", () -> t.rows(1, 1));
        throwsNaming("rows", () -> t.rows(0, 3));
        throwsNaming("rows", () -> t.row(-1));
        throwsNaming("index", () -> t.get(1));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        throwsNaming("asWeights", () -> Tensor.zeros(2, 3, 4).asWeights());
        throwsNaming("WeightMatrix.of", () -> WeightMatrix.of(DType.F16, new float[3], -1, 3));
        throwsNaming("WeightMatrix.of", () -> WeightMatrix.of(DType.F32, new float[3], 2, 2));
        throwsNaming("WeightMatrix", () -> new WeightMatrix(DType.BF16, 2, 2, java.lang.foreign.MemorySegment.ofArray(new float[4])));
        throwsNaming("WeightMatrix", () -> new WeightMatrix(DType.F32, 0, 2, java.lang.foreign.MemorySegment.ofArray(new float[4])));
    }
}
