package jmglu.gpu;

import static org.jocl.CL.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_buffer_region;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device through JOCL: discovery ({@link ClDevices}), a context and an in-order profiling queue, programs
 * built from the .cl resources in jmglu/gpu/ (cached per source + build options), buffers and
 * launches. Every failure surfaces as an {@link IllegalStateException} naming the OpenCL error
 * (CL.stringFor_errorCode) and, for builds, the compiler's log.
 *
 * <p>Device choice: all devices of all platforms are listed GPUs first (then accelerators, then
 * CPUs, each in platform order); {@link #open(int)} takes entry N of that list (the CLI's --device
 * opencl:N); {@link #open()} the entry named by {@code -Djmglu.opencl.device=N}, otherwise entry 0.
 * Host data moves as little-endian bytes (every OpenCL device jmglu meets is little-endian).
 *
 * <p>Launches are counted ({@link #launches()}: the decode tests and benches report launches per step).
 * {@code -Djmglu.opencl.flush=N} (N &gt; 0) calls clFlush after every N launches, so that a driver that
 * holds enqueued commands until a flush or a blocking call starts the first kernels of a step while the
 * host still enqueues the rest; 0: never (the default; see lab/gpu/README.md for what it measured).
 * {@link #profile} keeps every launch's event, for per-kernel device times (lab's DecodeProfile); {@link #hostTimes}
 * times each launch on the host ({@link ClLaunchLog} holds both). Launches skip the arguments a kernel already holds
 * ({@link ClKernelArgs}), and set the others and enqueue through {@link ClNative} (java.lang.foreign) where it is
 * available: a decode step is as long as the host takes to enqueue it.
 */
public final class OpenClContext implements AutoCloseable {
    public static final String DEVICE_PROPERTY = "jmglu.opencl.device", FLUSH_PROPERTY = "jmglu.opencl.flush";

    /** A device found on a platform. */
    public record DeviceRef(cl_platform_id platform, cl_device_id device, String name, String platformName, long type) {
        public String describe() { return name.trim() + " (" + platformName.trim() + ")"; }
    }

    public final cl_context context;
    /** The queue without profiling (every command but timed ones) and the one with it; see {@link #queue(boolean)}. */
    private final cl_command_queue plain, timed;
    private volatile cl_command_queue queue;    // where commands go now: plain or timed
    public final DeviceRef ref;
    public final long localMemBytes, maxWorkGroup, globalMemBytes, computeUnits;
    /** Sub-buffers must start at a multiple of this many bytes (CL_DEVICE_MEM_BASE_ADDR_ALIGN). */
    public final long baseAlignBytes;
    private final ClPrograms progs;              // programs and kernels, built once
    private final ClKernelArgs kernelArgs = new ClKernelArgs();   // launch arguments, skipping those a kernel holds
    private long launches;                       // kernels enqueued so far
    private int flushEvery, sinceFlush;          // clFlush after every flushEvery launches (0: never)
    private final ClLaunchLog log = new ClLaunchLog();   // profiled launches and host times, when on
    private ClNative fast = ClNative.open();     // launches through java.lang.foreign (null: JOCL's calls)
    private final ClPinnedReads pinned;          // staging for readIntsLater

    private OpenClContext(DeviceRef ref) {
        this.ref = ref;
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, ref.platform());
            context = clCreateContext(props, 1, new cl_device_id[] {ref.device()}, null, null, null);
            plain = clCreateCommandQueue(context, ref.device(), 0, null);
            timed = clCreateCommandQueue(context, ref.device(), CL_QUEUE_PROFILING_ENABLE, null);
            queue = plain;
            pinned = new ClPinnedReads(context);
            progs = new ClPrograms(context, ref.device());
        } catch (CLException e) {
            throw fail("creating a context on " + ref.describe(), e);
        }
        localMemBytes = ClDevices.infoLong(ref.device(), CL_DEVICE_LOCAL_MEM_SIZE);
        maxWorkGroup = ClDevices.infoSizeT(ref.device(), CL_DEVICE_MAX_WORK_GROUP_SIZE);
        globalMemBytes = ClDevices.infoLong(ref.device(), CL_DEVICE_GLOBAL_MEM_SIZE);
        computeUnits = ClDevices.infoInt(ref.device(), CL_DEVICE_MAX_COMPUTE_UNITS);
        baseAlignBytes = Math.max(4, ClDevices.infoInt(ref.device(), CL_DEVICE_MEM_BASE_ADDR_ALIGN) / 8);
        String f = System.getProperty(FLUSH_PROPERTY, "0").trim();
        try { flushEvery = Integer.parseInt(f); } catch (NumberFormatException e) { flushEvery = -1; }
        if (flushEvery < 0) throw new IllegalArgumentException("-D" + FLUSH_PROPERTY + "=" + f + ": expected a number of launches ≥ 0");
    }

    /** Kernels launched on this context so far. */
    public synchronized long launches() { return launches; }

    /** clFlush after every n launches (0: never); see the class comment. */
    public synchronized void flushEvery(int n) {
        if (n < 0) throw new IllegalArgumentException("flushEvery: n must be ≥ 0, got " + n);
        flushEvery = n;
        sinceFlush = 0;
    }

    /** Opens the device chosen by -Djmglu.opencl.device (default 0). */
    public static OpenClContext open() {
        String p = System.getProperty(DEVICE_PROPERTY, "0").trim();
        int n;
        try { n = Integer.parseInt(p); } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + DEVICE_PROPERTY + "=" + p + " is not a device number");
        }
        return open(n);
    }

    public static OpenClContext open(int index) {
        List<DeviceRef> all = devices();
        if (all.isEmpty()) throw new IllegalStateException("OpenCL: no platform with a device found");
        if (index < 0 || index >= all.size())
            throw new IllegalArgumentException("OpenCL: device " + index + " does not exist; devices: " + listing(all));
        return new OpenClContext(all.get(index));
    }

    /** Every device of every platform, GPUs first. Throws UnsatisfiedLinkError when libOpenCL is missing. */
    public static List<DeviceRef> devices() { return ClDevices.all(); }

    /** "0: name (platform), 1: ..." */
    public static String listing(List<DeviceRef> all) { return ClDevices.listing(all); }

    // ---------------------------------------------------------------- programs and kernels ({@link ClPrograms})
    /** The kernel `name` of resource jmglu/gpu/{file}, built with `options` (cached). */
    public synchronized cl_kernel kernel(String file, String options, String name) { return progs.kernel(file, options, name); }

    /** The kernel a launch site stands for by a key of its own: see {@link ClPrograms#kernel(Object, java.util.function.Supplier)}. */
    public synchronized cl_kernel kernel(Object key, java.util.function.Supplier<cl_kernel> make) { return progs.kernel(key, make); }

    /** The built program's binary for this device (PTX text on NVIDIA), for inspection. */
    public synchronized byte[] binary(String file, String options) { return progs.binary(file, options); }

    // ---------------------------------------------------------------- buffers
    public cl_mem alloc(long bytes) {
        try {
            return clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(bytes, 4), null, null);
        } catch (CLException e) {
            throw fail("allocating " + bytes + " bytes", e);
        }
    }

    public cl_mem upload(float[] a) { cl_mem m = alloc(4L * a.length); write(m, Pointer.to(a), 4L * a.length); return m; }
    public cl_mem upload(short[] a) { cl_mem m = alloc(2L * a.length); write(m, Pointer.to(a), 2L * a.length); return m; }
    public cl_mem upload(int[] a) { cl_mem m = alloc(4L * a.length); write(m, Pointer.to(a), 4L * a.length); return m; }

    /** A new buffer holding the bytes of seg (a Java array, off-heap memory or a file mapping). */
    public cl_mem upload(MemorySegment seg) { cl_mem m = alloc(seg.byteSize()); write(m, 0, seg); return m; }

    public void write(cl_mem m, float[] a, int n) { write(m, Pointer.to(a), 4L * n); }

    public void write(cl_mem m, int[] a, int n) { write(m, Pointer.to(a), 4L * n); }

    public void write(cl_mem m, Pointer p, long bytes) {
        if (bytes == 0) return;
        try {
            clEnqueueWriteBuffer(queue, m, CL_TRUE, 0, bytes, p, 0, null, null);
        } catch (CLException e) {
            throw fail("writing " + bytes + " bytes", e);
        }
    }

    /**
     * Writes the bytes of seg at byte offset off of m (blocking). Native segments go straight from their
     * memory, heap segments from their array, in slices of at most 256 MiB; any other array type through
     * an off-heap staging slice.
     */
    public void write(cl_mem m, long off, MemorySegment seg) {
        final long slice = 256L << 20;
        for (long at = 0; at < seg.byteSize(); at += slice) {
            MemorySegment part = seg.asSlice(at, Math.min(slice, seg.byteSize() - at));
            long n = part.byteSize();
            Pointer p = pointer(part);
            if (p != null) {
                enqueueWrite(m, off + at, n, p);
                continue;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staged = arena.allocate(n, 64);
                staged.copyFrom(part);
                enqueueWrite(m, off + at, n, Pointer.to(staged.asByteBuffer()));
            }
        }
    }

    private void enqueueWrite(cl_mem m, long off, long n, Pointer p) {
        try {
            clEnqueueWriteBuffer(queue, m, CL_TRUE, off, n, p, 0, null, null);
        } catch (CLException e) {
            throw fail("writing " + n + " bytes at byte " + off, e);
        }
    }

    /** A pointer to seg's first byte for a blocking transfer, or null when it is a heap array JOCL cannot address. */
    private static Pointer pointer(MemorySegment seg) {
        Object base = seg.heapBase().orElse(null);
        if (base == null) return Pointer.to(seg.asByteBuffer());
        Pointer p = switch (base) {
            case byte[] a -> Pointer.to(a);
            case short[] a -> Pointer.to(a);
            case int[] a -> Pointer.to(a);
            case float[] a -> Pointer.to(a);
            case long[] a -> Pointer.to(a);
            case double[] a -> Pointer.to(a);
            default -> null;
        };
        return p == null ? null : p.withByteOffset(seg.address());      // a heap segment's address is its byte offset in the array
    }

    public void read(cl_mem m, float[] a, int n) { read(m, 0, a, n); }

    /** Reads n floats from byte offset off of m into a[0, n) (blocking). */
    public void read(cl_mem m, long off, float[] a, int n) { enqueueRead(m, off, 4L * n, Pointer.to(a)); }

    /** Reads n shorts (halves) from byte offset off of m into a[0, n) (blocking). */
    public void readShorts(cl_mem m, long off, short[] a, int n) { enqueueRead(m, off, 2L * n, Pointer.to(a)); }

    /** Reads n ints from byte offset off of m into a[0, n) (blocking). */
    public void readInts(cl_mem m, long off, int[] a, int n) { enqueueRead(m, off, 4L * n, Pointer.to(a)); }

    private void enqueueRead(cl_mem m, long off, long bytes, Pointer p) {
        try {
            clEnqueueReadBuffer(queue, m, CL_TRUE, off, bytes, p, 0, null, null);
        } catch (CLException e) {
            throw fail("reading " + bytes + " bytes", e);
        }
    }

    /**
     * Starts reading n ints from byte offset off of m into host memory after the commands enqueued so far; get() of
     * the result waits for them (the commands enqueued after the read may still run): into page-locked memory
     * ({@link ClPinnedReads}), so that the host does not wait at the enqueue.
     */
    public synchronized jmglu.engine.Backend.PendingIds readIntsLater(cl_mem m, long off, int n) { return pinned.read(queue, m, off, n); }

    /** Zeroes bytes [off, off + bytes) of m (enqueued; off and bytes multiples of 4). */
    public void zero(cl_mem m, long off, long bytes) {
        if (bytes == 0) return;
        try {
            clEnqueueFillBuffer(queue, m, Pointer.to(new int[] {0}), 4, off, bytes, 0, null, null);
        } catch (CLException e) {
            throw fail("zeroing " + bytes + " bytes", e);
        }
    }

    /** A buffer over bytes [origin, origin + size) of m (origin a multiple of {@link #baseAlignBytes}); release it after use. */
    public cl_mem subBuffer(cl_mem m, long origin, long size) {
        try {
            return clCreateSubBuffer(m, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, new cl_buffer_region(origin, size), null);
        } catch (CLException e) {
            throw fail("making a sub-buffer of " + size + " bytes at byte " + origin, e);
        }
    }

    public void copy(cl_mem src, long srcOff, cl_mem dst, long dstOff, long bytes, cl_event ev) {
        try {
            clEnqueueCopyBuffer(queue(ev != null), src, dst, srcOff, dstOff, bytes, 0, null, ev);
        } catch (CLException e) {
            throw fail("copying " + bytes + " bytes", e);
        }
    }

    /** A new buffer holding a device-side copy of the whole of src (enqueued on the queue). */
    public cl_mem duplicate(cl_mem src) {
        long[] size = new long[1];
        try {
            clGetMemObjectInfo(src, CL_MEM_SIZE, Sizeof.size_t, Pointer.to(size), null);
        } catch (CLException e) {
            throw fail("reading a buffer's size", e);
        }
        cl_mem m = alloc(size[0]);
        copy(src, 0, m, 0, size[0], null);
        return m;
    }

    public static void release(cl_mem... ms) { for (cl_mem m : ms) if (m != null) clReleaseMemObject(m); }

    // ---------------------------------------------------------------- launches
    /**
     * Sets the arguments (cl_mem, Integer, Long, Float, int[16] for an int16 vector, or {@link Local} bytes)
     * and enqueues a 1-D range (global rounded up to a multiple of local; local 0: the driver's choice).
     * An argument equal to the one this kernel was last launched with is not set again ({@link ClKernelArgs}).
     */
    public synchronized void launch(cl_kernel k, long global, long local, cl_event ev, Object... args) {
        long t0 = log.hostStart();
        try {
            kernelArgs.set(k, args, fast);
            long g = local > 0 ? (global + local - 1) / local * local : global;
            if (log.profiling() && ev == null) ev = new cl_event();
            queue(ev != null);
            if (fast != null && ev == null) fast.enqueue(queue, k, g, local);
            else clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {g}, local > 0 ? new long[] {local} : null, 0, null, ev);
            if (log.profiling()) log.add(progs.name(k), g, args, ev);
            launches++;
            if (log.timingHost()) log.hostTime(progs.name(k), t0);
            if (flushEvery > 0 && ++sinceFlush >= flushEvery) {
                clFlush(queue);
                sinceFlush = 0;
            }
        } catch (CLException e) {
            throw fail("launching a kernel (global " + global + ", local " + local + ")", e);
        }
    }

    /**
     * One profiled launch: the kernel ("file name build-options"), its global size, the summed sizes of its distinct
     * buffer arguments (an upper bound on the bytes it can touch: whole buffers, also the parts it does not read), its event.
     */
    public record Launch(String kernel, long global, long argBytes, cl_event event) {
        /** Device nanoseconds [start, end] of the launch (wait for the queue first). */
        public long[] startEnd() {
            long[] t0 = new long[1], t1 = new long[1];
            clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(t0), null);
            clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(t1), null);
            return new long[] {t0[0], t1[0]};
        }
    }

    /**
     * Turns on (or off) the timing of {@link #launch} on the host: the arguments set and the enqueue, per kernel
     * ("file name options"), as {calls, nanoseconds}. Returns what was timed since it was last turned on.
     */
    public synchronized Map<String, long[]> hostTimes(boolean on) { return log.hostTimes(on); }

    /**
     * Profiling on: from now every launch keeps an event ({@link Launch}); off: returns the launches kept since it was turned
     * on (their events still to be released by the caller, {@link #releaseEvents}), an empty list if it was off.
     */
    public synchronized List<Launch> profile(boolean on) { return log.profile(on); }

    public static void releaseEvents(List<Launch> ls) { for (Launch l : ls) clReleaseEvent(l.event()); }

    /** A __local argument of the given size. */
    public record Local(long bytes) {}

    public synchronized void finish() {
        try { clFinish(queue); } catch (CLException e) { throw fail("waiting for the queue", e); }
    }

    /**
     * The queue for the next command: the one with CL_QUEUE_PROFILING_ENABLE when it is timed (it takes an event, or
     * {@link #profile} is on), else the plain one. Profiling costs NVIDIA's driver 0.4–1.5 µs of host time a launch
     * (lab/gpu/host-run1/launchcost.txt), so a decode step never pays it. Both queues are in order, and a switch
     * first waits for every command of the other, so commands still run in the order they were issued.
     */
    public synchronized cl_command_queue queue(boolean forTiming) {
        cl_command_queue want = forTiming || log.profiling() ? timed : plain;
        if (want != queue) {
            try { clFinish(queue); } catch (CLException e) { throw fail("waiting for the queue", e); }
            queue = want;
        }
        return queue;
    }

    /** Milliseconds between an event's start and end (profiling queue). */
    public static double elapsedMs(cl_event ev) {
        long[] t0 = new long[1], t1 = new long[1];
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(t0), null);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(t1), null);
        return (t1[0] - t0[0]) * 1e-6;
    }

    public String describe() { return ref.describe(); }

    /**
     * Whether launches go through {@link ClNative} (java.lang.foreign) rather than JOCL's calls: false takes JOCL's
     * from now on, true the native calls where this machine has them (tests compare the two). Returns the state after.
     */
    public synchronized boolean nativeLaunches(boolean on) {
        if (!on && fast != null) {
            fast.close();
            fast = null;
        } else if (on && fast == null) {
            fast = ClNative.open();
        }
        kernelArgs.clear();                          // set every argument again on the next launch
        return fast != null;
    }

    @Override
    public synchronized void close() {
        pinned.release(queue);
        if (fast != null) fast.close();
        progs.release();
        kernelArgs.clear();
        clReleaseCommandQueue(plain);
        clReleaseCommandQueue(timed);
        clReleaseContext(context);
    }

    static IllegalStateException fail(String what, CLException e) {
        return new IllegalStateException("OpenCL: " + what + " failed: " + CL.stringFor_errorCode(e.getStatus()), e);
    }
}
