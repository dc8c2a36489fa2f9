package jmglu.lab.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.jocl.CL.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.util.Locale;
import org.jocl.NativePointerObject;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * What one kernel launch costs the host (issue 12: the decode step is as long as its host enqueue loop), on the
 * first GPU (else any) OpenCL device: N launches of a do-nothing kernel (global 65536, local 64) timed on the host
 * before the clFinish, per launch, for
 * <ul>
 *   <li>jocl: JOCL's clEnqueueNDRangeKernel, arguments unchanged;</li>
 *   <li>jocl+setK: K clSetKernelArg calls (JOCL, an int each) before each launch, as a shared kernel object
 *       pays when call sites with other buffers or sizes take turns;</li>
 *   <li>ffm, ffm+setK: the same calls through java.lang.foreign downcalls into libOpenCL (the handles taken from
 *       the JOCL objects);</li>
 * </ul>
 * on a queue with CL_QUEUE_PROFILING_ENABLE and on one without; then "drain": the device time per launch
 * (host loop + clFinish over N). {@code java -cp 'lib/*' jmglu.lab.gpu.LaunchCost [N]}
 */
public final class LaunchCost {
    static final String SRC = "__kernel void nop(__global float* a, int n, int b, int c, int d, int e, int f, int g, int h) {"
            + " if (get_global_id(0) == (uint) (n + b + c + d + e + f + g + h) + 1000000000u) a[0] = 1.0f; }";

    public static void main(String[] args) throws Throwable {
        int N = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        setExceptionsEnabled(true);
        int[] np = new int[1];
        clGetPlatformIDs(0, null, np);
        cl_platform_id[] ps = new cl_platform_id[np[0]];
        clGetPlatformIDs(ps.length, ps, null);
        cl_platform_id plat = null;
        cl_device_id dev = null;
        for (long type : new long[] {CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ALL}) {
            for (cl_platform_id p : ps) {
                int[] nd = new int[1];
                try { clGetDeviceIDs(p, type, 0, null, nd); } catch (Exception e) { continue; }
                if (nd[0] == 0) continue;
                cl_device_id[] ds = new cl_device_id[nd[0]];
                clGetDeviceIDs(p, type, ds.length, ds, null);
                plat = p;
                dev = ds[0];
                break;
            }
            if (dev != null) break;
        }
        byte[] name = new byte[256];
        clGetDeviceInfo(dev, CL_DEVICE_NAME, name.length, Pointer.to(name), null);
        System.out.println("device: " + new String(name).trim() + ", " + N + " launches a row");
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, plat);
        cl_context ctx = clCreateContext(props, 1, new cl_device_id[] {dev}, null, null, null);
        cl_program prog = clCreateProgramWithSource(ctx, 1, new String[] {SRC}, null, null);
        clBuildProgram(prog, 0, null, null, null, null);
        cl_kernel k = clCreateKernel(prog, "nop", null);
        cl_mem a = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, null, null);
        clSetKernelArg(k, 0, Sizeof.cl_mem, Pointer.to(a));
        for (int i = 1; i <= 8; i++) clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {0}));

        Method gp = NativePointerObject.class.getDeclaredMethod("getNativePointer");
        gp.setAccessible(true);
        Linker L = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup("libOpenCL.so.1", Arena.global());
        MethodHandle enq = L.downcallHandle(lib.find("clEnqueueNDRangeKernel").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle setArg = L.downcallHandle(lib.find("clSetKernelArg").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
        Arena arena = Arena.ofConfined();
        MemorySegment gsz = arena.allocate(JAVA_LONG), lsz = arena.allocate(JAVA_LONG), ival = arena.allocate(JAVA_INT);
        gsz.set(JAVA_LONG, 0, 65536);
        lsz.set(JAVA_LONG, 0, 64);
        MemorySegment kp = MemorySegment.ofAddress((long) gp.invoke(k));

        for (long qprops : new long[] {CL_QUEUE_PROFILING_ENABLE, 0}) {
            cl_command_queue q = clCreateCommandQueue(ctx, dev, qprops, null);
            MemorySegment qp = MemorySegment.ofAddress((long) gp.invoke(q));
            String qn = qprops != 0 ? "profiling queue" : "plain queue    ";
            long[] g = {65536}, l = {64};
            for (int rep = 0; rep < 2; rep++) {                 // the first round warms the JIT
                boolean say = rep == 1;
                for (int K : new int[] {0, 1, 4, 8}) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < N; i++) {
                        for (int j = 1; j <= K; j++) clSetKernelArg(k, j, Sizeof.cl_int, Pointer.to(new int[] {i & 1}));
                        clEnqueueNDRangeKernel(q, k, 1, null, g, l, 0, null, null);
                    }
                    long t1 = System.nanoTime();
                    clFinish(q);
                    long t2 = System.nanoTime();
                    if (say) report(qn, "jocl+set" + K, N, t0, t1, t2);
                }
                for (int K : new int[] {0, 1, 4, 8}) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < N; i++) {
                        for (int j = 1; j <= K; j++) {
                            ival.set(JAVA_INT, 0, i & 1);
                            int r = (int) setArg.invokeExact(kp, j, 4L, ival);
                            if (r != 0) throw new IllegalStateException("clSetKernelArg " + r);
                        }
                        int r = (int) enq.invokeExact(qp, kp, 1, MemorySegment.NULL, gsz, lsz, 0, MemorySegment.NULL, MemorySegment.NULL);
                        if (r != 0) throw new IllegalStateException("clEnqueueNDRangeKernel " + r);
                    }
                    long t1 = System.nanoTime();
                    clFinish(q);
                    long t2 = System.nanoTime();
                    if (say) report(qn, "ffm+set" + K, N, t0, t1, t2);
                }
            }
            clReleaseCommandQueue(q);
        }
    }

    private static void report(String q, String what, int N, long t0, long t1, long t2) {
        System.out.printf(Locale.ROOT, "%s %-10s host %6.2f µs a launch, drain %6.2f µs a launch%n", q, what, (t1 - t0) * 1e-3 / N, (t2 - t0) * 1e-3 / N);
    }
}
