package jmglu.simd;

/**
 * Out-of-cache A/B probe of the B = 1 BF16 tiles (a main, not a test): one thread sweeps every row
 * of a W far larger than L3 (rows·h BF16 + nm planes), alternating the old widening tile ("h") and
 * the even/odd tile ("e") pass by pass; prints ns per 16 elements and GB/s, min over passes.
 * Usage: FlashProbeBig [rows] [h] [nm list]
 */
public final class FlashProbeBig {
    public static void main(String[] a) {
        int rows = a.length > 0 ? Integer.parseInt(a[0]) : 65536, h = a.length > 1 ? Integer.parseInt(a[1]) : 4096;
        String[] nms = (a.length > 2 ? a[2] : "1,4,8").split(",");
        java.util.Random rnd = new java.util.Random(1);
        short[] w = new short[rows * h];
        for (int i = 0; i < w.length; i++) w[i] = (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16);
        float[] x = new float[h];
        for (int i = 0; i < h; i++) x[i] = (float) rnd.nextGaussian();
        float[] xs = FlashTilesBf16.evenOdd(x, h);
        int wpr = h / 32;
        for (String ks : nms) {
            int k = Integer.parseInt(ks);
            int[] bits = new int[rows * k * wpr];
            for (int i = 0; i < bits.length; i++) bits[i] = rnd.nextInt();
            float[] res = new float[1 + k];
            double[] best = {1e18, 1e18};
            double bytes = (double) rows * h * 2 + (double) bits.length * 4;
            for (int pass = 0; pass < 12; pass++)
                for (int v = 0; v < 2; v++) {
                    long t0 = System.nanoTime();
                    for (int r = 0; r < rows; r++)
                        switch (v * 16 + k) {
                            case 1 -> FlashTilesBf16.b1k1h(res, w, r * h, x, 0, bits, r * k * wpr, wpr, h);
                            case 2 -> FlashTilesBf16.b1k2h(res, w, r * h, x, 0, bits, r * k * wpr, wpr, h);
                            case 4 -> FlashTilesBf16.b1k4h(res, w, r * h, x, 0, bits, r * k * wpr, wpr, h);
                            case 8 -> FlashTilesBf16.b1k8h(res, w, r * h, x, 0, bits, r * k * wpr, wpr, h);
                            case 17 -> FlashTilesBf16.b1k1e(res, w, r * h, xs, 0, bits, r * k * wpr, wpr, h);
                            case 18 -> FlashTilesBf16.b1k2e(res, w, r * h, xs, 0, bits, r * k * wpr, wpr, h);
                            case 20 -> FlashTilesBf16.b1k4e(res, w, r * h, xs, 0, bits, r * k * wpr, wpr, h);
                            case 24 -> FlashTilesBf16.b1k8e(res, w, r * h, xs, 0, bits, r * k * wpr, wpr, h);
                            default -> throw new IllegalArgumentException("nm " + k);
                        }
                    best[v] = Math.min(best[v], System.nanoTime() - t0);
                }
            double chunks = (double) rows * h / 16;
            System.out.printf("nm=%d  old h: %.3f ns/16 %.1f GB/s   even/odd e: %.3f ns/16 %.1f GB/s%n", k,
                    best[0] / chunks, bytes / best[0], best[1] / chunks, bytes / best[1]);
        }
    }
}
