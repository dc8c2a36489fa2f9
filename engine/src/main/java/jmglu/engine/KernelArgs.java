package jmglu.engine;

import java.util.Arrays;

/**
 * Cheap argument checks for kernels (O(1) per call): sizes positive, every (array, offset, length)
 * region inside its array. Failures are one IllegalArgumentException naming the op, the argument
 * and the sizes, so a wrong shape never surfaces as an ArrayIndexOutOfBoundsException deep in a
 * loop. The reference kernels call these; fast backends may call them too.
 */
public final class KernelArgs {
    private KernelArgs() {}

    /** Every size ≥ 1 (a shape with an empty dimension is an error, not a no-op). */
    public static void dims(String op, int... sizes) {
        for (int s : sizes)
            if (s < 1) throw new IllegalArgumentException(op + ": sizes must be positive, got " + Arrays.toString(sizes));
    }

    /** n ≥ 0 (flat element counts, where an empty range is a no-op). */
    public static void count(String op, int n) {
        if (n < 0) throw new IllegalArgumentException(op + ": element count must be ≥ 0, got " + n);
    }

    /** a[off, off + n) lies inside a. */
    public static void region(String op, String name, float[] a, int off, long n) {
        if (a == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        check(op, name, a.length, off, n);
    }

    /** ids[0, n) lies inside ids and every id is in [0, bound). */
    public static void ids(String op, String name, int[] ids, int n, int bound) {
        if (ids == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        check(op, name, ids.length, 0, n);
        for (int i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= bound)
                throw new IllegalArgumentException(op + ": " + name + "[" + i + "] = " + ids[i] + " is outside 0.." + (bound - 1));
    }

    private static void check(String op, String name, int len, int off, long n) {
        if (off < 0 || off + n > len)
            throw new IllegalArgumentException(op + ": " + name + " needs " + n + " elements from offset " + off
                    + " but has length " + len);
    }
}
