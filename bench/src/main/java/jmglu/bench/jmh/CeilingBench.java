package jmglu.bench.jmh;

import java.util.concurrent.TimeUnit;
import jmglu.bench.CpuCeilings;
import org.openjdk.jmh.annotations.*;

/**
 * The machine's ceilings, in the same JMH run as the kernels:
 * readBandwidth streams a 1 GiB float buffer on all cores (one op = one byte, so ops/ns = GB/s);
 * fma runs 12 independent vector FMA chains per core (one op = one flop, ops/ns = GFLOP/s).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class CeilingBench {
    static final int BUFFER_BYTES = 1 << 30;
    static final int FMA_STEPS = 1 << 22;
    float[] buf;
    java.util.concurrent.ExecutorService pool;

    @Setup public void setup() {
        buf = CpuCeilings.buffer(BUFFER_BYTES);
        if ((long) buf.length * 4 != BUFFER_BYTES) throw new IllegalStateException("buffer rounded to " + buf.length * 4L + " bytes; use 2^k threads");
    }

    @Benchmark @OperationsPerInvocation(BUFFER_BYTES) public double readBandwidth() {
        return CpuCeilings.readBandwidthGBps(buf, 1);
    }

    /** flops per invocation = 2 · lanes · 12 · FMA_STEPS · threads; ops counted per FMA step per chain per lane per thread below. */
    @Benchmark @OperationsPerInvocation(FMA_STEPS) public double fmaStepsAllCores() {
        return CpuCeilings.fmaGflops(FMA_STEPS, 1);
    }
}
