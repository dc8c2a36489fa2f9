package jmglu.bench.jmh;

import java.util.concurrent.TimeUnit;
import jmglu.bench.BenchData;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;
import jmglu.simd.Baselines;
import jmglu.simd.SimdKernels;
import org.openjdk.jmh.annotations.*;

/**
 * FlashMGLU vs naive MGLU vs SwiGLU (g = SiLU) on the paper's decode shapes. Each invocation
 * uses the next of ≥ 1 GiB of rotated weight sets (so weights stream from DRAM, not L3); SwiGLU
 * reads the disjoint pairs of sets (0,1), (2,3), ... as Wg and Wv. Bytes per call: FlashMGLU d·h·2 + nm·d·⌈h/32⌉·4 (bf16),
 * SwiGLU 2·d·h·2, naive nm·(4·d·h·2 + 2·d·⌈h/32⌉·4).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx10g"})
public class FlashMgluBench {
    @Param({"2048x8192", "4096x14336"}) public String shape;
    @Param({"1", "4"}) public int nm;
    @Param({"1", "8"}) public int batch;
    @Param({"bf16"}) public String dtype;

    SimdKernels k;
    WeightMatrix[] ws;
    MaskPlanes[] ms;
    float[] x, y;
    Baselines.NaiveWorkspace naive;
    Baselines baselines;
    int next;

    @Setup(Level.Trial) public void setup() {
        String[] hd = shape.split("x");
        int h = Integer.parseInt(hd[0]), d = Integer.parseInt(hd[1]);
        DType dt = DType.parse(dtype);
        int n = BenchData.setsFor(dt, d, h, 1L << 30);
        ws = new WeightMatrix[n];
        ms = new MaskPlanes[n];
        for (int s = 0; s < n; s++) { ws[s] = BenchData.randomWeights(dt, d, h, s); ms[s] = BenchData.randomMasks(nm, d, h, 100 + s); }
        x = BenchData.gaussian(batch * h, 7);
        y = new float[batch * d];
        k = new SimdKernels();
        baselines = new Baselines(k);
        naive = new Baselines.NaiveWorkspace(dt, d, h);
    }

    int nextSet() { int s = next; next = (next + 1) % ws.length; return s; }

    @Benchmark public float flashMglu() {
        int s = nextSet();
        k.flashMglu(y, x, ws[s], ms[s], batch, Act.SILU);
        return y[0];
    }

    @Benchmark public float naiveMglu() {
        int s = nextSet();
        baselines.naiveMglu(y, x, ws[s], ms[s], batch, Act.SILU, naive);
        return y[0];
    }

    @Benchmark public float swiglu() {
        int s = nextSet();
        int p = 2 * (s % (ws.length / 2)); // disjoint pairs: no matrix read by two consecutive calls
        baselines.swiglu(y, x, ws[p], ws[p + 1], batch);
        return y[0];
    }
}
