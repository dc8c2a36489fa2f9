package jmglu.engine;

/**
 * nm binary masks over a (rows, cols) weight matrix, packed as bit-planes: exactly nm bits per
 * weight element (each row padded to a multiple of 32 elements).
 *
 * <pre>
 *   wordsPerRow = ceil(cols / 32)
 *   bits[(r * nm + i) * wordsPerRow + w]  bit j  =  M_i[r, 32·w + j]
 * </pre>
 * The nm planes of one output row are adjacent, so a kernel that streams row r of W reads the
 * masks of that row as one contiguous run of nm·wordsPerRow ints. Padding bits are zero.
 */
public record MaskPlanes(int nm, int rows, int cols, int[] bits) {

    public static final int MAX_MASKS = 16;

    public MaskPlanes {
        checkNm(nm, "MaskPlanes");
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("MaskPlanes: empty shape (" + rows + ", " + cols + ")");
        if (bits.length != (long) rows * nm * wordsPerRow(cols))
            throw new IllegalArgumentException("MaskPlanes: " + bits.length + " words, expected " + (long) rows * nm * wordsPerRow(cols)
                    + " for nm=" + nm + " and shape (" + rows + ", " + cols + ")");
    }

    public static int wordsPerRow(int cols) { return (cols + 31) >>> 5; }

    public int wordsPerRow() { return wordsPerRow(cols); }

    /** M_i[r, c] as 0 or 1. */
    public int get(int i, int r, int c) {
        return (bits[(r * nm + i) * wordsPerRow() + (c >>> 5)] >>> (c & 31)) & 1;
    }

    /** Bytes a kernel reads to stream all masks once (nm bits per element, rows padded to 32). */
    public long bytes() { return (long) bits.length * 4; }

    public static void checkNm(int nm, String op) {
        if (nm < 1 || nm > MAX_MASKS) throw new IllegalArgumentException(op + ": nm must be in 1.." + MAX_MASKS + ", got " + nm);
    }
}
