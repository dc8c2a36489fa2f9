package jmglu.lab.simd;

import jmglu.engine.Act;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Tensor;
import jmglu.engine.DType;
import jmglu.simd.SimdKernels;
import jmglu.simd.SimdSettings;

/**
 * Out-of-cache A/B probe of the B = 1 BF16 tiles (a main, not a test): one thread sweeps every row
 * of a W far larger than L3 (rows·h BF16 + nm planes) through flashMglu, alternating the widening
 * tile ("h": eTileNms = 0) and the even/odd tile ("e") pass by pass; prints ns per 16 elements and
 * GB/s, min over passes (the epilogue is included: a few percent of a pass).
 * Usage: FlashProbeBig [rows] [h] [nm list]
 */
public final class FlashProbeBig {
    public static void main(String[] a) {
        int rows = a.length > 0 ? Integer.parseInt(a[0]) : 65536, h = a.length > 1 ? Integer.parseInt(a[1]) : 4096;
        String[] nms = (a.length > 2 ? a[2] : "1,4,8").split(",");
        SimdSettings one = SimdSettings.defaults().withThreads(1);
        SimdKernels[] k = {new SimdKernels(one.withETileNms(0)), new SimdKernels(one.withETileNms(SimdSettings.ALL_E_TILES))};
        java.util.Random rnd = new java.util.Random(1);
        short[] w = new short[rows * h];
        for (int i = 0; i < w.length; i++) w[i] = (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16);
        var wm = Tensor.ofHalf(DType.BF16, w, rows, h).asWeights();
        float[] x = new float[h], y = new float[rows];
        for (int i = 0; i < h; i++) x[i] = (float) rnd.nextGaussian();
        for (String ks : nms) {
            int nm = Integer.parseInt(ks);
            int[] bits = new int[rows * nm * MaskPlanes.wordsPerRow(h)];
            for (int i = 0; i < bits.length; i++) bits[i] = rnd.nextInt();
            MaskPlanes m = new MaskPlanes(nm, rows, h, bits);
            double[] best = {1e18, 1e18};
            double bytes = (double) rows * h * 2 + (double) bits.length * 4;
            for (int pass = 0; pass < 12; pass++)
                for (int v = 0; v < 2; v++) {
                    long t0 = System.nanoTime();
                    k[v].flashMglu(y, x, wm, m, 1, Act.SILU);
                    best[v] = Math.min(best[v], System.nanoTime() - t0);
                }
            double chunks = (double) rows * h / 16;
            System.out.printf("nm=%d  widening h: %.3f ns/16 %.1f GB/s   even/odd e: %.3f ns/16 %.1f GB/s%n", nm,
                    best[0] / chunks, bytes / best[0], best[1] / chunks, bytes / best[1]);
        }
    }
}
