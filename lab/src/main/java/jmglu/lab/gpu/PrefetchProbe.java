package jmglu.lab.gpu;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * Can the launch gaps of a decode step be filled with reads of the next kernel's weights (issue 12, B = 1)?
 * <p>
 * A chain shaped like the B = 1 step of the issue's model (8 layers of: read 25.2 MB (qkv), 10.5 MB (the KV cache),
 * 8.4 MB (Wo), 42 MB (FlashMGLU's W and masks), 33.6 MB (W2)), each a launch of a read-only kernel over its own buffer
 * (941 MB in all, far past the 50 MB L2), enqueued behind a user event and timed from release to finish (device µs a
 * chain). Variants: each launch, after its own reads, issues L2 prefetches of the first PF bytes of the next launch's
 * buffer ("tail"), or issues them before its own reads ("head"); PTX prefetch.global.L2 on NVIDIA, OpenCL's prefetch()
 * elsewhere (a no-op on PoCL, where only the plumbing is checked). Then "conc": whether two queues run kernels at once
 * (two 1-group spin kernels of S µs on two queues: ~S if concurrent, ~2S if not; NVIDIA only, globaltimer).
 * {@code java -cp 'lib/*' jmglu.lab.gpu.PrefetchProbe [rounds] [scale]} (scale < 1 shrinks the buffers for PoCL).
 */
public final class PrefetchProbe {
    static final String SRC = """
            #if PTX
            #define PF(p) asm volatile("prefetch.global.L2 [%0];" :: "l"(p))
            #define PFL(p) asm volatile("prefetch.global.L2::evict_last [%0];" :: "l"(p))
            #else
            #define PF(p) prefetch((__global const uchar*) (p), 128)
            #define PFL(p) PF(p)
            #endif
            // the first nb bytes of nx into L2, 128-byte lines spread over the grid
            inline void pf(__global const uchar* nx, long nb, int mode) {
                const long G = get_global_size(0);
                for (long o = get_global_id(0) * 128; o < nb; o += G * 128) { if (mode == 2) PFL(nx + o); else PF(nx + o); }
            }
            // read n4 uint4 words (4 loads in flight a thread), then (tail 1) prefetch nb bytes of nx; head 1: before
            __kernel void rd(__global const uint4* restrict w, const long n4, __global uint* out,
                             __global const uchar* nx, const long nb, const int tail, const int head, const int mode) {
                if (head) pf(nx, nb, mode);
                const long G = get_global_size(0);
                uint4 acc = (uint4) (0);
                long i = get_global_id(0);
                for (; i + 3 * G < n4; i += 4 * G) {
                    const uint4 a = w[i], b = w[i + G], c = w[i + 2 * G], d = w[i + 3 * G];
                    acc ^= a ^ b ^ c ^ d;
                }
                for (; i < n4; i += G) acc ^= w[i];
                if (tail) pf(nx, nb, mode);
                if ((acc.x ^ acc.y ^ acc.z ^ acc.w) == 0x9e3779b9u) out[0] = acc.x;      // keeps the loads
            }
            // the whole chain in ONE launch of a resident grid: buffer b = words offs[b] .. offs[b+1] of w, a grid barrier
            // between buffers; pre 1: each thread issues the loads of its first 4 words of buffer b+1 BEFORE the barrier
            // (weights never depend on the phase before), so the memory system stays busy across it
            #if PTX
            #define FENCE() asm volatile("fence.acq_rel.gpu;" ::: "memory")
            #else
            #define FENCE() mem_fence(CLK_GLOBAL_MEM_FENCE)
            #endif
            inline void grid_barrier(volatile __global uint* bar, uint ng, uint want, __global uint* out, __local uint* ok) {
                barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
                if (get_local_id(0) == 0) {
                    FENCE();
                    if (atomic_inc(&bar[0]) == ng - 1) { bar[0] = 0; FENCE(); atomic_xchg(&bar[1], want); }
                    else { int n = 0; while (atomic_add(&bar[1], 0) != want && ++n < (1 << 24)) ; if (n >= (1 << 24)) out[1] = 1; }
                    FENCE();
                }
                barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
            }
            __kernel void pchain(__global const uint4* restrict w, __global const long* offs, const int nb, volatile __global uint* bar,
                                 __global uint* out, const int pre) {
                __local uint ok[1];
                __local uint g0[1];
                if (get_local_id(0) == 0) g0[0] = atomic_add(&bar[1], 0);
                barrier(CLK_LOCAL_MEM_FENCE);
                const uint gen = g0[0];
                const long G = get_global_size(0), gid = get_global_id(0);
                const uint ng = get_num_groups(0);
                uint4 acc = (uint4) (0), p0 = acc, p1 = acc, p2 = acc, p3 = acc;
                int have = 0;
                for (int b = 0; b < nb; b++) {
                    const long base = offs[b], n4 = offs[b + 1] - base;
                    long i = gid;
                    if (have) { acc ^= p0 ^ p1 ^ p2 ^ p3; i += 4 * G; }
                    for (; i + 3 * G < n4; i += 4 * G) {
                        const uint4 a = w[base + i], c = w[base + i + G], d = w[base + i + 2 * G], e = w[base + i + 3 * G];
                        acc ^= a ^ c ^ d ^ e;
                    }
                    for (; i < n4; i += G) acc ^= w[base + i];
                    if (b + 1 < nb) {
                        const long nx = offs[b + 1], m4 = offs[b + 2] - nx;
                        have = pre && gid + 3 * G < m4;
                        if (have) { p0 = w[nx + gid]; p1 = w[nx + gid + G]; p2 = w[nx + gid + 2 * G]; p3 = w[nx + gid + 3 * G]; }
                        grid_barrier(bar, ng, gen + b + 1, out, ok);
                    }
                }
                if ((acc.x ^ acc.y ^ acc.z ^ acc.w) == 0x9e3779b9u) out[0] = acc.x;
            }
            #if PTX
            __kernel void spin(__global ulong* out, const ulong ns) {
                ulong t0, t;
                asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
                do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); } while (t - t0 < ns);
                if (get_global_id(0) == 0) out[get_group_id(0)] = t;
            }
            #endif
            """;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        double scale = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
        setExceptionsEnabled(true);
        var all = jmglu.gpu.OpenClContext.devices();
        if (all.isEmpty()) throw new IllegalStateException("PrefetchProbe: no OpenCL device");
        cl_device_id dev = all.get(0).device();
        String name = all.get(0).name().trim();
        boolean ptx = name.toUpperCase(Locale.ROOT).contains("NVIDIA") || all.get(0).platform().toString().contains("NVIDIA");
        int[] cu = new int[1];
        clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_int, Pointer.to(cu), null);
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, all.get(0).platform());
        cl_context ctx = clCreateContext(props, 1, new cl_device_id[] {dev}, null, null, null);
        cl_program prog = clCreateProgramWithSource(ctx, 1, new String[] {SRC}, null, null);
        clBuildProgram(prog, 0, null, "-DPTX=" + (ptx ? 1 : 0), null, null);
        cl_kernel rd = clCreateKernel(prog, "rd", null);
        cl_command_queue q = clCreateCommandQueue(ctx, dev, 0, null);
        cl_mem out = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4096, null, null);

        double[] layer = {25.2e6, 10.5e6, 8.4e6, 42.0e6, 33.6e6};
        List<cl_mem> bufs = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int l = 0; l < 8; l++)
            for (double b : layer) {
                long n = ((long) (b * scale) + 4095) / 4096 * 4096;
                cl_mem m = clCreateBuffer(ctx, CL_MEM_READ_WRITE, n, null, null);
                clEnqueueFillBuffer(q, m, Pointer.to(new int[] {l}), 4, 0, n, 0, null, null);
                bufs.add(m);
                sizes.add(n);
            }
        long total = sizes.stream().mapToLong(Long::longValue).sum();
        long big = (long) (1L << 30) / (scale < 1 ? 16 : 1);
        cl_mem one = clCreateBuffer(ctx, CL_MEM_READ_WRITE, big, null, null);
        clEnqueueFillBuffer(q, one, Pointer.to(new int[] {7}), 4, 0, big, 0, null, null);
        clFinish(q);
        long local = 256, global = (long) cu[0] * 2048;                 // 8 groups of 256 a compute unit
        System.out.printf(Locale.ROOT, "device %s, %d compute units, PTX %b; chain of %d launches, %.1f MB, global %d local %d, %d rounds%n",
                name, cu[0], ptx, bufs.size(), total / 1e6, global, local, rounds);

        // the read ceiling: one launch over 1 GiB, best of 5
        double best = 1e30;
        for (int r = 0; r < 6; r++) {
            long t0 = System.nanoTime();
            launch(q, rd, one, big, out, one, 0, 0, 0, 0, global, local);
            clFinish(q);
            if (r > 0) best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
        }
        System.out.printf(Locale.ROOT, "read ceiling: %.1f GB/s (1 GiB, one launch, best of 5); the chain's bytes at it: %.1f µs%n",
                big / best / 1e9, total / (big / best) * 1e6);

        String[] variants = {"none", "tail:4", "tail:8", "tail:16", "tail:24", "head:8", "head:16", "tail:16:last", "none", "tail:16"};
        for (int rep = 0; rep < 2; rep++)
            for (String v : variants) {
                String[] p = v.split(":");
                boolean tail = p[0].equals("tail"), head = p[0].equals("head");
                long pfb = p.length > 1 ? (long) (Long.parseLong(p[1]) * 1_000_000L * scale) : 0;
                int mode = p.length > 2 ? 2 : 1;
                double[] t = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    cl_event gate = clCreateUserEvent(ctx, null);
                    clEnqueueMarkerWithWaitList(q, 1, new cl_event[] {gate}, null);
                    for (int i = 0; i < bufs.size(); i++) {
                        int j = (i + 1) % bufs.size();
                        launch(q, rd, bufs.get(i), sizes.get(i), out, bufs.get(j), Math.min(pfb, sizes.get(j)), tail ? 1 : 0, head ? 1 : 0, mode, global, local);
                    }
                    long t0 = System.nanoTime();
                    clSetUserEventStatus(gate, CL_COMPLETE);
                    clFinish(q);
                    t[r] = (System.nanoTime() - t0) * 1e-3;
                    clReleaseEvent(gate);
                }
                java.util.Arrays.sort(t);
                double med = t[rounds / 2];
                if (rep == 1 || rounds < 3)
                    System.out.printf(Locale.ROOT, "%-14s chain %8.1f µs (median of %d; min %.1f), %6.1f GB/s, %.2f µs a launch%n",
                            v, med, rounds, t[0], total / med / 1e3, med / bufs.size());
            }

        // the same bytes in one buffer, one launch of a resident grid (GPC groups a compute unit), a grid barrier per buffer
        long[] offs = new long[sizes.size() + 1];
        for (int i = 0; i < sizes.size(); i++) offs[i + 1] = offs[i] + sizes.get(i) / 16;
        cl_mem wAll = clCreateBuffer(ctx, CL_MEM_READ_WRITE, offs[sizes.size()] * 16, null, null);
        clEnqueueFillBuffer(q, wAll, Pointer.to(new int[] {3}), 4, 0, offs[sizes.size()] * 16, 0, null, null);
        cl_mem offB = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 8L * offs.length, Pointer.to(offs), null);
        cl_mem bar = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, null, null);
        clEnqueueFillBuffer(q, bar, Pointer.to(new int[] {0}), 4, 0, 64, 0, null, null);
        clEnqueueFillBuffer(q, out, Pointer.to(new int[] {0}), 4, 0, 4096, 0, null, null);
        clFinish(q);
        cl_kernel pk = clCreateKernel(prog, "pchain", null);
        if (!ptx) System.out.println("persist: skipped (a spinning grid barrier needs every group resident; PoCL runs a few at a time)");
        else for (int rep = 0; rep < 2; rep++)
            for (String v : new String[] {"persist:2:0", "persist:2:1", "persist:4:0", "persist:4:1", "persist:1:1"}) {
                String[] p = v.split(":");
                int gpc = Integer.parseInt(p[1]), pre = Integer.parseInt(p[2]);
                long pg = (long) cu[0] * gpc * local;
                double[] t = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    clSetKernelArg(pk, 0, Sizeof.cl_mem, Pointer.to(wAll));
                    clSetKernelArg(pk, 1, Sizeof.cl_mem, Pointer.to(offB));
                    clSetKernelArg(pk, 2, Sizeof.cl_int, Pointer.to(new int[] {sizes.size()}));
                    clSetKernelArg(pk, 3, Sizeof.cl_mem, Pointer.to(bar));
                    clSetKernelArg(pk, 4, Sizeof.cl_mem, Pointer.to(out));
                    clSetKernelArg(pk, 5, Sizeof.cl_int, Pointer.to(new int[] {pre}));
                    long t0 = System.nanoTime();
                    clEnqueueNDRangeKernel(q, pk, 1, null, new long[] {pg}, new long[] {local}, 0, null, null);
                    clFinish(q);
                    t[r] = (System.nanoTime() - t0) * 1e-3;
                }
                int[] flag = new int[2];
                clEnqueueReadBuffer(q, out, CL_TRUE, 0, 8, Pointer.to(flag), 0, null, null);
                java.util.Arrays.sort(t);
                double med = t[rounds / 2];
                if (rep == 1)
                    System.out.printf(Locale.ROOT, "%-14s one launch %8.1f µs (median of %d; min %.1f; host-timed, launch included), %6.1f GB/s%s%n",
                            v, med, rounds, t[0], total / med / 1e3, flag[1] != 0 ? "  BARRIER TIMED OUT" : "");
            }

        if (ptx) {                                                      // do two queues run kernels at the same time?
            cl_kernel spin = clCreateKernel(prog, "spin", null);
            cl_command_queue q2 = clCreateCommandQueue(ctx, dev, 0, null);
            cl_mem o2 = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4096, null, null);
            long ns = 200_000;
            for (int rep = 0; rep < 3; rep++) {
                double one1 = spinRun(ctx, new cl_command_queue[] {q}, spin, o2, ns);
                double two = spinRun(ctx, new cl_command_queue[] {q, q2}, spin, o2, ns);
                double same = spinRun(ctx, new cl_command_queue[] {q, q}, spin, o2, ns);
                System.out.printf(Locale.ROOT, "conc: one spin of %d µs %.1f µs; two on two queues %.1f µs; two on one queue %.1f µs%n",
                        ns / 1000, one1, two, same);
            }
        }
    }

    private static double spinRun(cl_context ctx, cl_command_queue[] qs, cl_kernel spin, cl_mem o, long ns) {
        cl_event gate = clCreateUserEvent(ctx, null);
        for (cl_command_queue q : qs) {
            clSetKernelArg(spin, 0, Sizeof.cl_mem, Pointer.to(o));
            clSetKernelArg(spin, 1, Sizeof.cl_ulong, Pointer.to(new long[] {ns}));
            clEnqueueNDRangeKernel(q, spin, 1, null, new long[] {32}, new long[] {32}, 1, new cl_event[] {gate}, null);
        }
        for (cl_command_queue q : qs) clFlush(q);
        long t0 = System.nanoTime();
        clSetUserEventStatus(gate, CL_COMPLETE);
        for (cl_command_queue q : qs) clFinish(q);
        clReleaseEvent(gate);
        return (System.nanoTime() - t0) * 1e-3;
    }

    private static void launch(cl_command_queue q, cl_kernel k, cl_mem w, long bytes, cl_mem out, cl_mem nx, long nb,
                               int tail, int head, int mode, long global, long local) {
        clSetKernelArg(k, 0, Sizeof.cl_mem, Pointer.to(w));
        clSetKernelArg(k, 1, Sizeof.cl_long, Pointer.to(new long[] {bytes / 16}));
        clSetKernelArg(k, 2, Sizeof.cl_mem, Pointer.to(out));
        clSetKernelArg(k, 3, Sizeof.cl_mem, Pointer.to(nx));
        clSetKernelArg(k, 4, Sizeof.cl_long, Pointer.to(new long[] {nb}));
        clSetKernelArg(k, 5, Sizeof.cl_int, Pointer.to(new int[] {tail}));
        clSetKernelArg(k, 6, Sizeof.cl_int, Pointer.to(new int[] {head}));
        clSetKernelArg(k, 7, Sizeof.cl_int, Pointer.to(new int[] {mode}));
        clEnqueueNDRangeKernel(q, k, 1, null, new long[] {global}, new long[] {local}, 0, null, null);
    }
}
