package jmglu.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.NativePointerObject;
import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The two calls of a kernel launch, clSetKernelArg and clEnqueueNDRangeKernel, made through java.lang.foreign
 * downcalls into the OpenCL library JOCL uses (the same handles) instead of JOCL's JNI wrappers, which box each
 * argument value into a fresh Pointer and cost the host about 0.7 µs a clSetKernelArg. A decode step is as long
 * as its host enqueue loop (lab/gpu/launch-run1), so this is decode speed: H200, a launch that sets 8 arguments
 * took 10.3–10.8 µs through JOCL and 4.6–5.9 µs through these calls (4.5 µs with none set, either way).
 *
 * <p>Values go through one small native scratch segment, so calls must not overlap ({@link OpenClContext#launch}
 * is synchronized). {@link #open} returns null where the library or JOCL's handle accessor cannot be reached
 * (the caller keeps JOCL's calls) or when {@code -Djmglu.opencl.native=off}.
 */
final class ClNative implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jmglu.gpu");
    private static final MethodHandle SET_ARG, ENQUEUE, HANDLE;

    static {
        MethodHandle set = null, enq = null, handle = null;
        try {
            Linker l = Linker.nativeLinker();
            SymbolLookup lib = library();
            set = l.downcallHandle(lib.find("clSetKernelArg").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
            enq = l.downcallHandle(lib.find("clEnqueueNDRangeKernel").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
            var m = NativePointerObject.class.getDeclaredMethod("getNativePointer");   // protected in JOCL
            m.setAccessible(true);
            handle = MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(long.class, NativePointerObject.class));
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.DEBUG, "OpenCL launches stay on JOCL: " + t);
            set = enq = handle = null;
        }
        SET_ARG = set;
        ENQUEUE = enq;
        HANDLE = handle;
    }

    /** libOpenCL.so.1 (the ICD loader's soname, what JOCL's library resolves to), else the platform's plain name. */
    private static SymbolLookup library() {
        try {
            return SymbolLookup.libraryLookup("libOpenCL.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            return SymbolLookup.libraryLookup(System.mapLibraryName("OpenCL"), Arena.global());
        }
    }

    private final Arena arena = Arena.ofShared();
    /** An argument's value (up to an int16: 64 bytes), the global and the local size. */
    private final MemorySegment value = arena.allocate(64, 16), global = arena.allocate(JAVA_LONG), local = arena.allocate(JAVA_LONG);

    private ClNative() {}

    /** The native calls, or null when they are off or not available here. */
    static ClNative open() {
        String v = System.getProperty("jmglu.opencl.native", "on").trim();
        if (!v.equals("on") && !v.equals("off")) throw new IllegalArgumentException("-Djmglu.opencl.native=" + v + ": expected on or off");
        return v.equals("on") && SET_ARG != null ? new ClNative() : null;
    }

    /** Sets argument i of k as {@link OpenClContext#launch} describes its types. */
    void setArg(cl_kernel k, int i, Object a) {
        long size;
        MemorySegment p = value;
        switch (a) {
            case cl_mem m -> { value.set(JAVA_LONG, 0, handle(m)); size = ADDRESS.byteSize(); }
            case Integer x -> { value.set(JAVA_INT, 0, x); size = 4; }
            case Long x -> { value.set(JAVA_LONG, 0, x); size = 8; }
            case Float x -> { value.set(JAVA_FLOAT, 0, x); size = 4; }
            case int[] x when x.length == 16 -> { MemorySegment.copy(x, 0, value, JAVA_INT, 0, 16); size = 64; }
            case OpenClContext.Local l -> { size = Math.max(4, l.bytes()); p = MemorySegment.NULL; }
            default -> throw new IllegalArgumentException("OpenCL launch: argument " + i + " of type " + a.getClass());
        }
        int r;
        try {
            r = (int) SET_ARG.invokeExact(ptr(k), i, size, p);
        } catch (Throwable t) {
            throw new IllegalStateException("OpenCL: clSetKernelArg through java.lang.foreign failed", t);
        }
        check(r);
    }

    /** Enqueues a 1-D range of g work-items in groups of l (0: the driver's choice), no events. */
    void enqueue(cl_command_queue q, cl_kernel k, long g, long l) {
        global.set(JAVA_LONG, 0, g);
        local.set(JAVA_LONG, 0, l);
        MemorySegment ls = l > 0 ? local : MemorySegment.NULL;
        int r;
        try {
            r = (int) ENQUEUE.invokeExact(ptr(q), ptr(k), 1, MemorySegment.NULL, global, ls, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("OpenCL: clEnqueueNDRangeKernel through java.lang.foreign failed", t);
        }
        check(r);
    }

    /** Fails as JOCL does with exceptions on: a CLException with the status. */
    private static void check(int r) {
        if (r != CL.CL_SUCCESS) throw new CLException(CL.stringFor_errorCode(r), r);
    }

    private static MemorySegment ptr(NativePointerObject o) { return MemorySegment.ofAddress(handle(o)); }

    private static long handle(NativePointerObject o) {
        try {
            return (long) HANDLE.invokeExact(o);
        } catch (Throwable t) {
            throw new IllegalStateException("OpenCL: reading a JOCL handle failed", t);
        }
    }

    @Override public void close() { arena.close(); }
}
