package jmglu.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jmglu.engine.DType;
import jmglu.engine.Tensor;

/**
 * One tensor as stored in a safetensors file: dtype, shape and the raw little-endian bytes.
 * Converts to and from engine Tensors (F32, BF16, F16) and int arrays (I32 mask bit-planes).
 */
public record RawTensor(DT dtype, int[] shape, byte[] data) {

    /** The safetensors dtypes jmglu reads and writes. */
    public enum DT {
        F32(4), BF16(2), F16(2), I32(4), U8(1);
        public final int bytes;
        DT(int bytes) { this.bytes = bytes; }

        static DT parse(String s) {
            for (DT d : values()) if (d.name().equals(s)) return d;
            return null;
        }

        static DT of(DType t) {
            return switch (t) { case F32 -> F32; case BF16 -> BF16; case F16 -> F16; };
        }
    }

    public long count() {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    private ByteBuffer le() { return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN); }

    // ---------------------------------------------------------------- from jmglu values
    /** A tensor in its own storage type (F32 or 16-bit). */
    public static RawTensor of(Tensor t) {
        int n = t.size();
        ByteBuffer b = ByteBuffer.allocate(n * t.dtype().bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (t.dtype() == DType.F32) {
            float[] a = t.data();
            for (int i = 0; i < n; i++) b.putFloat(a[t.offset() + i]);
        } else {
            short[] a = t.halfData();
            for (int i = 0; i < n; i++) b.putShort(a[t.offset() + i]);
        }
        return new RawTensor(DT.of(t.dtype()), t.shape(), b.array());
    }

    public static RawTensor ofFloats(float[] a, int... shape) { return of(Tensor.of(a, shape)); }

    public static RawTensor ofInts(int[] a, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : a) b.putInt(v);
        return new RawTensor(DT.I32, shape.clone(), b.array());
    }

    // ---------------------------------------------------------------- to jmglu values
    /** As an engine Tensor: F32 stays F32, BF16/F16 stay 16-bit patterns. */
    public Tensor toTensor(String name) {
        int n = (int) count();
        if (shape.length == 0) throw new IllegalArgumentException("tensor '" + name + "' is a scalar; expected an array");
        ByteBuffer b = le();
        return switch (dtype) {
            case F32 -> { float[] a = new float[n]; b.asFloatBuffer().get(a); yield Tensor.of(a, shape); }
            case BF16, F16 -> {
                short[] a = new short[n]; b.asShortBuffer().get(a);
                yield Tensor.ofHalf(dtype == DT.BF16 ? DType.BF16 : DType.F16, a, shape);
            }
            default -> throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + "; expected F32, BF16 or F16");
        };
    }

    /** Widened to float32 values. */
    public float[] toFloats(String name) { return toTensor(name).toArray(); }

    /** I32 values (U8 is widened). */
    public int[] toInts(String name) {
        int n = (int) count();
        int[] a = new int[n];
        switch (dtype) {
            case I32 -> le().asIntBuffer().get(a);
            case U8 -> { for (int i = 0; i < n; i++) a[i] = data[i] & 0xFF; }
            default -> throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + "; expected I32 or U8");
        }
        return a;
    }

    /** Throws naming the tensor unless the shape is exactly the expected one. */
    public RawTensor expectShape(String name, int... expected) {
        if (!Arrays.equals(shape, expected))
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape) + ", expected " + Arrays.toString(expected));
        return this;
    }
}
