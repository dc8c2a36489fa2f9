package jmglu.simd;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import jmglu.engine.*;
import jmglu.engine.testing.Check;

/**
 * The child JVM of {@link DeterminismTest}: runs every reducing SIMD kernel once on fixed inputs
 * and prints one line per kernel, "pass name crc", the CRC-32 of its output bits.
 * Args: threads, warm-up calls. With 0 warm-ups it prints one pass ("cold"); otherwise the cold
 * pass, then every kernel is called that many times on small inputs and then on the pass's own
 * inputs until C2 has compiled the hot code, and the "warm" pass is printed.
 *
 * <p>Shapes: awkward sizes around the vector width, and for GEMV, FlashMGLU and the GEMMs problems
 * big enough to be split over the threads. Each case builds its inputs from its own seed.
 */
public final class DeterminismProbe {

    /** A case: computes with k on inputs of scale s (1 = the pass's shapes, 0 = the small warm-up shapes), returns the CRC. */
    interface Case { long run(SimdKernels k, int s); }

    static final Map<String, Case> CASES = new LinkedHashMap<>();

    static {
        add("dot+sum+sumSquares", (k, s) -> { int n = s == 1 ? 1037 : 37; float[] a = r(1, n), b = r(2, n);
            return crc(k.dot(a, 0, b, 0, n), k.sum(a, 0, n), k.sumSquares(b, 0, n)); });
        add("act+actBackward", (k, s) -> { int n = s == 1 ? 1037 : 37; float[] x = r(3, n), dy = r(4, n), o = new float[3 * n], dx = new float[3 * n];
            for (Act g : Act.values()) { k.act(g, o, g.ordinal() * n, x, 0, n); k.actBackward(g, dx, g.ordinal() * n, x, 0, dy, 0, n); }
            return crc(o, dx); });
        add("softmax+backward", (k, s) -> { int R = 7, C = s == 1 ? 301 : 19; float[] x = r(5, R * C), y = new float[R * C], dy = r(6, R * C), dx = new float[R * C];
            k.softmax(y, 0, x, 0, R, C); k.softmaxBackward(dx, 0, y, 0, dy, 0, R, C); return crc(y, dx); });
        add("rmsnorm+backward", (k, s) -> { int R = 7, C = s == 1 ? 301 : 19; float[] x = r(7, R * C), w = r(8, C), o = new float[R * C], rs = new float[R],
                dy = r(9, R * C), dx = new float[R * C], dw = new float[C];
            k.rmsnorm(o, 0, rs, 0, x, 0, w, 0, R, C, 1e-5f); k.rmsnormBackward(dx, 0, dw, 0, dy, 0, x, 0, w, 0, rs, 0, R, C); return crc(o, rs, dx, dw); });
        add("attention+backward+step", (k, s) -> { int B = 2, T = s == 1 ? 9 : 3, nH = 2, hd = 37, n = B * T * nH * hd, na = B * nH * T * T;
            float[] q = r(10, n), kk = r(11, n), v = r(12, n), o = new float[n], att = new float[na], dout = r(13, n), dq = new float[n], dk = new float[n], dv = new float[n];
            k.attention(o, att, q, kk, v, B, T, nH, hd);
            k.attentionBackward(dq, dk, dv, new float[na], dout, q, kk, v, att, B, T, nH, hd);
            float[] os = new float[nH * hd];
            k.attentionStep(os, r(14, nH * hd), kk, v, T, nH, hd, new float[T]);
            return crc(o, att, dq, dk, dv, os); });
        add("matmul-x3", (k, s) -> { int M = s == 1 ? 64 : 7, K = s == 1 ? 129 : 13, N = s == 1 ? 96 : 17;
            float[] a = r(15, M * K), b = r(16, K * N), c1 = new float[M * N], c2 = new float[M * N], c3 = r(17, M * N);
            k.matmul(c1, 0, a, 0, b, 0, M, K, N, false); k.matmulTransA(c2, 0, a, 0, b, 0, M, K, N, false); k.matmulTransB(c3, 0, a, 0, b, 0, M, K, N, true);
            return crc(c1, c2, c3); });
        add("gemv", (k, s) -> { int d = s == 1 ? 300 : 9;
            float[] y1 = new float[d], y3 = new float[3 * d], y5 = new float[5 * d];
            k.gemv(y1, r(18, 512), w(DType.BF16, 19, d, 512), 1);
            k.gemv(y3, r(20, 3 * 129), w(DType.F32, 21, d, 129), 3);
            k.gemv(y5, r(22, 5 * 67), w(DType.F16, 23, d, 67), 5);
            return crc(y1, y3, y5); });
        add("flashMglu", (k, s) -> { int d = s == 1 ? 300 : 9;
            float[] y1 = new float[d], y3 = new float[3 * d], y2 = new float[2 * d], y8 = new float[d];
            k.flashMglu(y1, r(24, 512), w(DType.BF16, 25, d, 512), m(26, 4, d, 512), 1, Act.SILU);  // e tile
            k.flashMglu(y8, r(27, 512), w(DType.BF16, 28, d, 512), m(29, 8, d, 512), 1, Act.GELU);  // e tile, 8 planes
            k.flashMglu(y3, r(30, 3 * 96), w(DType.BF16, 31, d, 96), m(32, 3, d, 96), 3, Act.SILU); // batch e tiles
            k.flashMglu(y2, r(33, 2 * 67), w(DType.F16, 34, d, 67), m(35, 2, d, 67), 2, Act.RELU);  // float tiles
            return crc(y1, y8, y3, y2); });
        add("mgluScores", (k, s) -> { int d = s == 1 ? 70 : 9;
            float[] t1 = new float[d], s1 = new float[2 * d], t3 = new float[3 * d], s3 = new float[9 * d];
            k.mgluScores(t1, s1, r(36, 256), w(DType.BF16, 37, d, 256), m(38, 2, d, 256), 1);
            k.mgluScores(t3, s3, r(39, 3 * 77), w(DType.F32, 40, d, 77), m(41, 3, d, 77), 3);
            return crc(t1, s1, t3, s3); });
        add("adamw", (k, s) -> { int n = s == 1 ? 1037 : 37; float[] p = r(42, n), g = r(43, n), mm = r(44, n), v = new float[n];
            for (int i = 0; i < n; i++) v[i] = Math.abs(g[i]);
            k.adamw(p, g, mm, v, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3); return crc(p, mm, v); });
    }

