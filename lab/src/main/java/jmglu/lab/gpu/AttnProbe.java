package jmglu.lab.gpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;

/**
 * The decode attention kernel alone (issue 12): the variant the JVM's switches pick (-Djmglu.opencl.attnkernel=warp|old,
 * -Djmglu.opencl.attnkeys=32|64, -Djmglu.opencl.attnwpg, attnwg=auto|on|off, attnkw, attnnw, ...), first checked against the host reference on the device
 * (attentionStep, no RoPE, and the fused attention with RoPE: hd 128, 16 heads, GQA 16/4, B = 8 rows of different lengths, B = 1, B = 2),
 * then timed: attentionStep of B rows at one length, 8 cache pairs in turn at B = 1, 3 at B > 1 (so that K and V come
 * from HBM, not from the L2 of the call before, as in a decode step of several layers), device time per launch from the
 * profiling events (median over the calls), and the rate at which it reads K and V (B·nKv·len·hd·2 elements of the
 * caches' type). --kv f16 | f32: the caches' storage type (default: the backend's, F16 unless -Djmglu.opencl.kvcache=f32);
 * over F16 caches the reference is computed on the same halves (the caches and the new k, v rounded through F16).
 * <pre>
 *   java -Djmglu.opencl.attnkeys=32 -cp 'lib/*' jmglu.lab.gpu.AttnProbe [--heads 16] [--hd 128] [--lens 513,576,640] [--batches 1,8] [--kv f16]
 * </pre>
 */
