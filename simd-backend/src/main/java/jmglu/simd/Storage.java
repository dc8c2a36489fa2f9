package jmglu.simd;

import java.lang.foreign.MemorySegment;

/**
 * Which Java array a heap segment is over, so that kernels can take their array path on it.
 *
 * <p>The rule the kernels follow (JDK 25; measured in lab/simd/results/README.md): a vector load
 * from a heap segment is intrinsified only when the vector's element type is the array's, and a
 * compiled loop that has seen both heap and native segments runs several times slower than one
 * that saw a single kind. So weights and masks are read three ways:
 * <ul>
 *   <li>a heap segment over the natural array (short[] for BF16/F16, float[] for F32, int[] for
 *       mask words): the array itself, in place;</li>
 *   <li>a native segment (off-heap or a mapped file): in place through {@code fromMemorySegment},
 *       by code that only ever sees native segments (BF16 rows), or one row at a time copied into an
 *       L1 scratch (F32/F16 rows, mask words) — never the whole matrix;</li>
 *   <li>any other heap segment (e.g. BF16 over a byte[]): one row at a time copied into a scratch
 *       of the natural type.</li>
 * </ul>
 */
final class Storage {
    private Storage() {}

    /** The short[] under s, or null (s native, over another array type, or not 2-byte aligned in it). */
    static short[] shorts(MemorySegment s) {
        return s.heapBase().orElse(null) instanceof short[] a && (s.address() & 1) == 0 ? a : null;
    }

    /** The float[] under s, or null. */
    static float[] floats(MemorySegment s) {
        return s.heapBase().orElse(null) instanceof float[] a && (s.address() & 3) == 0 ? a : null;
    }

    /** The int[] under s, or null. */
    static int[] ints(MemorySegment s) {
        return s.heapBase().orElse(null) instanceof int[] a && (s.address() & 3) == 0 ? a : null;
    }

    /** A thread no segment is confined to: a segment accessible by it is accessible by every thread. */
    private static final Thread ANY = new Thread(() -> {});

    /**
     * Whether worker threads may read s. A segment of a confined arena is readable only by its owner
     * thread, so kernels over it run on the calling thread (the results are the same: the row split
     * never changes a result, see {@link Parallel}).
     */
    static boolean shared(java.lang.foreign.MemorySegment s) { return s.isAccessibleBy(ANY); }

    /** Index in its array of a heap segment's first element of the given size (a heap segment's address is its byte offset into the array). */
    static int first(MemorySegment s, int bytes) { return (int) (s.address() / bytes); }
}
