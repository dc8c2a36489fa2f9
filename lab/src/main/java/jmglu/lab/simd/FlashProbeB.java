package jmglu.lab.simd;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;
import jmglu.simd.SimdKernels;
import jmglu.simd.SimdSettings;

/**
 * In-cache A/B probe of the FlashMGLU row paths for B ≥ 1 (a main, not a test): one thread, a W of
 * d×h BF16 small enough for L2, flashMglu called repeatedly with the B > 1 even/odd tiles on ("E")
 * and off ("F": widen the row, then the float tiles), round robin, min of 15 rounds. Prints ns per
 * 16 elements per x row (time / (d·h/16·B)), so B = 1 and B = 8 read side by side.
 * Usage: FlashProbeB [reps] [B list] [nm list] [h] [d]
 */
public final class FlashProbeB {
    public static void main(String[] a) {
        int reps = a.length > 0 ? Integer.parseInt(a[0]) : 200;
        String[] bs = (a.length > 1 ? a[1] : "1,8").split(","), nms = (a.length > 2 ? a[2] : "1,2,4,8").split(",");
        int h = a.length > 3 ? Integer.parseInt(a[3]) : 2048, d = a.length > 4 ? Integer.parseInt(a[4]) : 48;
        SimdSettings one = SimdSettings.defaults().withThreads(1);
        SimdKernels[] k = {new SimdKernels(one.withEvenOddBatch(true)), new SimdKernels(one.withEvenOddBatch(false))};
        java.util.Random rnd = new java.util.Random(1);
        float[] w32 = new float[d * h];
        for (int i = 0; i < w32.length; i++) w32[i] = (float) rnd.nextGaussian();
        WeightMatrix w = WeightMatrix.of(DType.BF16, w32, d, h);
        float[] x = new float[16 * h];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (String ns : nms) {
            int nm = Integer.parseInt(ns), wpr = MaskPlanes.wordsPerRow(h);
            int[] bits = new int[d * nm * wpr];
            for (int i = 0; i < bits.length; i++) bits[i] = rnd.nextInt();
            MaskPlanes m = new MaskPlanes(nm, d, h, bits);
            StringBuilder sb = new StringBuilder("nm=" + nm);
            for (String bstr : bs) {
                int B = Integer.parseInt(bstr);
                float[] y = new float[B * d];
                double[] best = {1e18, 1e18};
                float[][] out = new float[2][];
                for (int round = 0; round < 16; round++)
                    for (int v = 0; v < 2; v++) {
                        long t0 = System.nanoTime();
                        for (int r = 0; r < reps; r++) k[v].flashMglu(y, x, w, m, B, Act.SILU);
                        if (round > 0) best[v] = Math.min(best[v], (System.nanoTime() - t0) / (double) reps);
                        out[v] = y.clone();
                    }
                double err = 0;
                for (int i = 0; i < y.length; i++) err = Math.max(err, Math.abs(out[0][i] - out[1][i]) / (1 + Math.abs(out[1][i])));
                double per = (double) d * h / 16 * B;
                sb.append(String.format("   B=%d  E %.3f  F %.3f ns/16/row (E/F %.2f, diff %.1e)", B, best[0] / per, best[1] / per, best[0] / best[1], err));
            }
            System.out.println(sb);
        }
    }
}
