package jmglu.lab.simd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;
import jmglu.simd.SimdKernels;
import jmglu.simd.SimdSettings;

/**
 * Out-of-cache A/B of the SIMD FlashMGLU and GEMV over weights in different storage (a main, not a
 * test): BF16 W and its bit-plane masks on the heap (Java arrays), off-heap (Arena.allocate) and in
 * a read-only mapped file (at a byte offset that is 8-aligned but not 64-aligned, as in a
 * safetensors file). Each variant rotates over its own weight sets totalling ≥ 1 GiB (≫ L3); the
 * variants ALTERNATE call by call, so load drift on a shared machine hits all alike; prints the
 * median ms per call and the ratio to the first variant, and checks that every variant gives the
 * same y as the first (max |Δ| / (1 + |y|)). Every (op, nm, B) is warmed up for at least a full
 * rotation and 5 s first: C2 compiles a tile only after thousands of rows, and on 2 busy cores its
 * compile of a large tile can take seconds (timing earlier measures the interpreter).
 * Usage: StorageAB [h] [d] [nm list] [B list] [calls] [variants: heap,offheap,mapped] [ops: flash,gemv]
 */
public final class StorageAB {

    /** One way of running the kernel: its name, its weight sets and masks (index s), and the call. */
    public record Variant(String name, WeightMatrix[] w, MaskPlanes[][] masks, Kernel kernel) {
        public Variant rename(String to) { return new Variant(to, w, masks, kernel); }
    }

    /** op is "flash" or "gemv" (gemv ignores m). */
    public interface Kernel { void run(String op, float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B); }

    public static void main(String[] a) throws IOException {
        int h = a.length > 0 ? Integer.parseInt(a[0]) : 2048, d = a.length > 1 ? Integer.parseInt(a[1]) : 8192;
        int[] nms = ints(a.length > 2 ? a[2] : "1,4,8"), bs = ints(a.length > 3 ? a[3] : "1,8");
        int calls = a.length > 4 ? Integer.parseInt(a[4]) : 30;
        String[] kinds = (a.length > 5 ? a[5] : "heap,mapped").split(",");
        String[] ops = (a.length > 6 ? a[6] : "flash,gemv").split(",");
        Data data = new Data(h, d, nms);
        SimdKernels k = new SimdKernels(SimdSettings.defaults());
        List<Variant> vs = new ArrayList<>();
        for (String kind : kinds) vs.add(data.variant(kind, kernel(k)));
        run(vs, h, d, nms, bs, calls, ops);
    }

    /** The current kernels as a {@link Kernel}. */
    public static Kernel kernel(SimdKernels k) {
        return (op, y, x, w, m, B) -> { if (op.equals("flash")) k.flashMglu(y, x, w, m, B, Act.SILU); else k.gemv(y, x, w, B); };
    }

    /** Random BF16 weight sets (≥ 1 GiB in all) and masks for each nm, as heap arrays; copied into other storage on demand. */
    public static final class Data {
        final int h, d, n;
        final int[] nms;
        final short[][] w;
        final int[][][] bits;

        public Data(int h, int d, int[] nms) {
            this.h = h; this.d = d; this.nms = nms;
            long perSet = 2L * d * h;
            n = (int) Math.max(4, ((1L << 30) + perSet - 1) / perSet);
            long seed = 0x9E3779B97F4A7C15L;
            w = new short[n][d * h];
            for (short[] ws : w)
                for (int i = 0; i < ws.length; i++) { // normal BF16 values in ±[2^-8, 2)
                    seed = seed * 6364136223846793005L + 1442695040888963407L;
                    int r = (int) (seed >>> 40);
                    ws[i] = (short) ((r & 0x8000) | (0x77 + (r >>> 16 & 7)) << 7 | (r & 0x7F));
                }
            bits = new int[nms.length][n][];
            for (int q = 0; q < nms.length; q++)
                for (int s = 0; s < n; s++) {
                    int[] b = new int[d * nms[q] * MaskPlanes.wordsPerRow(h)];
                    for (int i = 0; i < b.length; i++) { seed = seed * 6364136223846793005L + 1442695040888963407L; b[i] = (int) (seed >>> 32); }
                    bits[q][s] = b;
                }
        }

