package jmglu.lab.gpu;

import java.util.Arrays;
import java.util.Locale;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClSettings;

/**
 * The prefill GEMMs (gemm_tc.cl, B &gt; 8 rows) on a device, for machines without Maven:
 * <ol>
 *   <li>correctness through the Backend ops against HostBackend(ReferenceKernels) on awkward sizes
 *       (B 9..70, h not a multiple of 32, d not of 16, fp16 and bf16, acc on/off, nm 1..8);</li>
 *   <li>at the prefill's sizes (B = 512, the issue's model: C 2048, hidden 8192, nm 4) the GEMM against the
 *       row kernels (-Djmglu.opencl.gemm=off, validated by OpenClSelfCheck) on the same device: relative error;</li>
 *   <li>the time of each GEMM op at those sizes (median of 20 after 3 warm-ups, whole queue finished) and its
 *       TFLOP/s of model arithmetic (2·B·d·h per matrix, nm + 1 of them for FlashMGLU), for the default tile
 *       shapes and each variant given as an argument "mode=mt,nt,wm,wn" (mode linear, glu or flash), and for the row kernels.</li>
 * </ol>
 * Exits 1 on the first failed comparison. <pre>  java -cp 'lib/*' jmglu.lab.gpu.GemmCheck [flash=1,2,2,2 ...]</pre>
 */
public final class GemmCheck {
    static final HostBackend REF = new HostBackend(new ReferenceKernels(), "ref");
    static int checks;

