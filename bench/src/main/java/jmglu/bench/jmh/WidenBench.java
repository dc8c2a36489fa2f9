package jmglu.bench.jmh;

import java.util.concurrent.TimeUnit;
import jmglu.bench.BenchData;
import jmglu.engine.DType;
import jmglu.simd.WeightRows;
import org.openjdk.jmh.annotations.*;

/**
 * The widening ladder for one L1-resident row of 16-bit weights (h = 4096 elements): BF16 by
 * shift; F16 by the scalar intrinsic Float.float16ToFloat (auto-vectorised by C2) vs a
 * Vector-API bit trick. The faster F16 path is the one WeightRows.widen uses.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class WidenBench {
    @Param({"4096"}) public int h;
    short[] bf, hf;
    float[] out;

    @Setup public void setup() {
        bf = BenchData.randomWeights(DType.BF16, 1, h, 1).tensor().toShorts();
        hf = BenchData.randomWeights(DType.F16, 1, h, 2).tensor().toShorts();
        out = new float[h];
    }

    @Benchmark public float bf16Shift() { WeightRows.bf16(out, 0, bf, 0, h); return out[3]; }

    @Benchmark public float f16Intrinsic() { WeightRows.f16(out, 0, hf, 0, h); return out[3]; }

}
