package jmglu.lab.gpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClMglu;
import jmglu.gpu.OpenClSettings;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * The decode GEMVs of the issue-12 model (C 2048, hidden 8192, vocab 256, fp16) on the row kernel (mglu.cl) and on
 * the tensor-core GEMV (gemv_tc.cl) at B = 1, 2, 4, 8: µs a call (median of the OpenCL profiling events over 40
 * calls, each on another copy of W so that the copies together exceed the 60 MB L2) and GB/s of W read, plus the
 * largest |tc − row| / max|row| over the outputs (a device-side agreement check; the kernels' own tests are
 * against the float64 reference). Shapes: qkv (6144, 2048), Wo (2048, 2048, y +=), W2 (2048, 8192, y +=), SwiGLU's
 * glu 2 × (8192, 2048), lm head (256, 2048). Variants: "row", "tc" (the defaults), "tc:W:U:S:P:M" (gemv_tc's
 * -Djmglu.opencl.tcgemvwarps W warps per compute unit, tcgemvu U steps per load batch, S = settings.tcWarps, the
 * fewest warps a group, tcgemvpf P (1: the next batch's W prefetched), tcgemvmaxks M, the most warps a group),
 * "b1[:W:U:R:K:W2:P]" (gemv_b1.cl at B ≤ 4: -Djmglu.opencl.b1warps W warps per compute unit, b1u U chunks per load batch,
 * b1rows R rows a group, b1ks K the most warps a group), "b1:W:U:R:K:W2:P" (b1warps2 = W2 for the glu, b1persist = P; absent knobs take the launcher's defaults); floors
 * "read" and "nop" ({@link #floor}, once per shape). Shape "qkvn" is qkv of rmsnorm(x) (NORMIN).
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.TcGemvProbe [--batches 1,2,4,8] [--small] VARIANT...
 * </pre>
 */
public final class TcGemvProbe {
    record Shape(String name, int d, int h, boolean glu, boolean acc, boolean norm) {
        Shape(String name, int d, int h, boolean glu, boolean acc) { this(name, d, h, glu, acc, false); }
    }

    static final Shape[] SHAPES = {new Shape("qkv", 6144, 2048, false, false), new Shape("qkvn", 6144, 2048, false, false, true),
            new Shape("wo", 2048, 2048, false, true), new Shape("w2", 2048, 8192, false, true), new Shape("glu", 8192, 2048, true, false),
            new Shape("lmhead", 256, 2048, false, false)};

    public static void main(String[] args) {
        int[] batches = {1, 2, 4, 8};
        List<String> variants = new ArrayList<>();
        boolean small = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--small")) small = true;                  // shapes / 16: a quick run on a CPU device
            else if (args[i].equals("--batches")) batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
            else variants.add(args[i]);
        }
        if (variants.isEmpty()) variants = List.of("row", "tc");
        try (OpenClContext cl = OpenClContext.open()) {
            System.out.println("TcGemvProbe on " + cl.ref.describe() + ", " + cl.computeUnits + " compute units");
            System.out.printf(Locale.ROOT, "%-7s %2s %-12s %9s %8s %10s%n", "shape", "B", "variant", "us", "GB/s", "vs row");
            for (Shape s : SHAPES) probe(cl, small ? new Shape(s.name, s.d / 16, s.h / 16, s.glu, s.acc, s.norm) : s, batches, variants);
        }
    }

    static void probe(OpenClContext cl, Shape s, int[] batches, List<String> variants) {
        long wBytes = 2L * s.d * s.h * (s.glu ? 2 : 1);
        int sets = (int) Math.max(2, Math.min(64, (256L << 20) / wBytes));
        short[] w = new short[s.d * s.h];
        jmglu.engine.Rng rng = new jmglu.engine.Rng(s.d * 31L + s.h);
        for (int i = 0; i < w.length; i++) w[i] = Float.floatToFloat16((float) (rng.nextGaussian() / Math.sqrt(s.h)));
        List<OpenClMglu.DeviceMatrix> ws = new ArrayList<>(), vs = new ArrayList<>();
        for (int k = 0; k < sets; k++) {
            ws.add(new OpenClMglu.DeviceMatrix(DType.F16, s.d, s.h, cl.upload(w)));
            if (s.glu) vs.add(new OpenClMglu.DeviceMatrix(DType.F16, s.d, s.h, cl.upload(w)));
        }
        try {
            for (int B : batches) {
                float[] x = new float[B * s.h];
                for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
                float[] g = new float[s.h];
                for (int i = 0; i < g.length; i++) g[i] = 1 + 0.1f * (float) rng.nextGaussian();
                cl_mem dx = cl.upload(x), dy = cl.alloc(4L * B * s.d), dg = cl.upload(g);
                OpenClMglu.NormIn norm = s.norm ? new OpenClMglu.NormIn(dg, 0, 1e-5f) : null;
                float[] ref = null;
                try {
                    for (String v : variants) {
                        if (v.equals("read") || v.equals("nop")) {
                            if (B == batches[0]) floor(cl, s, v, ws, sets);
                            continue;
                        }
                        OpenClMglu mglu = launcher(cl, v);
                        try {
                            float[] y = new float[B * s.d];
                            cl.zero(dy, 0, 4L * B * s.d);
                            call(mglu, s, dy, dx, norm, ws.get(0), s.glu ? vs.get(0) : null, B, null);
                            cl.read(dy, y, y.length);
                            if (v.startsWith("b1") && !mglu.b1GemvApplies(DType.F16, s.h, B, s.norm)) System.out.println(v + ": gemv_b1 refused or not taken");
                            if (ref == null) ref = y;
                            double[] t = new double[40];
                            for (int i = -5; i < t.length; i++) {
                                int k = Math.floorMod(i, sets);
                                cl_event ev = new cl_event();
                                call(mglu, s, dy, dx, norm, ws.get(k), s.glu ? vs.get(k) : null, B, ev);
                                cl.finish();
                                if (i >= 0) t[i] = OpenClContext.elapsedMs(ev);
                                org.jocl.CL.clReleaseEvent(ev);
                            }
                            Arrays.sort(t);
                            double ms = t[t.length / 2];
                            System.out.printf(Locale.ROOT, "%-7s %2d %-12s %9.1f %8.0f %10.2e%n", s.name, B, v, ms * 1e3, wBytes / (ms * 1e-3) / 1e9, relDiff(ref, y));
                        } finally {
                            mglu.release();
                        }
                    }
                } finally {
                    OpenClContext.release(dx, dy, dg);
                }
            }
        } finally {
            for (var m : ws) m.release();
            for (var m : vs) m.release();
        }
    }

    /**
     * The floors of one shape: "read", stream.cl (U = 4, one pass, a work-item per 4 uint4) over one matrix's bytes (for
     * the glu: one of its two matrices, GB/s of those bytes), the same W copies rotated; "nop", the same kernel over 0 bytes
     * (one group): what the profiling event of an empty launch measures.
     */
    static void floor(OpenClContext cl, Shape s, String v, List<OpenClMglu.DeviceMatrix> ws, int sets) {
        long bytes = v.equals("nop") ? 0 : 2L * s.d * s.h, n = bytes / 16, gs = Math.max(256, (n / 4 + 255) / 256 * 256);
        org.jocl.cl_kernel k = cl.kernel("stream.cl", "-DU=4", "stream");
        cl_mem out = cl.alloc(4 * gs);
        try {
            double[] t = new double[40];
            for (int i = -5; i < t.length; i++) {
                cl_event ev = new cl_event();
                cl.launch(k, gs, 256, ev, out, ws.get(Math.floorMod(i, sets)).mem(), n);
                cl.finish();
                if (i >= 0) t[i] = OpenClContext.elapsedMs(ev);
                org.jocl.CL.clReleaseEvent(ev);
            }
            Arrays.sort(t);
            double ms = t[t.length / 2];
            System.out.printf(Locale.ROOT, "%-7s %2s %-12s %9.1f %8.0f%n", s.name, "-", v, ms * 1e3, bytes / (ms * 1e-3) / 1e9);
        } finally {
            OpenClContext.release(out);
        }
    }

    /** The variant's launcher: "row" takes no batch on tensor cores; "tc[:W:U:S:P:M]" takes B 1..16 with that shape. */
    static OpenClMglu launcher(OpenClContext cl, String v) {
        OpenClSettings s = OpenClSettings.fromSystemProperties().withFast(false);
        if (v.equals("row")) return new OpenClMglu(cl, s.withTcGemv(OpenClMglu.MAX_BATCH + 1, 0));
        String[] p = v.split(":");
        if (p[0].equals("b1") || p[0].equals("b1x")) {                                  // gemv_b1.cl for B ≤ 4
            System.setProperty("jmglu.opencl.b1max", "4");
            String[] knobs = {"b1warps", "b1u", "b1rows", "b1ks", "b1warps2", "b1persist"};                // absent: the launcher's defaults
            for (int i = 0; i < knobs.length; i++)
                if (p.length > i + 1) System.setProperty("jmglu.opencl." + knobs[i], p[i + 1]);
                else System.clearProperty("jmglu.opencl." + knobs[i]);
            return new OpenClMglu(cl, s.withTc(OpenClSettings.Switch.ON).withTcGemv(1, OpenClMglu.MAX_BATCH));
        }
        System.setProperty("jmglu.opencl.b1max", "0");                                   // tc: gemv_tc.cl at every B
        System.setProperty("jmglu.opencl.tcgemvwarps", p.length > 1 ? p[1] : "16");    // read when the launcher is made
        System.setProperty("jmglu.opencl.tcgemvu", p.length > 2 ? p[2] : "2");
        if (p.length > 3) s = s.withTcShape(Integer.parseInt(p[3]), s.tcParts());
        System.setProperty("jmglu.opencl.tcgemvpf", p.length > 4 ? p[4] : "0");
        System.setProperty("jmglu.opencl.tcgemvmaxks", p.length > 5 ? p[5] : "16");
        return new OpenClMglu(cl, s.withTc(OpenClSettings.Switch.ON).withTcGemv(1, OpenClMglu.MAX_BATCH));
    }

    static void call(OpenClMglu mglu, Shape s, cl_mem y, cl_mem x, OpenClMglu.NormIn norm, OpenClMglu.DeviceMatrix w,
                     OpenClMglu.DeviceMatrix w2, int B, cl_event ev) {
        if (s.glu) mglu.rows(OpenClMglu.SWIGLU, y, null, x, norm, w, w2, null, B, Act.SILU, ev);
        else mglu.gemv(y, x, norm, w, B, s.acc, ev);
    }

    static double relDiff(float[] a, float[] b) {
        double max = 0, diff = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff / Math.max(max, 1e-30);
    }
}
