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
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * What one kernel launch costs the host (issue 12: the decode step is as long as its host enqueue loop), on the
 * first OpenCL device of OpenClContext.devices() (GPUs first): N launches of a do-nothing kernel (global 65536, local 64) timed on the host
 * before the clFinish, per launch, for
 * <ul>
 *   <li>jocl: JOCL's clEnqueueNDRangeKernel, arguments unchanged;</li>
 *   <li>jocl+setK: K clSetKernelArg calls (JOCL, an int each) before each launch, as a shared kernel object
 *       pays when call sites with other buffers or sizes take turns;</li>
 *   <li>ffm, ffm+setK: the same calls through java.lang.foreign downcalls into libOpenCL (the handles taken from
 *       the JOCL objects);</li>
 * </ul>
 * on a queue with CL_QUEUE_PROFILING_ENABLE and on one without; "gated": rounds enqueued behind a user event (the
 * device held until the host is done), the host's own time a launch and the device's from release to finish (rr3: three
 * kernels taking turns); then "drain": the device time per launch (host loop + clFinish over N). {@code java -cp 'lib/*' jmglu.lab.gpu.LaunchCost [N]}
 */
public final class LaunchCost {
    static final String SRC = "__kernel void nop(__global float* a, int n, int b, int c, int d, int e, int f, int g, int h) {"
            + " if (get_global_id(0) == (uint) (n + b + c + d + e + f + g + h) + 1000000000u) a[0] = 1.0f; }\n"
            + "__kernel void nop8(__global float* a, __global float* b, __global float* c, __global float* d, __global float* e,"
            + " __global float* f, __global float* g, __global float* h, int n) {"
            + " if (get_global_id(0) == (uint) n + 1000000000u) { a[0] = 1.0f; if (b) b[0] = 1.0f; if (c) c[0] = 1.0f; if (h) h[0] = 1.0f; } }\n"
            + "__kernel void nopl(__global float* a, __local float* l1, __local float* l2, int n) {"
            + " l1[get_local_id(0)] = 0.0f; l2[get_local_id(0)] = 1.0f; if (get_global_id(0) == (uint) n + 1000000000u) a[0] = l1[0] + l2[1]; }";