        /**
         * The sets in storage kind: "heap" (the arrays themselves), "offheap" or "mapped" (copies); "A+B"
         * puts W in A and the masks in B (e.g. "mapped+heap").
         */
        public Variant variant(String kind, Kernel kernel) throws IOException {
            String wk = kind.contains("+") ? kind.substring(0, kind.indexOf('+')) : kind, mk = kind.contains("+") ? kind.substring(kind.indexOf('+') + 1) : kind;
            WeightMatrix[] ws = new WeightMatrix[n];
            MaskPlanes[][] ms = new MaskPlanes[nms.length][n];
            for (int s = 0; s < n; s++) {
                ws[s] = new WeightMatrix(DType.BF16, d, h, store(wk, MemorySegment.ofArray(w[s])));
                for (int q = 0; q < nms.length; q++) ms[q][s] = new MaskPlanes(nms[q], d, h, store(mk, MemorySegment.ofArray(bits[q][s])));
            }
            return new Variant(kind, ws, ms, kernel);
        }

        private static MemorySegment store(String kind, MemorySegment src) throws IOException {
            return switch (kind) {
                case "heap" -> src;
                case "offheap" -> Arena.global().allocate(src.byteSize(), 64).copyFrom(src);
                case "mapped" -> {
                    long off = Long.getLong("ab.offset", 72); // 8-aligned, not 64-aligned (-Dab.offset=N to change)
                    Path f = Files.createTempFile("jmglu-ab", ".bin");
                    f.toFile().deleteOnExit();
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                        MemorySegment rw = ch.map(FileChannel.MapMode.READ_WRITE, 0, off + src.byteSize(), Arena.ofAuto());
                        rw.asSlice(off).copyFrom(src);
                        rw.force();
                        yield ch.map(FileChannel.MapMode.READ_ONLY, 0, off + src.byteSize(), Arena.global()).asSlice(off);
                    }
                }
                default -> throw new IllegalArgumentException("storage kind " + kind);
            };
        }
    }

    /** Times every (op, nm, B), variants alternating call by call over their own rotations. */
    public static void run(List<Variant> vs, int h, int d, int[] nms, int[] bs, int calls, String[] ops) {
        int n = vs.get(0).w().length, V = vs.size();
        float[] x = new float[16 * h];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (String op : ops)
            for (int q = 0; q < (op.equals("gemv") ? 1 : nms.length); q++)
                for (int B : bs) {
                    float[][] y = new float[V][B * d];
                    double[][] t = new double[V][calls];
                    int warm = 0;
                    for (long end = System.nanoTime() + 5_000_000_000L; warm < n || System.nanoTime() < end; warm++)
                        for (int v = 0; v < V; v++) { Variant var = vs.get(v); var.kernel().run(op, y[v], x, var.w()[Math.floorMod(V * warm + v, n)], var.masks()[q][Math.floorMod(V * warm + v, n)], B); }
                    for (int i = 0; i < calls; i++)
                        for (int v = 0; v < V; v++) {
                            int s = Math.floorMod(V * (warm + i) + v, n);
                            Variant var = vs.get(v);
                            long t0 = System.nanoTime();
                            var.kernel().run(op, y[v], x, var.w()[s], var.masks()[q][s], B);
                            t[v][i] = (System.nanoTime() - t0) / 1e6;
                        }
                    StringBuilder sb = new StringBuilder(String.format("%-5s h×d %d×%d%s B=%d ", op, h, d, op.equals("gemv") ? "" : " nm=" + nms[q], B));
                    double base = 0;
                    for (int v = 0; v < V; v++) {
                        Arrays.sort(t[v]);
                        double med = t[v][calls / 2];
                        if (v == 0) base = med;
                        sb.append(String.format("  %s %.3f ms", vs.get(v).name(), med));
                        if (v > 0) sb.append(String.format(" (%.2f)", med / base));
                    }
                    // same set through every variant: the results must agree
                    for (int v = 0; v < V; v++) vs.get(v).kernel().run(op, y[v], x, vs.get(v).w()[0], vs.get(v).masks()[q][0], B);
                    double diff = 0;
                    for (int v = 1; v < V; v++)
                        for (int j = 0; j < y[0].length; j++) diff = Math.max(diff, Math.abs(y[v][j] - y[0][j]) / (1 + Math.abs(y[0][j])));
                    System.out.println(sb.append(String.format("   max diff %.1e", diff)));
                }
    }

    static int[] ints(String s) { return Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).toArray(); }
}
