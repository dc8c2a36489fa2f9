package jmglu.bench;

import java.util.Arrays;
import jmglu.simd.SimdKernels;

/**
 * The matmul target in one JVM (a main, not a test): the three training GEMMs at n³ on all cores,
 * median GFLOP/s, against the FMA ceiling measured by the kernel table's method (best of 5 runs of
 * independent FMA chains on all cores) before and after them. JMH's CeilingBench.fmaStepsAllCores
 * averages over iterations and reads lower on this shared machine, which flatters a ratio.
 * Usage: MatmulProbe [n] [calls]
 */
public final class MatmulProbe {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 512, calls = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        float[] a = BenchData.gaussian(n * n, 1), b = BenchData.gaussian(n * n, 2), c = new float[n * n];
        SimdKernels k = new SimdKernels();
        double before = CpuCeilings.fmaGflops(20_000_000L, 5);
        String[] ops = {"matmul", "matmulTransB", "matmulTransA"};
        double[][] s = new double[3][calls];
        for (int i = -40; i < calls; i++)
            for (int o = 0; o < 3; o++) { // alternating, so load from elsewhere hits all three alike
                long t0 = System.nanoTime();
                switch (o) {
                    case 0 -> k.matmul(c, 0, a, 0, b, 0, n, n, n, false);
                    case 1 -> k.matmulTransB(c, 0, a, 0, b, 0, n, n, n, false);
                    default -> k.matmulTransA(c, 0, a, 0, b, 0, n, n, n, false);
                }
                if (i >= 0) s[o][i] = (System.nanoTime() - t0) / 1e9;
            }
        double after = CpuCeilings.fmaGflops(20_000_000L, 5), ceil = Math.max(before, after);
        System.out.printf("FMA ceiling %.0f GFLOP/s before, %.0f after (%% below uses the higher)%n", before, after);
        for (int o = 0; o < 3; o++) {
            Arrays.sort(s[o]);
            double g = 2.0 * n * n * n / s[o][calls / 2] / 1e9;
            System.out.printf("%-13s %d³  %.0f GFLOP/s  %.0f%% of the FMA ceiling%n", ops[o], n, g, 100 * g / ceil);
        }
    }
}