    public static void main(String[] args) throws Throwable {
        int N = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        setExceptionsEnabled(true);
        var all = jmglu.gpu.OpenClContext.devices();                 // GPUs first, as the backend orders them
        if (all.isEmpty()) throw new IllegalStateException("LaunchCost: no OpenCL device");
        cl_platform_id plat = all.get(0).platform();
        cl_device_id dev = all.get(0).device();
        System.out.println("device: " + all.get(0).name().trim() + ", " + N + " launches a row");
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

        cl_kernel k8 = clCreateKernel(prog, "nop8", null), kl = clCreateKernel(prog, "nopl", null);
        MemorySegment k8p = MemorySegment.ofAddress((long) gp.invoke(k8)), klp = MemorySegment.ofAddress((long) gp.invoke(kl));
        cl_mem[] bufs = new cl_mem[8];
        MemorySegment memArg = arena.allocate(JAVA_LONG);
        for (int i = 0; i < 8; i++) bufs[i] = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4096, null, null);
        clSetKernelArg(kl, 0, Sizeof.cl_mem, Pointer.to(a));
        clSetKernelArg(kl, 1, 64 * 4, null);
        clSetKernelArg(kl, 2, 16384, null);
        clSetKernelArg(kl, 3, Sizeof.cl_int, Pointer.to(new int[] {0}));
        clSetKernelArg(k8, 8, Sizeof.cl_int, Pointer.to(new int[] {0}));
        // rounds of R launches, the queue drained between rounds (clFinish not timed): the host's own cost a launch,
        // never stretched by a full queue; "drain" rows (one long row of N) show the device's rate as well
        int R = 256, rounds = Math.max(1, N / R);
        for (long qprops : new long[] {CL_QUEUE_PROFILING_ENABLE, 0}) {
            cl_command_queue q = clCreateCommandQueue(ctx, dev, qprops, null);
            MemorySegment qp = MemorySegment.ofAddress((long) gp.invoke(q));
            String qn = qprops != 0 ? "profiling queue" : "plain queue    ";
            long[] g = {65536}, l = {64};
            for (int rep = 0; rep < 2; rep++) {                 // the first round warms the JIT
                boolean say = rep == 1;
                for (String v : new String[] {"jocl", "jocl+set4", "ffm", "ffm+set4", "ffm+set8", "nop8:8buf", "nop8:1buf+7null", "nop8:8buf+set8buf", "nopl:2local"}) {
                    long host = 0;
                    for (int r = 0; r < rounds; r++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < R; i++) {
                            int rr;
                            switch (v) {
                                case "jocl" -> clEnqueueNDRangeKernel(q, k, 1, null, g, l, 0, null, null);
                                case "jocl+set4" -> {
                                    for (int j = 1; j <= 4; j++) clSetKernelArg(k, j, Sizeof.cl_int, Pointer.to(new int[] {i & 1}));
                                    clEnqueueNDRangeKernel(q, k, 1, null, g, l, 0, null, null);
                                }
                                case "ffm", "ffm+set4", "ffm+set8" -> {
                                    int K = v.equals("ffm") ? 0 : v.equals("ffm+set4") ? 4 : 8;
                                    for (int j = 1; j <= K; j++) {
                                        ival.set(JAVA_INT, 0, i & 1);
                                        rr = (int) setArg.invokeExact(kp, j, 4L, ival);
                                    }
                                    rr = (int) enq.invokeExact(qp, kp, 1, MemorySegment.NULL, gsz, lsz, 0, MemorySegment.NULL, MemorySegment.NULL);
                                }
                                case "nop8:8buf", "nop8:1buf+7null", "nop8:8buf+set8buf" -> {
                                    if (i == 0 || v.endsWith("set8buf"))
                                        for (int j = 0; j < 8; j++) {
                                            boolean nul = v.equals("nop8:1buf+7null") && j > 0;
                                            memArg.set(JAVA_LONG, 0, nul ? 0L : (long) gp.invoke(bufs[(j + i) & 7]));
                                            MemorySegment val = nul ? MemorySegment.NULL : memArg;
                                            rr = (int) setArg.invokeExact(k8p, j, 8L, val);
                                        }
                                    rr = (int) enq.invokeExact(qp, k8p, 1, MemorySegment.NULL, gsz, lsz, 0, MemorySegment.NULL, MemorySegment.NULL);
                                }
                                default -> rr = (int) enq.invokeExact(qp, klp, 1, MemorySegment.NULL, gsz, lsz, 0, MemorySegment.NULL, MemorySegment.NULL);
                            }
                        }
                        host += System.nanoTime() - t0;
                        clFinish(q);
                    }
                    if (say) System.out.printf(Locale.ROOT, "%s %-20s host %6.2f µs a launch (rounds of %d, drained between)%n", qn, v, host * 1e-3 / (rounds * R), R);
                }
                // gated: the queue held behind a user event while the host enqueues R launches, then released: the host's
                // cost a launch with the device out of the way, and the device's own rate a launch (release to finish)
                for (String v : new String[] {"ffm", "nop8:8buf+set8buf", "rr3", "rr3+set8buf"}) {
                    long host = 0, devNs = 0;
                    for (int r = 0; r < rounds; r++) {
                        cl_event gate = clCreateUserEvent(ctx, null);
                        clEnqueueMarkerWithWaitList(q, 1, new cl_event[] {gate}, null);
                        long t0 = System.nanoTime();
                        for (int i = 0; i < R; i++) {
                            int rr;
                            MemorySegment kk = switch (v) {
                                case "ffm" -> kp;
                                case "nop8:8buf+set8buf" -> k8p;
                                default -> i % 3 == 0 ? kp : i % 3 == 1 ? k8p : klp;
                            };
                            if (kk == k8p && v.endsWith("set8buf"))
                                for (int j = 0; j < 8; j++) {
                                    memArg.set(JAVA_LONG, 0, (long) gp.invoke(bufs[(j + i) & 7]));
                                    rr = (int) setArg.invokeExact(k8p, j, 8L, memArg);
                                }
                            rr = (int) enq.invokeExact(qp, kk, 1, MemorySegment.NULL, gsz, lsz, 0, MemorySegment.NULL, MemorySegment.NULL);
                        }
                        long t1 = System.nanoTime();
                        clSetUserEventStatus(gate, CL_COMPLETE);
                        clFinish(q);
                        devNs += System.nanoTime() - t1;
                        host += t1 - t0;
                        clReleaseEvent(gate);
                    }
                    if (say) System.out.printf(Locale.ROOT, "%s gated %-20s host %6.2f µs a launch, device %6.2f µs a launch (rounds of %d)%n",
                            qn, v, host * 1e-3 / (rounds * R), devNs * 1e-3 / (rounds * R), R);
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < N; i++) {
                    int rr = (int) enq.invokeExact(qp, kp, 1, MemorySegment.NULL, gsz, lsz, 0, MemorySegment.NULL, MemorySegment.NULL);
                }
                long t1 = System.nanoTime();
                clFinish(q);
                if (say) report(qn, "ffm, one row", N, t0, t1, System.nanoTime());
            }
            clReleaseCommandQueue(q);
        }
    }

    private static void report(String q, String what, int N, long t0, long t1, long t2) {
        System.out.printf(Locale.ROOT, "%s %-10s host %6.2f µs a launch, drain %6.2f µs a launch%n", q, what, (t1 - t0) * 1e-3 / N, (t2 - t0) * 1e-3 / N);
    }
}
