package jmglu.lab.simd;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import jmglu.bench.Ceilings;
import jmglu.bench.ProfilingBackend;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.Tensor;
import jmglu.model.Config;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;
import jmglu.simd.SimdBackend;
import jmglu.simd.SimdKernels;
import jmglu.simd.SimdSettings;

/**
 * Whole decode steps, A/B in one JVM (a main, not a test): the same random BF16 model (off-heap, as
 * `jmglu bench decode` makes it) on "host" = HostBackend over SimdKernels (the generic composition)
 * and "simd" = SimdBackend, ALTERNATING pass by pass so that load drift on a shared machine hits
 * both alike. A pass is P prompt steps then N decode steps; the row gives the median decode tok/s
 * of the passes, the read ceiling measured before and after, and one profiled pass's time shares.
 * "simd-split" is SimdBackend with linearQkv left to the default composition (three linears).
 * Usage: DecodeAB [swiglu|mglu] [nm] [B list] [passes] [P] [N] [variants, e.g. host,simd]
 */
public final class DecodeAB {
    public static void main(String[] a) throws Exception {
        String ffn = a.length > 0 ? a[0] : "swiglu";
        int nm = a.length > 1 ? Integer.parseInt(a[1]) : 4;
        int[] batches = Arrays.stream((a.length > 2 ? a[2] : "1,8").split(",")).mapToInt(Integer::parseInt).toArray();
        int passes = a.length > 3 ? Integer.parseInt(a[3]) : 5, P = a.length > 4 ? Integer.parseInt(a[4]) : 16, N = a.length > 5 ? Integer.parseInt(a[5]) : 64;
        String[] names = (a.length > 6 ? a[6] : "host,simd").split(",");
        boolean mglu = ffn.equals("mglu");
        Config c = Config.of(256, 1024, 8, 8, 4096, P + N, mglu ? Config.FfnKind.MGLU : Config.FfnKind.GLU, mglu ? nm : 0, Act.SILU, 0, true);
        try (Arena arena = Arena.ofShared()) {
            Map<String, Tensor> t = Transformer.randomPacked(c, DType.BF16, 1, arena);
            ProfilingBackend[] be = new ProfilingBackend[names.length];
            Transformer[] m = new Transformer[names.length];
            for (int i = 0; i < names.length; i++) {
                SimdKernels k = new SimdKernels(SimdSettings.defaults());
                Backend b = switch (names[i]) {
                    case "host" -> new HostBackend(k, k.describe());
                    case "simd" -> new SimdBackend(k);
                    case "simd-split" -> new SplitQkv(new SimdBackend(k));
                    default -> throw new IllegalArgumentException("variant " + names[i]);
                };
                be[i] = new ProfilingBackend(b);
                m[i] = Transformer.forInference(c, t, be[i]);
            }
            System.out.printf(Locale.ROOT, "%s, %,d weight bytes per step, P=%d N=%d, %d passes per variant%n", c.label(), m[0].weightBytesPerStep(), P, N, passes);
            double ceil0 = Ceilings.readGBps(be[0]);
            for (int B : batches) {
                double[][] tok = new double[names.length][passes];
                for (int i = 0; i < names.length; i++) pass(m[i], B, P, N);                  // warm-up
                for (int p = 0; p < passes; p++)
                    for (int i = 0; i < names.length; i++) tok[i][p] = pass(m[i], B, P, N);
                for (int i = 0; i < names.length; i++) {
                    be[i].reset();
                    be[i].profiling = true;
                    long t0 = System.nanoTime();
                    pass(m[i], B, P, Math.min(N, 32));
                    long total = System.nanoTime() - t0;
                    be[i].profiling = false;
                    StringBuilder sh = new StringBuilder();
                    for (var e : be[i].nanos().entrySet()) sh.append(String.format(Locale.ROOT, " %s %.0f%%", e.getKey(), 100.0 * e.getValue() / total));
                    double[] s = tok[i].clone();
                    Arrays.sort(s);
                    System.out.printf(Locale.ROOT, "%-5s B=%-2d decode median %8.1f tok/s (min %.1f, max %.1f)   time:%s%n", names[i], B, s[passes / 2], s[0], s[passes - 1], sh);
                }
            }
            double ceil1 = Ceilings.readGBps(be[0]);
            double ceil = Math.max(ceil0, ceil1);
            System.out.printf(Locale.ROOT, "read ceiling %.1f GB/s before, %.1f after: B=1 floor %.1f tok/s at %.1f%n", ceil0, ceil1, ceil * 1e9 / m[0].weightBytesPerStep(), ceil);
        }
    }

    /** b with every op passed on, except linearQkv: the Backend default (three linears). */
    record SplitQkv(Backend b) implements Backend {
        @Override public String name() { return b.name(); }
        @Override public String describe() { return b.describe(); }
        @Override public boolean canTrain() { return b.canTrain(); }
        @Override public jmglu.engine.Kernels kernels() { return b.kernels(); }
        @Override public Tensor adopt(Tensor t) { return b.adopt(t); }
        @Override public Tensor zeros(int... shape) { return b.zeros(shape); }
        @Override public void read(Tensor t, float[] dst) { b.read(t, dst); }
        @Override public java.util.Set<String> ops() { return b.ops(); }
        @Override public void embedding(Tensor out, Tensor table, int[] ids) { b.embedding(out, table, ids); }
        @Override public void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) { b.rmsnorm(out, x, w, eps); }
        @Override public void linear(Tensor y, Tensor x, Tensor w, boolean acc) { b.linear(y, x, w, acc); }
        @Override public void rope(Tensor x, int nH, int hd, int[] pos, jmglu.engine.Rope rope) { b.rope(x, nH, hd, pos, rope); }
        @Override public void attentionStep(Tensor out, Tensor q, Tensor k, Tensor v, Tensor kc, Tensor vc, int[] pos, int nH, int nKv, int hd) {
            b.attentionStep(out, q, k, v, kc, vc, pos, nH, nKv, hd);
        }
        @Override public void act(Act g, Tensor x) { b.act(g, x); }
        @Override public void glu(Tensor y, Tensor x, Tensor wg, Tensor wv, Act g) { b.glu(y, x, wg, wv, g); }
        @Override public void flashMglu(Tensor y, Tensor x, Tensor w, Tensor masks, Act g) { b.flashMglu(y, x, w, masks, g); }
        @Override public void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int k, Act g) { b.mgluTopK(y, x, w, masks, router, k, g); }
    }

    /** Decode tok/s of one pass: P prompt steps (untimed), then N steps, B rows. */
    static double pass(Transformer m, int B, int P, int N) {
        try (DecodeState s = m.newState(B, P + N)) {
            int[] tok = new int[B], pos = new int[B];
            for (int p = 0; p < P; p++) {
                for (int b = 0; b < B; b++) { tok[b] = (31 * p + 7 * b + 1) % 256; pos[b] = p; }
                m.decode(s, tok, pos);
            }
            long t0 = System.nanoTime();
            for (int n = 0; n < N; n++) {
                for (int b = 0; b < B; b++) { tok[b] = (13 * n + 5 * b + 3) % 256; pos[b] = P + n; }
                m.decode(s, tok, pos);
            }
            return B * N / ((System.nanoTime() - t0) * 1e-9);
        }
    }
}
