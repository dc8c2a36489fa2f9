package jmglu.engine;

/**
 * Packs nm masks (or mask logits: an element is 1 where the value is &gt; 0, the hard mask
 * M = 1[L &gt; 0] of docs/DESIGN.md) into the formats the kernels read.
 * <ul>
 *   <li>bit-planes ({@link MaskPlanes}): nm bits per element, jmglu's format;</li>
 *   <li>one byte per element, bit i = mask i (the paper's FlashMGLU layout, nm ≤ 8): kept to
 *       compare the traffic of the two layouts.</li>
 * </ul>
 * The input layout is (nm, rows, cols) row-major: mask i is the contiguous block i.
 */
public final class MaskPacker {
    private MaskPacker() {}

    /** (nm, rows, cols) floats → bit-planes; element on where value &gt; 0. */
    public static MaskPlanes pack(float[] masks, int nm, int rows, int cols) {
        MaskPlanes.checkNm(nm, "MaskPacker.pack");
        checkSize(masks.length, nm, rows, cols);
        int wpr = MaskPlanes.wordsPerRow(cols);
        int[] bits = new int[rows * nm * wpr];
        for (int i = 0; i < nm; i++)
            for (int r = 0; r < rows; r++) {
                int src = (i * rows + r) * cols, dst = (r * nm + i) * wpr;
                for (int c = 0; c < cols; c++)
                    if (masks[src + c] > 0f) bits[dst + (c >>> 5)] |= 1 << (c & 31);
            }
        return new MaskPlanes(nm, rows, cols, bits);
    }

    /** Bit-planes → (nm, rows, cols) floats of 0 and 1. */
    public static float[] unpack(MaskPlanes m) {
        float[] out = new float[m.nm() * m.rows() * m.cols()];
        for (int i = 0; i < m.nm(); i++)
            for (int r = 0; r < m.rows(); r++)
                for (int c = 0; c < m.cols(); c++)
                    out[(i * m.rows() + r) * m.cols() + c] = m.get(i, r, c);
        return out;
    }

    /** (nm, rows, cols) floats → one byte per element, bit i = mask i (the paper's layout, nm ≤ 8). */
    public static byte[] packBytes(float[] masks, int nm, int rows, int cols) {
        if (nm < 1 || nm > 8) throw new IllegalArgumentException("MaskPacker.packBytes: the one-byte layout holds nm in 1..8, got " + nm);
        checkSize(masks.length, nm, rows, cols);
        int n = rows * cols;
        byte[] out = new byte[n];
        for (int i = 0; i < nm; i++)
            for (int e = 0; e < n; e++)
                if (masks[i * n + e] > 0f) out[e] |= (byte) (1 << i);
        return out;
    }

    /** One byte per element → (nm, rows, cols) floats of 0 and 1. */
    public static float[] unpackBytes(byte[] packed, int nm, int rows, int cols) {
        if (nm < 1 || nm > 8) throw new IllegalArgumentException("MaskPacker.unpackBytes: the one-byte layout holds nm in 1..8, got " + nm);
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("MaskPacker.unpackBytes: empty shape (" + rows + ", " + cols + ")");
        int n = rows * cols;
        if (packed.length != n) throw new IllegalArgumentException("MaskPacker.unpackBytes: " + packed.length + " bytes for shape (" + rows + ", " + cols + ")");
        float[] out = new float[nm * n];
        for (int i = 0; i < nm; i++)
            for (int e = 0; e < n; e++) out[i * n + e] = (packed[e] >>> i) & 1;
        return out;
    }

    private static void checkSize(int len, int nm, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("MaskPacker: empty shape (" + rows + ", " + cols + ")");
        if (len != (long) nm * rows * cols)
            throw new IllegalArgumentException("MaskPacker: " + len + " values, expected nm·rows·cols = " + nm + "·" + rows + "·" + cols);
    }
}
