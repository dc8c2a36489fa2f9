package jmglu.simd;

import java.util.Arrays;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

/**
 * Out-of-cache A/B of the two FlashMGLU BF16 paths (a main, not a test): full SimdFlashMglu.flash
 * calls on all threads over rotated BF16 weight sets totalling ≥ 1 GiB (≫ L3), ALTERNATING call by
 * call, so load drift on a shared machine hits both alike; medians of the per-call times and their
 * ratio. B > 1: the even/odd tiles ("E", rowE) against widen-then-float-tiles ("F"); B = 1: the
 * even/odd tile ("E", b1kKe) against the widening tile ("F", b1kKh).
 * Usage: FlashAB [h] [d] [nm list] [B list] [calls per variant]
 */
public final class FlashAB {
    public static void main(String[] a) {
        int h = a.length > 0 ? Integer.parseInt(a[0]) : 2048, d = a.length > 1 ? Integer.parseInt(a[1]) : 8192;
        String[] nms = (a.length > 2 ? a[2] : "1,2,4,8").split(","), bs = (a.length > 3 ? a[3] : "8").split(",");
        int calls = a.length > 4 ? Integer.parseInt(a[4]) : 40;
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
        int eAll = SimdFlashMglu.eTileNms;
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
                        SimdFlashMglu.evenOddB = v == 0;
                        SimdFlashMglu.eTileNms = v == 0 ? eAll : 0;
                        int s = Math.floorMod(2 * i + v, n);
                        long t0 = System.nanoTime();
                        SimdFlashMglu.flash(y, x, ws[s], ms[s], B, Act.SILU);
                        if (i >= 0) t[v][i] = (System.nanoTime() - t0) / 1e6;
                    }
                Arrays.sort(t[0]); Arrays.sort(t[1]);
                double e = t[0][calls / 2], f = t[1][calls / 2];
                SimdFlashMglu.evenOddB = true; SimdFlashMglu.eTileNms = eAll;
                System.out.printf("h×d %d×%d nm=%d B=%d   E %.3f ms   F %.3f ms   E/F %.2f%n", h, d, nm, B, e, f, e / f);
            }
        }
    }
}