public final class AttnProbe {
    public static void main(String[] args) {
        int nH = 16, hd = 128, layers = 8, calls = 96;
        int[] lens = {513, 576, 640}, batches = {1, 8};
        DType kvt = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--heads" -> nH = Integer.parseInt(args[++i]);
                case "--hd" -> hd = Integer.parseInt(args[++i]);
                case "--lens" -> lens = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--kv" -> kvt = DType.parse(args[++i]);
                default -> throw new IllegalArgumentException("AttnProbe: unknown argument " + args[i]);
            }
        }
        StringBuilder vb = new StringBuilder(System.getProperty("jmglu.opencl.attnkernel", "warp"));   // every jmglu.opencl.attn* switch set
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("jmglu.opencl.attn") && !k.equals("jmglu.opencl.attnkernel")).sorted()
                .forEach(k -> vb.append(' ').append(k.substring(17)).append('=').append(System.getProperty(k)));
        try (Backend be = Backends.open("opencl")) {
            DType kt = kvt != null ? kvt : be.kvCacheType();
            String variant = vb.append(" kv=").append(kt.name().toLowerCase(Locale.ROOT)).toString();
            OpenClContext cl = ((OpenClBackend) be).context();
            check(be, variant, kt);
            int maxT = 640;
            for (int B : batches)
                for (int len : lens) {
                    int kv = nH * hd;
                    Rng rng = new Rng(5);
                    List<Tensor[]> caches = new ArrayList<>();
                    for (int l = 0; l < Integer.getInteger("probe.pairs", B == 1 ? layers : 3); l++)   // -Dprobe.pairs=1: K, V from the L2
                        caches.add(new Tensor[] {be.adopt(Tensor.randn(rng, 1, B, maxT, kv).to(kt)), be.adopt(Tensor.randn(rng, 1, B, maxT, kv).to(kt))});
                    Tensor q = be.adopt(Tensor.randn(rng, 1, B, nH * hd)), k = be.adopt(Tensor.randn(rng, 1, B, kv)),
                            v = be.adopt(Tensor.randn(rng, 1, B, kv)), out = be.zeros(B, nH * hd);
                    int[] pos = new int[B];
                    Arrays.fill(pos, len - 1);
                    for (int c = 0; c < 16; c++) be.attentionStep(out, q, k, v, caches.get(c % caches.size())[0], caches.get(c % caches.size())[1], pos, nH, nH, hd);
                    be.sync();
                    cl.profile(true);
                    long t0 = System.nanoTime();
                    for (int c = 0; c < calls; c++) be.attentionStep(out, q, k, v, caches.get(c % caches.size())[0], caches.get(c % caches.size())[1], pos, nH, nH, hd);
                    be.sync();
                    long wall = System.nanoTime() - t0;
                    List<OpenClContext.Launch> ls = cl.profile(false);
                    double[] us = ls.stream().mapToDouble(x -> { long[] se = x.startEnd(); return (se[1] - se[0]) / 1e3; }).sorted().toArray();
                    String kern = ls.isEmpty() ? "?" : ls.get(0).kernel();
                    String[] fno = kern.split(" ", 3);                  // file, name, options: the kernel's private (spilled) bytes
                    long[] priv = new long[1];
                    if (fno.length >= 2)
                        org.jocl.CL.clGetKernelWorkGroupInfo(cl.kernel(fno[0], fno.length == 3 ? fno[2] : "", fno[1]), cl.ref.device(),
                                org.jocl.CL.CL_KERNEL_PRIVATE_MEM_SIZE, org.jocl.Sizeof.cl_ulong, org.jocl.Pointer.to(priv), null);
                    OpenClContext.releaseEvents(ls);
                    double med = us[us.length / 2], bytes = 2.0 * B * nH * len * hd * kt.bytes;
                    System.out.printf(Locale.ROOT, "%-34s B=%d len=%d: %.2f µs a launch (device, median of %d; min %.2f), %.0f GB/s of K+V; wall %.2f µs a call; %s (private %d B)%n",
                            variant, B, len, med, us.length, us[0], bytes / med / 1e3, wall / 1e3 / calls, kern, priv[0]);
                    for (Tensor[] t : caches) { be.release(t[0]); be.release(t[1]); }
                    for (Tensor t : new Tensor[] {q, k, v, out}) be.release(t);
                }
        }
    }

    /** The device's answer against the host reference on mixed rows: attentionStep (GQA 16/4) and the fused attention (RoPE halves). */
    private static void check(Backend be, String variant, DType kt) {
        HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
        Rng rng = new Rng(7);
        int nH = 16, hd = 128, maxT = 700, h = 64;
        for (int[] pos : new int[][] {{0, 30, 31, 32, 99, 640, 699, 63}, {639}, {699, 16}})   // B = 8, 1, 2: attn_warp and attn_wg by the grid
            for (int nKv : new int[] {4, 16}) {
                int B = pos.length, kv = nKv * hd;
                Tensor q = Tensor.randn(rng, 1, B, nH * hd), k = Tensor.randn(rng, 1, B, kv), v = Tensor.randn(rng, 1, B, kv);
                Tensor kc = stored(Tensor.randn(rng, 1, B, maxT, kv), kt), vc = stored(Tensor.randn(rng, 1, B, maxT, kv), kt), e = Tensor.zeros(B, nH * hd);
                Tensor dkc = be.adopt(kc.to(kt)), dvc = be.adopt(vc.to(kt)), a = be.zeros(B, nH * hd);
                ref.attentionStep(e, q, stored(k, kt), stored(v, kt), kc, vc, pos, nH, nKv, hd);
                be.attentionStep(a, be.adopt(q), be.adopt(k), be.adopt(v), dkc, dvc, pos, nH, nKv, hd);
                report(variant + " attentionStep B=" + B + " nKv=" + nKv, e, a, be);
                report(variant + " attentionStep nKv=" + nKv + " k cache", kc, dkc, be);
                Tensor x = Tensor.randn(rng, 1, B, h), wq = Tensor.randn(rng, 0.125, nH * hd, h).to(DType.F16),
                        wk = Tensor.randn(rng, 0.125, kv, h).to(DType.F16), wv = Tensor.randn(rng, 0.125, kv, h).to(DType.F16);
                Rope rope = Rope.halves(10000f, new Rope.Scaling.Linear(2f));
                Tensor rq = Tensor.zeros(B, nH * hd), rk = Tensor.zeros(B, kv), rv = Tensor.zeros(B, kv);   // the composition, k and v stored as the caches hold them
                // the device's q/k/v GEMV may take x as one fp16 part (fp16 W, B > 4: OpenClSettings.xParts): the same x here
                boolean oneX = be instanceof jmglu.gpu.OpenClBackend o && o.settings().xParts(B, DType.F16) == 1;
                ref.linearQkv(rq, rk, rv, oneX ? x.to(DType.F16).to(DType.F32) : x, wq, wk, wv);
                ref.rope(rq, nH, hd, pos, rope);
                ref.rope(rk, nKv, hd, pos, rope);
                ref.attentionStep(e, rq, stored(rk, kt), stored(rv, kt), kc, vc, pos, nH, nKv, hd);
                be.attention(a, be.adopt(x), be.adopt(wq), be.adopt(wk), be.adopt(wv), be.zeros(B, nH * hd), be.zeros(B, kv), be.zeros(B, kv),
                        dkc, dvc, pos, nH, nKv, hd, rope);
                report(variant + " attention(rope halves) B=" + B + " nKv=" + nKv, e, a, be);
                report(variant + " attention(rope halves) nKv=" + nKv + " k cache", kc, dkc, be);
        }
    }

    /** t as a cache of type kt holds it (F16: rounded through halves), a heap F32 tensor. */
    private static Tensor stored(Tensor t, DType kt) { return kt == DType.F32 ? t : t.to(kt).to(DType.F32); }

    private static void report(String what, Tensor expected, Tensor got, Backend be) {
        float[] e = expected.toArray(), g = new float[got.size()];
        be.read(got, g);
        double worst = 0;
        int bad = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - g[i]);
            if (!(d <= 1e-5 + 1e-4 * Math.abs(e[i]))) bad++;
            worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        System.out.printf(Locale.ROOT, "check %-60s %s (max |diff| %.2e, %d of %d outside 1e-5 + 1e-4 rel)%n", what, bad == 0 ? "OK" : "FAIL", worst, bad, e.length);
    }
}
