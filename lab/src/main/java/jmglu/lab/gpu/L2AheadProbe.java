package jmglu.lab.gpu;

import static org.jocl.CL.*;

import java.util.Arrays;
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
 * What bounds a B = 1 decode step made of 40 dependent phases, with nothing but reads in them (issue 12)?
 * <p>
 * The chain of PrefetchProbe (8 layers of five dependent reads: 25.2 MB qkv, 10.5 MB KV cache, 8.4 MB Wo, 42 MB
 * FlashMGLU W + masks, 33.6 MB W2; 958 MB in one buffer), each phase one launch of a read-only kernel on queue 1,
 * whose first work-item publishes "phase p started" in a tick word. On queue 2, at the same time, a small "ahead" grid
 * streams the same bytes in order into L2, never more than W bytes past the start of the phase the chain is in (so
 * what it brings is not evicted before the chain reads it): plain loads ("ld"), PTX prefetch.global.L2 ("pf") or
 * Hopper's bulk cp.async.bulk.prefetch.L2 ("bulk"). Both queues wait on one user event; device µs from its release
 * to both finishing, median of the rounds, against the read ceiling measured in the same run.
 * Also the same chain as ONE launch of a resident grid ("grid:G:P:S": G groups of 256 a compute unit, a grid barrier
 * between phases, each thread loading its first P words of the next phase before arriving, S 1 spinning on a volatile
 * load, 0 on atomic reads) and that grid with its reads staged through local memory by Hopper bulk copies
 * ("tma:G:N:K": N buffers of K KB a group, each with an mbarrier, refilled across the barriers). NVIDIA only; a
 * barrier or a copy that never completes sets a flag after a bounded spin instead of hanging.
 * {@code java -cp 'lib/*' jmglu.lab.gpu.L2AheadProbe [rounds] [scale] [variants]}, variants "chain", "nopub" (no tick
 * writes), "mode:groups:W_MB:chunk_KB", "grid:…" or "tma:…", separated by commas or '+' (scale < 1 shrinks the
 * buffers for PoCL).
 */
public final class L2AheadProbe {
    /** The kernels: lab/src/main/resources/jmglu/gpu/l2ahead.cl. */
    static final String SRC = source();

    private static String source() {
        try (var in = L2AheadProbe.class.getResourceAsStream("/jmglu/gpu/l2ahead.cl")) {
            if (in == null) throw new IllegalStateException("L2AheadProbe: l2ahead.cl is not on the class path");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 25;
        double scale = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
        String vs = args.length > 2 ? args[2]
                : "chain,ld:16:16:64,ld:32:16:64,ld:32:32:64,ld:66:32:64,pf:16:16:64,pf:32:32:64,pf:66:32:64,"
                + "bulk:8:16:64,bulk:16:16:64,bulk:16:32:64,bulk:32:32:64,bulk:32:48:64,bulk:66:32:64,chain,nopub";
        setExceptionsEnabled(true);
        var all = jmglu.gpu.OpenClContext.devices();
        if (all.isEmpty()) throw new IllegalStateException("L2AheadProbe: no OpenCL device");
        cl_device_id dev = all.get(0).device();
        String name = all.get(0).name().trim();
        boolean ptx = name.toUpperCase(Locale.ROOT).contains("NVIDIA") || all.get(0).platform().toString().contains("NVIDIA");
        int[] cu = new int[1];
        clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_int, Pointer.to(cu), null);
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, all.get(0).platform());
        cl_context ctx = clCreateContext(props, 1, new cl_device_id[] {dev}, null, null, null);
        cl_program prog = build(ctx, dev, "-DPTX=" + (ptx ? 1 : 0) + " -DNPRE=0", "the chain");
        cl_kernel rd = clCreateKernel(prog, "rd", null), ahead = clCreateKernel(prog, "ahead", null);
        cl_command_queue q1 = clCreateCommandQueue(ctx, dev, 0, null), q2 = clCreateCommandQueue(ctx, dev, 0, null);