    public static void main(String[] args) {
        OpenClSettings s = OpenClSettings.fromSystemProperties();
        try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), s)) {
            System.out.println("gemm check on " + gpu.describe());
            small(gpu);
        }
        large(s);
        System.out.println("gemm correctness passed (" + checks + " comparisons)");
        System.out.println("op,variant,ms,model_tflops");
        time(s, "default", null);
        for (String a : args) time(s, a, a);
        time(s, "rows", "off");
    }

    static void small(OpenClBackend gpu) {
        Rng rng = new Rng(5);
        int[][] cases = {{40, 17, 9, 1}, {72, 45, 17, 3}, {64, 70, 33, 4}, {104, 33, 70, 8}, {2048, 100, 37, 4}};   // h, d, B, nm
        int n = 0;
        for (int[] c : cases)
            for (DType dt : new DType[] {DType.F16, DType.BF16}) {
                int h = c[0], d = c[1], B = c[2], nm = c[3];
                Act g = Act.values()[n++ % 3];
                Tensor w = w(rng, dt, d, h), w2 = w(rng, dt, d, h), x = Tensor.randn(rng, 1, B, h), y0 = Tensor.randn(rng, 1, B, d);
                Tensor m = OpenClBackendCheck.masks(rng, nm, d, h);
                Tensor dx = gpu.adopt(x), dw = gpu.adopt(w), dw2 = gpu.adopt(w2), dm = gpu.adopt(m);
                String what = dt + " " + g + " h=" + h + " d=" + d + " B=" + B;
                double sc = Math.max(1, Math.sqrt(h / 64.0));                    // float32 sums of h terms in another order
                for (boolean acc : new boolean[] {false, true}) {
                    Tensor e = y0.copy(), a = gpu.adopt(y0);
                    REF.linear(e, x, w, acc);
                    gpu.linear(a, dx, dw, acc);
                    close(e, read(gpu, a), 2e-5 * sc, 1e-4, "linear acc=" + acc + " " + what);
                }
                Tensor e = Tensor.zeros(B, d), a = gpu.zeros(B, d);
                REF.glu(e, x, w, w2, g);
                gpu.glu(a, dx, dw, dw2, g);
                close(e, read(gpu, a), 2e-5 * sc, 1e-4, "glu " + what);
                REF.flashMglu(e, x, w, m, g);
                gpu.flashMglu(a, dx, dw, dm, g);
                close(e, read(gpu, a), 1e-4 * nm * sc, 1e-4, "flashMglu nm=" + nm + " " + what);
            }
        // the prefill's attention: q, k, v by one GEMM, then attn_prefill.cl (P rows at p0.. of cache row 1, GQA, several key tiles)
        for (int[] c : new int[][] {{70, 30, 128, 0}, {37, 5, 64, 1}, {200, 0, 128, 0}}) {      // P, p0, hd, halves
            int P = c[0], p0 = c[1], hd = c[2], nH = 4, nKv = 2, h = 256, maxT = p0 + P + 3;
            jmglu.engine.Rope rope = c[3] == 1 ? jmglu.engine.Rope.halves(10000f, new jmglu.engine.Rope.Scaling.None())
                    : jmglu.engine.Rope.interleaved(10000f);
            Tensor wq = w(rng, DType.F16, nH * hd, h), wk = w(rng, DType.F16, nKv * hd, h), wv = w(rng, DType.F16, nKv * hd, h);
            Tensor x = Tensor.randn(rng, 1, P, h), kc = Tensor.randn(rng, 1, 2, maxT, nKv * hd), vc = Tensor.randn(rng, 1, 2, maxT, nKv * hd);
            Tensor e = Tensor.zeros(P, nH * hd), ek = kc.copy(), ev = vc.copy(), a = gpu.zeros(P, nH * hd), ak = gpu.adopt(kc), av = gpu.adopt(vc);
            REF.prefillAttention(e, x, wq, wk, wv, Tensor.zeros(P, nH * hd), Tensor.zeros(P, nKv * hd), Tensor.zeros(P, nKv * hd), ek, ev, 1, p0, nH, nKv, hd, rope);
            gpu.prefillAttention(a, gpu.adopt(x), gpu.adopt(wq), gpu.adopt(wk), gpu.adopt(wv), gpu.zeros(P, nH * hd), gpu.zeros(P, nKv * hd),
                    gpu.zeros(P, nKv * hd), ak, av, 1, p0, nH, nKv, hd, rope);
            String what = "prefillAttention P=" + P + " p0=" + p0 + " hd=" + hd;
            close(e, read(gpu, a), 4e-5, 1e-4, what);
            close(ek, read(gpu, ak), 4e-5, 1e-4, what + " k cache");
            close(ev, read(gpu, av), 4e-5, 1e-4, what + " v cache");
        }
        System.out.println("small sizes: " + checks + " comparisons passed");
    }

    /** The prefill's sizes: the GEMM against the row kernels (gemm off) on the device, max |a − e| / max |e|. */
    static void large(OpenClSettings s) {
        Rng rng = new Rng(6);
        int B = 512, C = 2048, H = 8192, nm = 4;
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            Tensor w1 = w(rng, dt, H, C), w2 = w(rng, dt, C, H), x = Tensor.randn(rng, 1, B, C), xh = Tensor.randn(rng, 1, B, H);
            Tensor m = OpenClBackendCheck.masks(rng, nm, H, C);
            float[][] out = new float[2][];
            float[][] lin = new float[2][];
            for (int v = 0; v < 2; v++) {
                System.setProperty("jmglu.opencl.gemm", v == 0 ? "auto" : "off");
                try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), s)) {
                    Tensor y = gpu.zeros(B, H), y2 = gpu.zeros(B, C);
                    gpu.flashMglu(y, gpu.adopt(x), gpu.adopt(w1), gpu.adopt(m), Act.SILU);
                    gpu.linear(y2, gpu.adopt(xh), gpu.adopt(w2), false);
                    out[v] = read(gpu, y);
                    lin[v] = read(gpu, y2);
                }
            }
            System.clearProperty("jmglu.opencl.gemm");
            report("flashMglu B=512 C=2048 H=8192 nm=4 " + dt, out[1], out[0]);
            report("linear B=512 h=8192 d=2048 " + dt, lin[1], lin[0]);
        }
    }

    static void report(String what, float[] e, float[] a) {
        double big = 0, err = 0;
        for (int i = 0; i < e.length; i++) {
            big = Math.max(big, Math.abs(e[i]));
            err = Math.max(err, Math.abs(a[i] - e[i]));
        }
        System.out.printf(Locale.ROOT, "%s: gemm vs row kernels max |diff| %.3g, max |y| %.3g, ratio %.3g%n", what, err, big, err / big);
        checks++;
        if (!(err <= 1e-4 * big)) fail(what + ": the GEMM is off by " + err + " (max |y| " + big + ")");
    }

    /** Times each op at the prefill's sizes; variant: null (defaults), "off" (row kernels) or "mode=mt,nt,wm,wn". */
    static void time(OpenClSettings s, String name, String variant) {
        if ("off".equals(variant)) System.setProperty("jmglu.opencl.gemm", "off");
        else if (variant != null) System.setProperty("jmglu.opencl.gemmshape." + variant.substring(0, variant.indexOf('=')), variant.substring(variant.indexOf('=') + 1));
        Rng rng = new Rng(8);
        int B = 512, C = 2048, H = 8192, nm = 4;
        OpenClContext cl = OpenClContext.open();
        try (OpenClBackend gpu = new OpenClBackend(cl, s)) {
            Tensor x = gpu.adopt(Tensor.randn(rng, 1, B, C)), xh = gpu.adopt(Tensor.randn(rng, 1, B, H));
            Tensor wqkv = gpu.adopt(w(rng, DType.F16, 3 * C, C)), wo = gpu.adopt(w(rng, DType.F16, C, C)), w1 = gpu.adopt(w(rng, DType.F16, H, C));
            Tensor wv = gpu.adopt(w(rng, DType.F16, H, C)), w2 = gpu.adopt(w(rng, DType.F16, C, H));
            Tensor m = gpu.adopt(OpenClBackendCheck.masks(rng, nm, H, C));
            Tensor yq = gpu.zeros(B, 3 * C), yc = gpu.zeros(B, C), yh = gpu.zeros(B, H);
            if (variant == null || variant.startsWith("linear") || "off".equals(variant)) {
                time(cl, name, "linear qkv d=6144 h=2048", 2.0 * B * 3 * C * C, () -> gpu.linear(yq, x, wqkv, false));
                time(cl, name, "linear o acc d=2048 h=2048", 2.0 * B * C * C, () -> gpu.linear(yc, x, wo, true));
                time(cl, name, "linear down d=2048 h=8192", 2.0 * B * C * H, () -> gpu.linear(yc, xh, w2, false));
            }
            if (variant == null || variant.startsWith("glu") || "off".equals(variant))
                time(cl, name, "glu d=8192 h=2048", 2.0 * 2 * B * H * C, () -> gpu.glu(yh, x, w1, wv, Act.SILU));
            if (variant == null || variant.startsWith("flash") || "off".equals(variant))
                time(cl, name, "flashMglu nm=4 d=8192 h=2048", 2.0 * (nm + 1) * B * H * C, () -> gpu.flashMglu(yh, x, w1, m, Act.SILU));
        } finally {
            System.clearProperty("jmglu.opencl.gemm");
            if (variant != null && variant.contains("=")) System.clearProperty("jmglu.opencl.gemmshape." + variant.substring(0, variant.indexOf('=')));
        }
    }

    static void time(OpenClContext cl, String name, String op, double flops, Runnable r) {
        for (int i = 0; i < 3; i++) r.run();
        cl.finish();
        double[] ms = new double[20];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            r.run();
            cl.finish();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        double med = ms[ms.length / 2];
        System.out.printf(Locale.ROOT, "%s,%s,%.4f,%.1f%n", op, name, med, flops / med / 1e9);
    }

    static Tensor w(Rng rng, DType dt, int d, int h) { return Tensor.randn(rng, 1 / Math.sqrt(h), d, h).to(dt); }

    static float[] read(Backend be, Tensor t) { float[] a = new float[t.size()]; be.read(t, a); return a; }

    static void close(Tensor e, float[] a, double abs, double rel, String what) {
        checks++;
        float[] ex = e.toArray();
        for (int i = 0; i < ex.length; i++)
            if (!(Math.abs(a[i] - ex[i]) <= abs + rel * Math.abs(ex[i])))
                fail(what + ": element " + i + " is " + a[i] + ", expected " + ex[i]);
    }

    static void fail(String why) {
        System.out.println("FAILED: " + why);
        System.exit(1);
    }
}
