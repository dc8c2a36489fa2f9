package jmglu.lab.simd;

import java.util.Arrays;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;
import jmglu.simd.SimdKernels;
import jmglu.simd.SimdSettings;

/**
 * Out-of-cache A/B of the two FlashMGLU BF16 paths (a main, not a test): full flashMglu calls on
 * all threads over rotated BF16 weight sets totalling ≥ 1 GiB (≫ L3), ALTERNATING call by call, so
 * load drift on a shared machine hits both alike; medians of the per-call times and their ratio.
 * "E": the default settings (even/odd tiles: FlashTilesBf16 b1kKe at B = 1, the batch e tiles at
 * B > 1); "F": SimdSettings with eTileNms = 0 and evenOddBatch = false (the widening h tile at
 * B = 1; widen-then-float-tiles at B > 1). Two SimdKernels side by side: no static switch is flipped.
 * Usage: FlashAB [h] [d] [nm list] [B list] [calls per variant]
 */
public final class FlashAB {
    public static void main(String[] a) {
        int h = a.length > 0 ? Integer.parseInt(a[0]) : 2048, d = a.length > 1 ? Integer.parseInt(a[1]) : 8192;
        String[] nms = (a.length > 2 ? a[2] : "1,2,4,8").split(","), bs = (a.length > 3 ? a[3] : "8").split(",");
        int calls = a.length > 4 ? Integer.parseInt(a[4]) : 40;
        SimdSettings e = SimdSettings.defaults().withETileNms(SimdSettings.ALL_E_TILES).withEvenOddBatch(true);
        SimdKernels[] k = {new SimdKernels(e), new SimdKernels(e.withETileNms(0).withEvenOddBatch(false))};
        long perSet = (long) d * h * 2;
        int n = (int) Math.max(6, ((1L << 30) + perSet - 1) / perSet);
        java.util.Random rnd = new java.util.Random(1);
        WeightMatrix[] ws = new WeightMatrix[n];
        float[] w32 = new float[d * h];
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < w32.length; i++) w32[i] = (float) rnd.nextGaussian();
            ws[s] = WeightMatrix.of(DType.BF16, w32, d, h);
        }
        float[] x = new float[16 * h];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (String ns : nms) {
            int nm = Integer.parseInt(ns);
            MaskPlanes[] ms = new MaskPlanes[n];
            for (int s = 0; s < n; s++) {
                int[] bits = new int[d * nm * MaskPlanes.wordsPerRow(h)];
                for (int i = 0; i < bits.length; i++) bits[i] = rnd.nextInt();
                ms[s] = new MaskPlanes(nm, d, h, bits);
            }
            for (String bstr : bs) {
                int B = Integer.parseInt(bstr);
                float[] y = new float[B * d];
                double[][] t = new double[2][calls];
                for (int i = -n; i < calls; i++) // the first n calls (a full rotation) warm up
                    for (int v = 0; v < 2; v++) {
                        int s = Math.floorMod(2 * i + v, n);
                        long t0 = System.nanoTime();
                        k[v].flashMglu(y, x, ws[s], ms[s], B, Act.SILU);
                        if (i >= 0) t[v][i] = (System.nanoTime() - t0) / 1e6;
                    }
                Arrays.sort(t[0]); Arrays.sort(t[1]);
                double ev = t[0][calls / 2], f = t[1][calls / 2];
                System.out.printf("h×d %d×%d nm=%d B=%d   E %.3f ms   F %.3f ms   E/F %.2f%n", h, d, nm, B, ev, f, ev / f);
            }
        }
    }
}
