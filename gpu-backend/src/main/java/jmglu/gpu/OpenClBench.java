package jmglu.gpu;

import static org.jocl.CL.clReleaseEvent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * Times the OpenCL kernels the way the kernel benchmark needs them (the engine behind
 * jmglu.bench.OpenClKernelDevice, and behind the lab's OpenClBenchMain for device machines):
 * <ul>
 *   <li>ceiling: device-to-device copy of a large buffer, GB/s counting bytes read + written;</li>
 *   <li>each kernel timed with OpenCL profiling events, median of many runs after warm-up, over
 *       enough weight sets (device copies of one random set) that together they exceed
 *       {@link #ROTATE_BYTES} (≫ a 60 MB L2), one set per run in turn;</li>
 *   <li>max_rel_err = max |a − e| / max(|e|, 1e-3·max|e|) against ReferenceMglu / ReferenceKernels
 *       on 32 sampled output rows of the first set.</li>
 * </ul>
 * Bytes a kernel must read: FlashMGLU d·h·bytes + nm·d·⌈h/32⌉·4; SwiGLU 2·d·h·bytes; naive
 * MGLU nm·(3·d·h·bytes + d·⌈h/32⌉·4) (per route it reads W and a plane, writes two masked
 * copies, and reads both back in the GEMVs; the writes, 2·d·h·bytes per route, are not counted).
 */
public final class OpenClBench implements AutoCloseable {
    public static final long ROTATE_BYTES = 1L << 30;
    public static final String[] KERNELS = {"flashmglu", "naive_mglu", "swiglu"};

    public record Result(double ms, double maxRelErr) {}

    public final OpenClContext cl;
    public final OpenClMglu mglu;
    private final boolean ownsContext;
    private final java.util.Map<String, WeightMatrix> weightCache;

    /** With the settings of the jmglu.opencl.* system properties; the bench owns (and closes) cl. */
    public OpenClBench(OpenClContext cl) { this(cl, OpenClSettings.fromSystemProperties()); }

    public OpenClBench(OpenClContext cl, OpenClSettings settings) { this(cl, settings, true, new java.util.HashMap<>()); }

    private OpenClBench(OpenClContext cl, OpenClSettings settings, boolean owns, java.util.Map<String, WeightMatrix> cache) {
        this.cl = cl;
        this.mglu = new OpenClMglu(cl, settings);
        this.ownsContext = owns;
        this.weightCache = cache;
    }

    /** A bench on a context someone else owns (closing the bench leaves it open). */
    public static OpenClBench borrowing(OpenClContext cl) { return new OpenClBench(cl, OpenClSettings.fromSystemProperties(), false, new java.util.HashMap<>()); }

    /** The same device and random weights with other kernel settings (a tuner's variant); closing it leaves the context open. */
    public OpenClBench with(OpenClSettings settings) { return new OpenClBench(cl, settings, false, weightCache); }

    public String describe() {
        return "opencl: " + cl.describe() + ", " + (cl.globalMemBytes >> 20) + " MiB, local " + (cl.localMemBytes >> 10) + " KiB";
    }

    /** True when the device is a GPU (the benchmark sizes its ceiling buffers from it). */
    public boolean isGpu() { return cl.ref.type() == org.jocl.CL.CL_DEVICE_TYPE_GPU; }

    /** Device-to-device copy bandwidth (GB/s, read + written) of a buffer of up to 1 GiB. */
    public double copyGBps(boolean quick) {
        long bytes = Math.min(quick ? 64L << 20 : 1L << 30, cl.globalMemBytes / 8);
        cl_mem a = cl.alloc(bytes), b = cl.alloc(bytes);
        try {
            cl.copy(b, 0, a, 0, bytes, null);                       // touch both
            double[] ms = new double[quick ? 5 : 30];
            for (int i = -3; i < ms.length; i++) {
                cl_event ev = new cl_event();
                if ((i & 1) == 0) cl.copy(a, 0, b, 0, bytes, ev); else cl.copy(b, 0, a, 0, bytes, ev);
                cl.finish();
                if (i >= 0) ms[i] = OpenClContext.elapsedMs(ev);
                clReleaseEvent(ev);
            }
            return 2.0 * bytes / (median(ms) * 1e-3) / 1e9;
        } finally {
            OpenClContext.release(a, b);
        }
    }

    /**
     * Read bandwidth (GB/s) of stream.cl over one buffer of the given size (capped at 1/8 of the device
     * memory): the practical ceiling of a kernel that only reads (4 vectors of 16 bytes per item and step,
     * 8 groups of 256 per compute unit; the best shape tried on the H200, lab/gpu/run12_probe.txt). It
     * depends on the size: on the H200 a 1 GiB read ran at 4.48 TB/s and a 117 MB one (a 4096×14336 fp16
     * W) at 3.5–3.6 TB/s, a short kernel losing its start and end (lab/gpu/README.md, run 14).
     */
    public double readGBps(long bytes) {
        bytes = Math.min(bytes, cl.globalMemBytes / 8) & ~15L;
        var k = cl.kernel("stream.cl", "-DU=4", "stream");
        long global = 8L * Math.max(1, cl.computeUnits) * 256;
        cl_mem a = cl.alloc(bytes), out = cl.alloc(4 * global);
        try {
            int[] block = new int[Math.min((int) (bytes / 4), 1 << 22)];   // random data, not a constant fill
            Rng rng = new Rng(5);
            for (int i = 0; i < block.length; i++) block[i] = (int) rng.nextLong();
            cl_mem src = cl.upload(block);
            for (long off = 0; off < bytes; off += 4L * block.length) cl.copy(src, 0, a, off, Math.min(4L * block.length, bytes - off), null);
            OpenClContext.release(src);
            double[] ms = new double[isGpu() ? 30 : 5];
            for (int i = -3; i < ms.length; i++) {
                cl_event ev = new cl_event();
                cl.launch(k, global, 256, ev, out, a, bytes / 16);
                cl.finish();
                if (i >= 0) ms[i] = OpenClContext.elapsedMs(ev);
                clReleaseEvent(ev);
            }
            return bytes / (median(ms) * 1e-3) / 1e9;
        } finally {
            OpenClContext.release(a, out);
        }
    }

    /** Bytes the kernel must read (the GB/s figure's numerator). */
    public static long bytesRead(String kernel, DType dt, int h, int d, int nm) {
        long w = (long) d * h * dt.bytes, planes = (long) d * MaskPlanes.wordsPerRow(h) * 4;
        return switch (kernel) {
            case "flashmglu" -> w + nm * planes;
            case "swiglu" -> 2 * w;
            case "naive_mglu" -> nm * (3 * w + planes);
            default -> throw new IllegalArgumentException("unknown kernel '" + kernel + "' (flashmglu, naive_mglu, swiglu)");
        };
    }

    /** Times one kernel on one case; returns the median ms per call and the sampled max_rel_err. */
    public Result time(String kernel, DType dt, int h, int d, int nm, int B, boolean quick) {
        bytesRead(kernel, dt, h, d, nm);                            // validates the name
        Rng rng = new Rng(1234 + h * 31L + d * 17L + nm * 7L + B);
        boolean two = kernel.equals("swiglu");
        WeightMatrix w = cachedWeights(0, dt, d, h), w2 = two ? cachedWeights(1, dt, d, h) : null;
        MaskPlanes m = two ? null : randomMasks(rng, nm, d, h);
        float[] x = new float[B * h];
        rng.fillGaussian(x, 0, x.length, 1.0);
        long perSet = w.bytes() * (two ? 2 : 1) + (m == null ? 0 : m.bytes());
        int sets = (int) Math.max(2, Math.min((ROTATE_BYTES + perSet - 1) / perSet, cl.globalMemBytes / 3 / Math.max(1, perSet)));
        if (quick) sets = 2;
        List<OpenClMglu.DeviceMatrix> ws = new ArrayList<>(), w2s = new ArrayList<>();
        List<OpenClMglu.DeviceMasks> ms = new ArrayList<>();
        cl_mem dx = cl.upload(x), dy = cl.alloc(4L * B * d);
        ClNaiveMglu.NaiveScratch scratch = kernel.equals("naive_mglu") ? ClNaiveMglu.NaiveScratch.alloc(cl, dt, d, h, B) : null;
        try {
            for (int s = 0; s < sets; s++) {
                ws.add(s == 0 ? OpenClMglu.DeviceMatrix.upload(cl, w, !two && mglu.tensorCores()) : copyOf(ws.get(0)));
                if (two) w2s.add(s == 0 ? OpenClMglu.DeviceMatrix.upload(cl, w2) : copyOf(w2s.get(0)));
                else ms.add(s == 0 ? OpenClMglu.DeviceMasks.upload(cl, m, mglu.tensorCores()) : copyOf(ms.get(0)));
            }
            // correctness on set 0
            run(kernel, dy, dx, ws.get(0), two ? w2s.get(0) : null, two ? null : ms.get(0), B, scratch, null, null);
            float[] y = new float[B * d];
            cl.read(dy, y, B * d);
            double err = sampledError(kernel, y, x, w, w2, m, B);
            // timing
            int runs = quick ? 5 : 60, warm = quick ? 1 : 5;
            double[] t = new double[runs];
            for (int i = -warm; i < runs; i++) {
                int s = Math.floorMod(i, sets);
                cl_event first = new cl_event(), last = new cl_event();
                boolean naive = scratch != null;
                run(kernel, dy, dx, ws.get(s), two ? w2s.get(s) : null, two ? null : ms.get(s), B, scratch, first, naive ? last : null);
                cl.finish();
                if (i >= 0) t[i] = naive ? spanMs(first, last) : OpenClContext.elapsedMs(first);
                clReleaseEvent(first);
                if (naive) clReleaseEvent(last);
            }
            return new Result(median(t), err);
        } finally {
            for (var a : ws) a.release();
            for (var a : w2s) a.release();
            for (var a : ms) a.release();
            if (scratch != null) scratch.release();
            OpenClContext.release(dx, dy);
        }
    }

    private void run(String kernel, cl_mem dy, cl_mem dx, OpenClMglu.DeviceMatrix w, OpenClMglu.DeviceMatrix w2,
                     OpenClMglu.DeviceMasks m, int B, ClNaiveMglu.NaiveScratch scratch, cl_event first, cl_event last) {
        switch (kernel) {
            case "flashmglu" -> mglu.rows(OpenClMglu.FLASH, dy, null, dx, w, null, m, B, Act.SILU, first);
            case "swiglu" -> mglu.rows(OpenClMglu.SWIGLU, dy, null, dx, w, w2, null, B, Act.SILU, first);
            default -> ClNaiveMglu.run(mglu, dy, dx, w, m, B, Act.SILU, scratch, first, last);
        }
    }

    private static double spanMs(cl_event first, cl_event last) {
        long[] t0 = new long[1], t1 = new long[1];
        org.jocl.CL.clGetEventProfilingInfo(first, org.jocl.CL.CL_PROFILING_COMMAND_START, 8, org.jocl.Pointer.to(t0), null);
        org.jocl.CL.clGetEventProfilingInfo(last, org.jocl.CL.CL_PROFILING_COMMAND_END, 8, org.jocl.Pointer.to(t1), null);
        return (t1[0] - t0[0]) * 1e-6;
    }

    /** Reference on 32 rows spread over d (all rows when d ≤ 32). */
    public static double sampledError(String kernel, float[] y, float[] x, WeightMatrix w, WeightMatrix w2, MaskPlanes m, int B) {
        int d = w.rows(), h = w.cols(), n = Math.min(32, d);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = (int) ((long) i * d / n);
        WeightMatrix sw = subRows(w, rows);
        float[] e = new float[B * n], a = new float[B * n];
        for (int b = 0; b < B; b++) for (int i = 0; i < n; i++) a[b * n + i] = y[b * d + rows[i]];
        if (kernel.equals("swiglu")) {
            float[] v = new float[B * n];
            ReferenceKernels ref = new ReferenceKernels();
            ref.gemv(e, x, sw, B);
            ref.gemv(v, x, subRows(w2, rows), B);
            for (int i = 0; i < e.length; i++) e[i] = Act.SILU.apply(e[i]) * v[i];
        } else {
            int wpr = m.wordsPerRow(), nm = m.nm();
            int[] bits = new int[n * nm * wpr];
            int[] all = m.toInts();
            for (int i = 0; i < n; i++) System.arraycopy(all, rows[i] * nm * wpr, bits, i * nm * wpr, nm * wpr);
            ReferenceMglu.flash(e, x, sw, new MaskPlanes(nm, n, h, bits), B, Act.SILU);
        }
        double max = 0, worst = 0;
        for (float v : e) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(Math.abs(e[i]), 1e-3 * max));
        return worst;
    }

    /** The given rows of w, copied (same dtype). */
    private static WeightMatrix subRows(WeightMatrix w, int[] rows) {
        long rowBytes = (long) w.cols() * w.dtype().bytes;
        java.lang.foreign.MemorySegment out = java.lang.foreign.MemorySegment.ofArray(new byte[(int) (rows.length * rowBytes)]);
        for (int i = 0; i < rows.length; i++) out.asSlice(i * rowBytes, rowBytes).copyFrom(w.seg().asSlice(rows[i] * rowBytes, rowBytes));
        return new WeightMatrix(w.dtype(), rows.length, w.cols(), out);
    }

    /** Random weights for (dt, d, h), two of them (which = 0, 1), kept for the next case of the same shape. */
    private WeightMatrix cachedWeights(int which, DType dt, int d, int h) {
        String key = which + " " + dt + " " + d + " " + h;
        if (!weightCache.containsKey(key)) {
            weightCache.keySet().removeIf(k -> !k.endsWith(" " + dt + " " + d + " " + h));
            weightCache.put(key, randomWeights(new Rng(99 + which), dt, d, h));
        }
        return weightCache.get(key);
    }

    /** Random weights with std 1/√h (so outputs stay O(1)), encoded directly (no float copy of the whole). */
    public static WeightMatrix randomWeights(Rng rng, DType dt, int d, int h) {
        int n = d * h;
        float scale = (float) (1.0 / Math.sqrt(h));
        if (dt == DType.F32) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = (float) rng.nextGaussian() * scale;
            return WeightMatrix.ofF32(f, 0, d, h);
        }
        short[] s = new short[n];
        for (int i = 0; i < n; i++) s[i] = dt.encode((float) (rng.nextDouble() * 2 - 1) * 1.7f * scale);
        return jmglu.engine.Tensor.ofHalf(dt, s, d, h).asWeights();
    }

    /** Random bit-planes (each mask bit 1 with probability ½), padding bits zero. */
    public static MaskPlanes randomMasks(Rng rng, int nm, int d, int h) {
        int wpr = MaskPlanes.wordsPerRow(h);
        int[] bits = new int[d * nm * wpr];
        int tail = h & 31;
        for (int i = 0; i < bits.length; i++) {
            int v = (int) rng.nextLong();
            if (tail != 0 && i % wpr == wpr - 1) v &= (1 << tail) - 1;
            bits[i] = v;
        }
        return new MaskPlanes(nm, d, h, bits);
    }

    private OpenClMglu.DeviceMatrix copyOf(OpenClMglu.DeviceMatrix a) {
        return new OpenClMglu.DeviceMatrix(a.dtype(), a.rows(), a.cols(), cl.duplicate(a.mem()), a.tc() == null ? null : cl.duplicate(a.tc()));
    }

    private OpenClMglu.DeviceMasks copyOf(OpenClMglu.DeviceMasks a) {
        return new OpenClMglu.DeviceMasks(a.nm(), a.rows(), a.cols(), cl.duplicate(a.mem()), a.tc() == null ? null : cl.duplicate(a.tc()));
    }

    public static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    @Override
    public void close() {
        mglu.release();
        if (ownsContext) cl.close();
    }
}
