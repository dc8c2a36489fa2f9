package jmglu.simd;

import java.lang.foreign.MemorySegment;

/**
 * Which Java array a heap segment is over, so that kernels can take their array path on it.
 *
 * <p>The rule the kernels follow (JDK 25; measured in lab/simd/README.md): a vector load
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
 * A mapped segment is a class of its own, and segment code that has seen both an off-heap and a
 * mapped segment runs about twice as slow as code that saw one; {@link #plain} gives every native
 * segment the one class.
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

    private static final Class<?> PLAIN = java.lang.foreign.Arena.global().allocate(1).getClass();

    /**
     * s as a plain native segment: the same address, size, scope and read-only flag (so closing its
     * arena still ends every access), of the one class off-heap memory has. reinterpret is a
     * restricted method: the JVM wants --enable-native-access=ALL-UNNAMED (jmglu's launch flags have
     * it) and warns once without it; where native access is denied, s itself is returned.
     */
    static MemorySegment plain(MemorySegment s) {
        if (!s.isNative() || s.getClass() == PLAIN) return s;
        try { return s.reinterpret(s.byteSize()); } catch (IllegalCallerException e) { return s; }
    }

    /** A thread no segment is confined to: a segment accessible by it is accessible by every thread. */
    private static final Thread ANY = new Thread(() -> {});

    /**
     * Whether worker threads may read s. A segment of a confined arena is readable only by its owner
     * thread, so kernels over it run on the calling thread (the results are the same: the row split
     * never changes a result, see {@link Parallel}).
     */
    static boolean shared(MemorySegment s) { return s.isAccessibleBy(ANY); }

    /** Index in its array of a heap segment's first element of the given size (a heap segment's address is its byte offset into the array). */
    static int first(MemorySegment s, int bytes) { return (int) (s.address() / bytes); }
}
