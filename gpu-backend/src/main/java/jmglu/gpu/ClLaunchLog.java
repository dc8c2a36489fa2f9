package jmglu.gpu;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * What {@link OpenClContext#launch} records when asked: with {@link #profile} on, every launch's event and the summed
 * sizes of its buffer arguments ({@link OpenClContext.Launch}); with {@link #hostTimes} on, the host's nanoseconds in
 * launch per kernel. Both off (the default) cost a launch two field reads. Guarded by the context's lock.
 */
final class ClLaunchLog {
    private List<OpenClContext.Launch> profiled;      // non-null: every launch's event is kept
    private Map<String, long[]> hostNanos;             // non-null: {calls, nanoseconds} per kernel
    private final Map<cl_mem, Long> memSizes = new IdentityHashMap<>();

    boolean profiling() { return profiled != null; }

    boolean timingHost() { return hostNanos != null; }

    /** Profiling on or off; returns the launches kept since it was last turned on (empty if it was off). */
    List<OpenClContext.Launch> profile(boolean on) {
        List<OpenClContext.Launch> was = profiled == null ? List.of() : profiled;
        profiled = on ? new ArrayList<>() : null;
        memSizes.clear();
        return was;
    }

    /** Host timing on or off; returns what was timed since it was last turned on. */
    Map<String, long[]> hostTimes(boolean on) {
        Map<String, long[]> was = hostNanos == null ? Map.of() : hostNanos;
        hostNanos = on ? new LinkedHashMap<>() : null;
        return was;
    }

    /** System.nanoTime() when host timing is on, else 0. */
    long hostStart() { return hostNanos != null ? System.nanoTime() : 0; }

    /** One launch of kernel since t0 (from {@link #hostStart}). */
    void hostTime(String kernel, long t0) {
        long[] h = hostNanos.computeIfAbsent(kernel, n -> new long[2]);
        h[0]++;
        h[1] += System.nanoTime() - t0;
    }

    /** One profiled launch. */
    void add(String kernel, long global, Object[] args, cl_event ev) { profiled.add(new OpenClContext.Launch(kernel, global, argBytes(args), ev)); }

    /** The summed sizes of args' distinct buffers. */
    private long argBytes(Object[] args) {
        long sum = 0;
        Map<cl_mem, Boolean> seen = new IdentityHashMap<>();
        for (Object a : args)
            if (a instanceof cl_mem m && seen.put(m, Boolean.TRUE) == null)
                sum += memSizes.computeIfAbsent(m, x -> {
                    long[] size = new long[1];
                    clGetMemObjectInfo(x, CL_MEM_SIZE, Sizeof.size_t, Pointer.to(size), null);
                    return size[0];
                });
        return sum;
    }
}