    private static void add(String name, Case c) { CASES.put(name, c); }

    // inputs: a fixed seed each, built fresh per call (the same values every time)
    private static float[] r(long seed, int n) { return Check.random(seed, n); }
    private static WeightMatrix w(DType dt, long seed, int d, int h) { return WeightMatrix.of(dt, Check.random(seed, d * h), d, h); }
    private static MaskPlanes m(long seed, int nm, int d, int h) { return MaskPacker.pack(Check.randomMasks(new Rng(seed), nm, d, h), nm, d, h); }

    private static long crc(Object... outs) {
        CRC32 c = new CRC32();
        for (Object o : outs) {
            if (o instanceof float[] a) for (float f : a) update(c, Float.floatToRawIntBits(f));
            else if (o instanceof Double d) { long b = Double.doubleToRawLongBits(d); update(c, (int) b); update(c, (int) (b >>> 32)); }
            else throw new IllegalArgumentException(String.valueOf(o));
        }
        return c.getValue();
    }

    private static void update(CRC32 c, int v) { c.update(v); c.update(v >>> 8); c.update(v >>> 16); c.update(v >>> 24); }

    static void pass(String label, SimdKernels k) {
        for (Map.Entry<String, Case> e : CASES.entrySet()) System.out.println(label + " " + e.getKey() + " " + Long.toHexString(e.getValue().run(k, 1)));
        System.out.println(label + " canary " + Long.toHexString(canary(1037)));
    }

    /**
     * Not a kernel: lane sums by reduceLanes(ADD), whose order changes once C2 compiles it (the
     * interpreter adds lane by lane, C2 in a tree). Warmed like the kernels, so its value changing
     * between the passes shows the warm pass ran C2 code.
     */
    static long canary(int n) {
        float[] x = r(45, n);
        jdk.incubator.vector.VectorSpecies<Float> sp = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        float[] out = new float[n / sp.length()];
        for (int i = 0; i + sp.length() <= n; i += sp.length())
            out[i / sp.length()] = jdk.incubator.vector.FloatVector.fromArray(sp, x, i).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        return crc(out);
    }

    public static void main(String[] a) {
        int threads = Integer.parseInt(a[0]), warm = Integer.parseInt(a[1]);
        SimdKernels k = new SimdKernels(SimdSettings.defaults().withThreads(threads));
        pass("cold", k);
        if (warm == 0) return;
        for (Case c : CASES.values()) for (int i = 0; i < warm; i++) c.run(k, 0);  // small shapes: cheap while still interpreted
        for (int i = 0; i < 10 * warm; i++) canary(37);
        for (Case c : CASES.values()) for (int i = 0; i < 200; i++) c.run(k, 1);   // the pass's shapes (their branches), compiled by now
        for (int i = 0; i < 200; i++) canary(1037);
        pass("warm", k);
    }
}