        double[] layer = {25.2e6, 10.5e6, 8.4e6, 42.0e6, 33.6e6};
        int nph = 8 * layer.length;
        long[] offb = new long[nph + 1];
        for (int i = 0; i < nph; i++) offb[i + 1] = offb[i] + ((long) (layer[i % layer.length] * scale) + 65535) / 65536 * 65536;
        long total = offb[nph];
        cl_mem w = clCreateBuffer(ctx, CL_MEM_READ_WRITE, total, null, null);
        clEnqueueFillBuffer(q1, w, Pointer.to(new int[] {3}), 4, 0, total, 0, null, null);
        cl_mem offB = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 8L * offb.length, Pointer.to(offb), null);
        cl_mem tick = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, null, null);
        cl_mem out = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, null, null);
        clEnqueueFillBuffer(q1, out, Pointer.to(new int[] {0}), 4, 0, 64, 0, null, null);
        long big = (1L << 30) / (scale < 1 ? 16 : 1);
        cl_mem one = clCreateBuffer(ctx, CL_MEM_READ_WRITE, big, null, null);
        clEnqueueFillBuffer(q1, one, Pointer.to(new int[] {7}), 4, 0, big, 0, null, null);
        clFinish(q1);
        long local = 256, global = (long) cu[0] * 2048;                 // the chain: 8 groups of 256 a compute unit
        System.out.printf(Locale.ROOT, "device %s, %d compute units, PTX %b; chain of %d phases, %.1f MB, %d rounds%n",
                name, cu[0], ptx, nph, total / 1e6, rounds);

        double best = 1e30;
        for (int r = 0; r < 6; r++) {
            long t0 = System.nanoTime();
            rd(q1, rd, one, 0, big / 16, out, tick, 0, 0, global, local);
            clFinish(q1);
            if (r > 0) best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
        }
        double ceil = big / best;
        System.out.printf(Locale.ROOT, "read ceiling: %.1f GB/s (1 GiB, one launch, best of 5); the chain's bytes at it: %.1f µs%n",
                ceil / 1e9, total / ceil * 1e6);

        for (String v : vs.split("[,+]")) {
            String[] p = v.split(":");
            if (p[0].equals("grid") || p[0].equals("tma")) {             // grid:groups a CU:PRE:SPIN, tma:groups a CU:buffers:KB a buffer
                if (!ptx) { System.out.println(v + ": skipped (a spinning grid barrier needs every group resident)"); continue; }
                int gpc = Integer.parseInt(p[1]), a = Integer.parseInt(p[2]), c = Integer.parseInt(p[3]);
                String opts = p[0].equals("grid") ? "-DPTX=1 -DPRE=" + Math.max(a, 1) + " -DNPRE=" + (a > 0 ? 1 : 0) + " -DSPIN=" + c
                        : "-DPTX=1 -DNPRE=0 -DSPIN=1 -DTNB=" + a + " -DTCH=" + c * 1024;
                try {
                    grid(ctx, dev, q1, w, offB, nph, cu[0], local, rounds, ceil, total, out, v, gpc, opts, p[0].equals("grid") ? "grid" : "gtma");
                } catch (RuntimeException e) {
                    System.out.println(v + ": failed: " + e.getMessage());
                }
                continue;
            }
            boolean withAhead = p.length == 4;
            int mode = withAhead ? switch (p[0]) { case "ld" -> 0; case "pf" -> 1; case "bulk" -> 2; default -> throw new IllegalArgumentException(v); } : -1;
            int groups = withAhead ? Integer.parseInt(p[1]) : 0;
            long lead = withAhead ? (long) (Double.parseDouble(p[2]) * 1e6 * Math.max(scale, 1e-9)) : 0;
            int ch = withAhead ? Integer.parseInt(p[3]) * 1024 : 0;
            int pub = v.equals("nopub") ? 0 : 1;
            double[] t = new double[rounds];
            for (int r = 0; r < rounds + 2; r++) {
                clEnqueueFillBuffer(q1, tick, Pointer.to(new int[] {0}), 4, 0, 64, 0, null, null);
                clFinish(q1);
                cl_event gate = clCreateUserEvent(ctx, null);
                if (withAhead) {
                    clSetKernelArg(ahead, 0, Sizeof.cl_mem, Pointer.to(w));
                    clSetKernelArg(ahead, 1, Sizeof.cl_mem, Pointer.to(offB));
                    clSetKernelArg(ahead, 2, Sizeof.cl_int, Pointer.to(new int[] {nph}));
                    clSetKernelArg(ahead, 3, Sizeof.cl_mem, Pointer.to(tick));
                    clSetKernelArg(ahead, 4, Sizeof.cl_long, Pointer.to(new long[] {lead}));
                    clSetKernelArg(ahead, 5, Sizeof.cl_int, Pointer.to(new int[] {ch}));
                    clSetKernelArg(ahead, 6, Sizeof.cl_int, Pointer.to(new int[] {mode}));
                    clSetKernelArg(ahead, 7, Sizeof.cl_mem, Pointer.to(out));
                    clEnqueueNDRangeKernel(q2, ahead, 1, null, new long[] {groups * local}, new long[] {local}, 1, new cl_event[] {gate}, null);
                    clFlush(q2);
                }
                clEnqueueMarkerWithWaitList(q1, 1, new cl_event[] {gate}, null);
                for (int i = 0; i < nph; i++) rd(q1, rd, w, offb[i] / 16, (offb[i + 1] - offb[i]) / 16, out, tick, i, pub, global, local);
                clFlush(q1);
                long t0 = System.nanoTime();
                clSetUserEventStatus(gate, CL_COMPLETE);
                clFinish(q1);
                clFinish(q2);
                if (r >= 2) t[r - 2] = (System.nanoTime() - t0) * 1e-3;
                clReleaseEvent(gate);
            }
            int[] flag = new int[2];
            clEnqueueReadBuffer(q1, out, CL_TRUE, 0, 8, Pointer.to(flag), 0, null, null);
            Arrays.sort(t);
            double med = t[rounds / 2];
            System.out.printf(Locale.ROOT, "%-16s %8.1f µs a chain (median of %d; min %.1f), %6.1f GB/s, %4.1f%% of the ceiling%s%n",
                    v, med, rounds, t[0], total / med / 1e3, 100 * total / ceil / (med * 1e-6), flag[1] != 0 ? "  AHEAD TIMED OUT" : "");
            if (flag[1] != 0) clEnqueueFillBuffer(q1, out, Pointer.to(new int[] {0}), 4, 0, 64, 0, null, null);
        }
    }

    /** The program of SRC built with opts; on failure the compiler's log is printed (labelled what) and the error rethrown. */
    private static cl_program build(cl_context ctx, cl_device_id dev, String opts, String what) {
        cl_program prog = clCreateProgramWithSource(ctx, 1, new String[] {SRC}, null, null);
        try {
            clBuildProgram(prog, 0, null, opts, null, null);
        } catch (RuntimeException e) {
            long[] n = new long[1];
            clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, 0, null, n);
            byte[] log = new byte[(int) n[0]];
            clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, n[0], Pointer.to(log), null);
            System.out.println(what + ": build failed: " + new String(log).trim());
            throw e;
        }
        return prog;
    }

    private static void grid(cl_context ctx, cl_device_id dev, cl_command_queue q, cl_mem w, cl_mem offB, int nph, int cu, long local,
                             int rounds, double ceil, long total, cl_mem out, String v, int gpc, String opts, String kernel) {
        cl_program prog = build(ctx, dev, opts, v);
        cl_kernel k = clCreateKernel(prog, kernel, null);
        cl_mem cnt = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, null, null);
        double[] t = new double[rounds];
        for (int r = 0; r < rounds + 2; r++) {
            clEnqueueFillBuffer(q, cnt, Pointer.to(new int[] {0}), 4, 0, 64, 0, null, null);
            clFinish(q);
            cl_event gate = clCreateUserEvent(ctx, null);
            clSetKernelArg(k, 0, Sizeof.cl_mem, Pointer.to(w));
            clSetKernelArg(k, 1, Sizeof.cl_mem, Pointer.to(offB));
            clSetKernelArg(k, 2, Sizeof.cl_int, Pointer.to(new int[] {nph}));
            clSetKernelArg(k, 3, Sizeof.cl_mem, Pointer.to(cnt));
            clSetKernelArg(k, 4, Sizeof.cl_mem, Pointer.to(out));
            clEnqueueNDRangeKernel(q, k, 1, null, new long[] {(long) cu * gpc * local}, new long[] {local}, 1, new cl_event[] {gate}, null);
            clFlush(q);
            long t0 = System.nanoTime();
            clSetUserEventStatus(gate, CL_COMPLETE);
            clFinish(q);
            if (r >= 2) t[r - 2] = (System.nanoTime() - t0) * 1e-3;
            clReleaseEvent(gate);
        }
        int[] flag = new int[2];
        clEnqueueReadBuffer(q, out, CL_TRUE, 0, 8, Pointer.to(flag), 0, null, null);
        Arrays.sort(t);
        double med = t[rounds / 2];
        System.out.printf(Locale.ROOT, "%-16s %8.1f µs a chain (median of %d; min %.1f), %6.1f GB/s, %4.1f%% of the ceiling%s%n",
                v, med, rounds, t[0], total / med / 1e3, 100 * total / ceil / (med * 1e-6), flag[1] == 3 ? "  TMA WAIT TIMED OUT" : flag[1] != 0 ? "  BARRIER TIMED OUT" : "");
        if (flag[1] != 0) clEnqueueFillBuffer(q, out, Pointer.to(new int[] {0}), 4, 0, 64, 0, null, null);
        clReleaseMemObject(cnt);
        clReleaseKernel(k);
        clReleaseProgram(prog);
    }

    private static void rd(cl_command_queue q, cl_kernel k, cl_mem w, long base, long n4, cl_mem out, cl_mem tick, int phase, int pub,
                           long global, long local) {
        clSetKernelArg(k, 0, Sizeof.cl_mem, Pointer.to(w));
        clSetKernelArg(k, 1, Sizeof.cl_long, Pointer.to(new long[] {base}));
        clSetKernelArg(k, 2, Sizeof.cl_long, Pointer.to(new long[] {n4}));
        clSetKernelArg(k, 3, Sizeof.cl_mem, Pointer.to(out));
        clSetKernelArg(k, 4, Sizeof.cl_mem, Pointer.to(tick));
        clSetKernelArg(k, 5, Sizeof.cl_int, Pointer.to(new int[] {phase}));
        clSetKernelArg(k, 6, Sizeof.cl_int, Pointer.to(new int[] {pub}));
        clEnqueueNDRangeKernel(q, k, 1, null, new long[] {global}, new long[] {local}, 0, null, null);
    }
}
