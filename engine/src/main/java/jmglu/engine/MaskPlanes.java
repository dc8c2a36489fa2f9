package jmglu.engine;

import java.lang.foreign.MemorySegment;

/**
 * nm binary masks over a (rows, cols) weight matrix, packed as bit-planes: exactly nm bits per
 * weight element (each row padded to a multiple of 32 elements). The words are little-endian
 * ints in a {@link MemorySegment} (a Java array, off-heap memory, or a read-only file mapping:
 * a view, never a copy).
 *
 * <pre>
 *   wordsPerRow = ceil(cols / 32)
 *   word[(r * nm + i) * wordsPerRow + w]  bit j  =  M_i[r, 32·w + j]
 * </pre>
 * The nm planes of one output row are adjacent, so a kernel that streams row r of W reads the
 * masks of that row as one contiguous run of nm·wordsPerRow ints. Padding bits are zero. As a
 * tensor it is I32 (rows, nm, wordsPerRow) ({@link Tensor#asMasks}).
 */
public record MaskPlanes(int nm, int rows, int cols, MemorySegment seg) {

    public static final int MAX_MASKS = 16;

    public MaskPlanes {
        checkNm(nm, "MaskPlanes");
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("MaskPlanes: empty shape (" + rows + ", " + cols + ")");
        long words = (long) rows * nm * wordsPerRow(cols);
        if (seg == null || seg.byteSize() != 4 * words)
            throw new IllegalArgumentException("MaskPlanes: " + (seg == null ? 0 : seg.byteSize() / 4) + " words, expected " + words
                    + " for nm=" + nm + " and shape (" + rows + ", " + cols + ")");
    }

    /** Over an int array of rows · nm · wordsPerRow words (no copy). */
    public MaskPlanes(int nm, int rows, int cols, int[] bits) { this(nm, rows, cols, MemorySegment.ofArray(bits)); }

    public static int wordsPerRow(int cols) { return (cols + 31) >>> 5; }

    public int wordsPerRow() { return wordsPerRow(cols); }

    /** Word k of the planes (k = (r · nm + i) · wordsPerRow + w). */
    public int word(long k) { return seg.getAtIndex(DType.LE_INT, k); }

    /** All words as a new int array. */
    public int[] toInts() { return tensor().toInts(); }

    /** As an I32 (rows, nm, wordsPerRow) tensor over the same bytes. */
    public Tensor tensor() { return Tensor.wrap(DType.I32, seg, rows, nm, wordsPerRow()); }

    /** M_i[r, c] as 0 or 1. */
    public int get(int i, int r, int c) {
        return (word(((long) r * nm + i) * wordsPerRow() + (c >>> 5)) >>> (c & 31)) & 1;
    }

    /** Bytes a kernel reads to stream all masks once (nm bits per element, rows padded to 32). */
    public long bytes() { return seg.byteSize(); }

    public static void checkNm(int nm, String op) {
        if (nm < 1 || nm > MAX_MASKS) throw new IllegalArgumentException(op + ": nm must be in 1.." + MAX_MASKS + ", got " + nm);
    }
}
