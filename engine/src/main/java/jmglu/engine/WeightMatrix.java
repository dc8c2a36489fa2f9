package jmglu.engine;

import java.lang.foreign.MemorySegment;

/**
 * The kernels' view of a stored (rows, cols) weight matrix: dtype, shape and the bytes, row-major
 * like nn.Linear (one output row = cols contiguous values), little-endian. The bytes are a
 * {@link MemorySegment}: a Java array, off-heap memory or a read-only file mapping; a view, never
 * a copy ({@link Tensor#asWeights()}). Row r starts at byte r · cols · dtype.bytes.
 */
public record WeightMatrix(DType dtype, int rows, int cols, MemorySegment seg) {

    public WeightMatrix {
        if (dtype == null || dtype == DType.I32) throw new IllegalArgumentException("WeightMatrix: dtype must be F32, BF16 or F16, got " + dtype);
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("WeightMatrix: empty shape (" + rows + ", " + cols + ")");
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("WeightMatrix: shape (" + rows + ", " + cols + ") has more than 2^31 elements");
        if (seg == null || seg.byteSize() != n * dtype.bytes)
            throw new IllegalArgumentException("WeightMatrix: " + dtype + " (" + rows + ", " + cols + ") needs " + n * dtype.bytes
                    + " bytes, storage has " + (seg == null ? "none" : seg.byteSize()));
    }

    /** Converts a float32 (rows, cols) matrix into the given storage type (a heap copy, RNE rounding). */
    public static WeightMatrix of(DType dtype, float[] w, int rows, int cols) {
        long n = (long) rows * cols;
        if (rows <= 0 || cols <= 0 || w.length < n)
            throw new IllegalArgumentException("WeightMatrix.of: array has " + w.length + " elements, shape (" + rows + ", " + cols + ")");
        return Tensor.of(java.util.Arrays.copyOf(w, (int) n), rows, cols).to(dtype).asWeights();
    }

    /** A float32 matrix over w[off, off + rows·cols) (no copy). */
    public static WeightMatrix ofF32(float[] w, int off, int rows, int cols) {
        long n = (long) rows * cols;
        if (off < 0 || off + n > w.length)
            throw new IllegalArgumentException("WeightMatrix.ofF32: (" + rows + ", " + cols + ") at " + off + " exceeds an array of " + w.length);
        return new WeightMatrix(DType.F32, rows, cols, MemorySegment.ofArray(w).asSlice(4L * off, 4 * n));
    }

    /** Element (r, c) as float. */
    public float get(int r, int c) {
        long i = (long) r * cols + c;
        return dtype == DType.F32 ? seg.getAtIndex(DType.LE_FLOAT, i) : dtype.decode(seg.getAtIndex(DType.LE_SHORT, i));
    }

    /** The whole matrix widened to float32 (a new array). */
    public float[] toFloat() { return Tensor.wrap(dtype, seg, rows, cols).toArray(); }

    /** As a tensor over the same bytes (no copy). */
    public Tensor tensor() { return Tensor.wrap(dtype, seg, rows, cols); }

    /** Bytes the kernels read to stream this matrix once. */
    public long bytes() { return (long) rows * cols * dtype.bytes; }
}
