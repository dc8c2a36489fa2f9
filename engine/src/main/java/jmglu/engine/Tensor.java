package jmglu.engine;

import java.util.Arrays;

/**
 * An n-dimensional row-major array. F32 tensors hold floats (compute); BF16/F16 tensors hold
 * raw 16-bit patterns (storage, e.g. deployment weights) and convert with {@link #to(DType)}.
 *
 * <p>Views are cheap: {@link #reshape} and {@link #rows} share the storage and differ only in
 * shape and offset. Element (i0, …, ik) lives at {@code offset + Σ i_j · stride_j} with
 * row-major strides (the last dimension contiguous); a view is always contiguous.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final float[] f32;     // F32 storage, or null
    private final short[] half;    // BF16/F16 storage, or null
    private final int offset;
    private final int size;

    private Tensor(DType dtype, int[] shape, float[] f32, short[] half, int offset) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.f32 = f32;
        this.half = half;
        this.offset = offset;
        this.size = checkedSize(shape);
        int cap = f32 != null ? f32.length : half.length;
        if (offset < 0 || (long) offset + size > cap)
            throw new IllegalArgumentException("Tensor: shape " + Arrays.toString(shape) + " at offset " + offset + " exceeds storage of " + cap);
    }

    // ---------------------------------------------------------------- construction
    public static Tensor zeros(int... shape) { return new Tensor(DType.F32, shape, new float[checkedSize("Tensor.zeros", shape)], null, 0); }

    /** Wraps an array (no copy). */
    public static Tensor of(float[] data, int... shape) {
        if (data.length != checkedSize("Tensor.of", shape))
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values for shape " + Arrays.toString(shape));
        return new Tensor(DType.F32, shape, data, null, 0);
    }

    /** Wraps 16-bit patterns of type dtype (BF16 or F16) (no copy). */
    public static Tensor ofHalf(DType dtype, short[] bits, int... shape) {
        if (dtype == DType.F32) throw new IllegalArgumentException("Tensor.ofHalf: dtype must be BF16 or F16");
        if (bits.length != checkedSize("Tensor.ofHalf", shape))
            throw new IllegalArgumentException("Tensor.ofHalf: " + bits.length + " values for shape " + Arrays.toString(shape));
        return new Tensor(dtype, shape, null, bits, 0);
    }

    /** std · N(0, 1) entries from rng. */
    public static Tensor randn(Rng rng, double std, int... shape) {
        Tensor t = new Tensor(DType.F32, shape, new float[checkedSize("Tensor.randn", shape)], null, 0);
        rng.fillGaussian(t.f32, 0, t.size, std);
        return t;
    }

    static int checkedSize(int[] shape) { return checkedSize("Tensor", shape); }

    /** The element count of shape; op names the caller in the error. */
    static int checkedSize(String op, int[] shape) {
        if (shape == null || shape.length == 0) throw new IllegalArgumentException(op + ": a shape needs at least one dimension");
        long n = 1;
        for (int s : shape) {
            if (s <= 0) throw new IllegalArgumentException(op + ": dimensions must be positive, got " + Arrays.toString(shape));
            n *= s;
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has more than 2^31 elements");
        }
        return (int) n;
    }

    // ---------------------------------------------------------------- shape
    public DType dtype() { return dtype; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public int size() { return size; }
    public int offset() { return offset; }

    /** The float storage (shared; elements [offset, offset + size) belong to this tensor). F32 only. */
    public float[] data() {
        if (f32 == null) throw new IllegalStateException("Tensor.data: a " + dtype + " tensor has no float storage; use to(F32)");
        return f32;
    }

    /** The 16-bit storage of a BF16/F16 tensor (shared). */
    public short[] halfData() {
        if (half == null) throw new IllegalStateException("Tensor.halfData: an F32 tensor has no 16-bit storage");
        return half;
    }

    /** A view with a new shape of the same size (one dimension may be -1). */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Arrays.toString(newShape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0 && known > 0 && size % known == 0) s[infer] = (int) (size / known);
        if (infer >= 0 && s[infer] == -1 || checkedSize("reshape", s) != size)
            throw new IllegalArgumentException("reshape: cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(newShape));
        return new Tensor(dtype, s, f32, half, offset);
    }

    /** A view of rows [from, to) along the first dimension. */
    public Tensor rows(int from, int to) {
        if (from < 0 || to > shape[0] || from >= to)
            throw new IllegalArgumentException("rows: [" + from + ", " + to + ") is not a non-empty range of " + shape[0] + " rows");
        int[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(dtype, s, f32, half, offset + from * (size / shape[0]));
    }

    /** Row i along the first dimension, as a view without that dimension (a rank-1 tensor stays rank 1 with one element). */
    public Tensor row(int i) {
        Tensor r = rows(i, i + 1);
        return shape.length == 1 ? r : r.reshape(Arrays.copyOfRange(shape, 1, shape.length));
    }

    // ---------------------------------------------------------------- elements
    private int index(int[] idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("index: " + idx.length + " indices for shape " + Arrays.toString(shape));
        int flat = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside shape " + Arrays.toString(shape));
            flat = flat * shape[i] + idx[i];
        }
        return offset + flat;
    }

    public float get(int... idx) { int i = index(idx); return f32 != null ? f32[i] : dtype.decode(half[i]); }

    public void set(float v, int... idx) { int i = index(idx); if (f32 != null) f32[i] = v; else half[i] = dtype.encode(v); }

    /** The elements as a new float array. */
    public float[] toArray() {
        float[] out = new float[size];
        if (f32 != null) System.arraycopy(f32, offset, out, 0, size);
        else dtype.decode(out, 0, half, offset, size);
        return out;
    }

    /** A contiguous copy in the given storage type (round to nearest even when narrowing). */
    public Tensor to(DType target) {
        if (target == DType.F32) return new Tensor(DType.F32, shape, toArray(), null, 0);
        short[] h = new short[size];
        if (f32 != null) target.encode(h, 0, f32, offset, size);
        else for (int i = 0; i < size; i++) h[i] = target.encode(dtype.decode(half[offset + i]));
        return new Tensor(target, shape, null, h, 0);
    }

    /** A deep copy (same dtype). */
    public Tensor copy() {
        return f32 != null ? new Tensor(dtype, shape, toArray(), null, 0)
                : new Tensor(dtype, shape, null, Arrays.copyOfRange(half, offset, offset + size), 0);
    }

    /** This (d, h) tensor as a kernel weight matrix in its storage type (F32 data is shared when the view starts at 0). */
    public WeightMatrix asWeights() {
        if (shape.length != 2) throw new IllegalArgumentException("asWeights: needs a (rows, cols) tensor, got " + Arrays.toString(shape));
        if (f32 != null) return new WeightMatrix(DType.F32, shape[0], shape[1], offset == 0 ? f32 : toArray(), null);
        return new WeightMatrix(dtype, shape[0], shape[1], null, offset == 0 ? half : Arrays.copyOfRange(half, offset, offset + size));
    }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    @Override public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype;
    }
}
