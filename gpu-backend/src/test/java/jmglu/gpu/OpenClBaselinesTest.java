package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jmglu.engine.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's kernels (FlashMGLU, the SwiGLU baseline, the naive MGLU baseline) through
 * {@link OpenClBench#time} in quick mode: each returns max_rel_err against ReferenceMglu /
 * ReferenceKernels on sampled rows, which must stay under 1e-4 (relative to max(|e|, 1e-3·max|e|)).
 */
class OpenClBaselinesTest {
    static OpenClBench b;

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        b = new OpenClBench(OpenClContext.open());
    }

    @AfterAll static void close() { if (b != null) b.close(); }

    @Test void benchKernelsAgreeWithTheReference() {
        int[][] cases = {{67, 33, 3, 1}, {129, 17, 1, 3}, {100, 40, 8, 16}};   // h, d, nm, B
        for (DType dt : DType.floats())
            for (int[] c : cases)
                for (String k : OpenClBench.KERNELS) {
                    double err = b.time(k, dt, c[0], c[1], c[2], c[3], true).maxRelErr();
                    assertTrue(err < 1e-4, k + " " + dt + " h=" + c[0] + " d=" + c[1] + " nm=" + c[2] + " B=" + c[3] + ": max_rel_err " + err);
                }
    }
}
