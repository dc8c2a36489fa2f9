package jmglu.engine;

/**
 * A (rows, cols) row-major weight matrix in one storage type, as the inference kernels read it:
 * like nn.Linear, one output row = cols contiguous values. F32 lives in {@code f32}; BF16 and
 * F16 live as raw 16-bit patterns in {@code half} (the other array is null).
 */
public record WeightMatrix(DType dtype, int rows, int cols, float[] f32, short[] half) {

    public WeightMatrix {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("WeightMatrix: empty shape (" + rows + ", " + cols + ")");
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("WeightMatrix: shape (" + rows + ", " + cols + ") has more than 2^31 elements");
        if (dtype == null) throw new IllegalArgumentException("WeightMatrix: dtype is null");
        if (dtype == DType.F32 ? (f32 == null || f32.length < n) : (half == null || half.length < n))
            throw new IllegalArgumentException("WeightMatrix: " + dtype + " storage too small for (" + rows + ", " + cols + ")");
    }

    /** Converts a float32 (rows, cols) matrix into the given storage type (a copy, RNE rounding). */
    public static WeightMatrix of(DType dtype, float[] w, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("WeightMatrix.of: empty shape (" + rows + ", " + cols + ")");
        if ((long) rows * cols > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("WeightMatrix.of: shape (" + rows + ", " + cols + ") has more than 2^31 elements");
        if (w.length < (long) rows * cols) throw new IllegalArgumentException("WeightMatrix.of: array has " + w.length + " elements, shape (" + rows + ", " + cols + ") needs " + (long) rows * cols);
        if (dtype == DType.F32) return new WeightMatrix(dtype, rows, cols, java.util.Arrays.copyOf(w, rows * cols), null);
        short[] h = new short[rows * cols];
        dtype.encode(h, 0, w, 0, rows * cols);
        return new WeightMatrix(dtype, rows, cols, null, h);
    }

    /** Element (r, c) as float. */
    public float get(int r, int c) {
        int i = r * cols + c;
        return dtype == DType.F32 ? f32[i] : dtype.decode(half[i]);
    }

    /** The whole matrix widened to float32 (a new array). */
    public float[] toFloat() {
        float[] out = new float[rows * cols];
        if (dtype == DType.F32) System.arraycopy(f32, 0, out, 0, out.length);
        else dtype.decode(out, 0, half, 0, out.length);
        return out;
    }

    /** Bytes the kernels read to stream this matrix once. */
    public long bytes() { return (long) rows * cols * dtype.bytes; }
}
