package jmglu.gpu;

import static org.jocl.CL.clSetKernelArg;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The arguments of {@link OpenClContext#launch}, set on the kernel with a cache of what each kernel holds. An OpenCL
 * kernel keeps its arguments between launches, so an argument equal to the one the kernel was last launched with
 * (the same cl_mem object, an equal number, an int[16] with the same content, a {@link OpenClContext.Local} of the
 * same size) is not set again: each clSetKernelArg is a native call, and a decode step makes hundreds.
 *
 * <p>The cache holds, per kernel, one slot per argument index: the value last set there (an int[16] as a copy, so
 * that the caller may change its array), or null when unknown. A slot is emptied before its set and filled only when
 * the set returned, so a failed set is retried on the next launch. Not thread-safe: guarded by the context's lock.
 */
final class ClKernelArgs {
    private final Map<cl_kernel, Object[]> last = new IdentityHashMap<>();   // what each kernel was last launched with

    /**
     * Sets the arguments of k (cl_mem, Integer, Long, Float, int[16] for an int16 vector, or Local bytes) that differ
     * from what k holds, through fast (java.lang.foreign) or, when it is null, JOCL's clSetKernelArg.
     */
    void set(cl_kernel k, Object[] args, ClNative fast) {
        Object[] was = last.get(k);
        if (was == null || was.length < args.length) {
            was = was == null ? new Object[args.length] : Arrays.copyOf(was, args.length);
            last.put(k, was);
        }
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (same(was[i], a)) continue;
            was[i] = null;                              // unknown until the call below succeeds
            if (fast != null) fast.setArg(k, i, a);
            else switch (a) {
                case cl_mem m -> clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                case Integer v -> clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                case Long v -> clSetKernelArg(k, i, Sizeof.cl_long, Pointer.to(new long[] {v}));
                case Float v -> clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                case int[] v when v.length == 16 -> clSetKernelArg(k, i, Sizeof.cl_int16, Pointer.to(v));
                case OpenClContext.Local l -> clSetKernelArg(k, i, Math.max(4, l.bytes()), null);
                default -> throw new IllegalArgumentException("OpenCL launch: argument " + i + " of type " + a.getClass());
            }
            was[i] = a instanceof int[] v ? v.clone() : a;
        }
    }

    /** Forgets what every kernel holds: the next launch sets every argument (after a switch of paths, on close). */
    void clear() { last.clear(); }

    /** Whether argument a is what the kernel already holds (was): buffers by identity, int[16] by content, values by equality. */
    private static boolean same(Object was, Object a) {
        if (was == null) return false;
        if (a instanceof cl_mem) return was == a;
        if (a instanceof int[] v) return was instanceof int[] w && Arrays.equals(v, w);
        return was.equals(a);
    }
}
