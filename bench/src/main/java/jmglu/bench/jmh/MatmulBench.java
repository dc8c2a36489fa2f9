package jmglu.bench.jmh;

import java.util.concurrent.TimeUnit;
import jmglu.bench.BenchData;
import jmglu.simd.SimdKernels;
import org.openjdk.jmh.annotations.*;

/**
 * The three training GEMMs at n×n×n (2n³ flops per call). Throughput is reported in calls per
 * second; GFLOP/s = 2n³ · ops/s / 1e9 (n = 512: 0.268 GFLOP per call), compared with
 * CeilingBench.fma in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class MatmulBench {
    @Param({"512"}) public int n;
    float[] a, b, c;
    SimdKernels k;

    @Setup public void setup() {
        a = BenchData.gaussian(n * n, 1); b = BenchData.gaussian(n * n, 2); c = new float[n * n];
        k = new SimdKernels();
    }

    @Benchmark public float matmul() { k.matmul(c, 0, a, 0, b, 0, n, n, n, false); return c[7]; }

    @Benchmark public float matmulTransB() { k.matmulTransB(c, 0, a, 0, b, 0, n, n, n, false); return c[7]; }

    @Benchmark public float matmulTransA() { k.matmulTransA(c, 0, a, 0, b, 0, n, n, n, false); return c[7]; }
}
