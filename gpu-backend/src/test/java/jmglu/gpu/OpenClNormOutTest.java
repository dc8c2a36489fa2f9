package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * linearRmsnorm on the tensor-core GEMV of decode batches (gemv_tc.cl NORMOUT: the launch's last work-group writes
 * n = rmsnorm(y), no norm owed, no norm launch), forced on (tc=on; PoCL runs the emulated mma) against the composition
 * on HostBackend(ReferenceKernels). Awkward sizes: d not a multiple of 16 (rows past d in the last block) nor of the
 * group's threads (the last group's column loop), d past one group's threads many times (1030), B 3..8 (B ≤ 2 goes to gemv_b1.cl); acc on and off;
 * every case twice (the ticket is back to 0 after a launch); two residual GEMVs in a row; n at a row offset of a larger
 * tensor (the backend's copy-and-write-back view).
 */
class OpenClNormOutTest {
    static OpenClBackend gpu;
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
    static final float EPS = 1e-5f;

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON));
    }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    @Test void normWrittenByTheGemvMatchesTheComposition() {
        Rng rng = new Rng(91);
        int k = 0;
        for (int[] c : new int[][] {{40, 17, 3}, {72, 45, 8}, {64, 300, 4}, {96, 1030, 5}})        // h, d, B (B ≤ 2 takes gemv_b1)
            for (boolean acc : new boolean[] {false, true}) {
                DType dt = k++ % 2 == 0 ? DType.F16 : DType.BF16;
                int h = c[0], d = c[1], B = c[2];
                Tensor w = weights(rng, dt, d, h), x = randn(rng, 1, B, h), y0 = randn(rng, 1, B, d), nw = randn(rng, 1, d);
                Tensor gw = gpu.adopt(w), gx = gpu.adopt(x), gnw = gpu.adopt(nw);
                for (int rep = 0; rep < 2; rep++) {
                    Tensor ey = y0.copy(), en = Tensor.zeros(B, d), ay = acc ? gpu.adopt(y0) : poisoned(gpu, B, d), an = poisoned(gpu, B, d);
                    ref.linearRmsnorm(ey, x, w, acc, en, nw, EPS);
                    long l0 = gpu.context().launches();
                    gpu.linearRmsnorm(ay, gx, gw, acc, an, gnw, EPS);
                    assertEquals(1, gpu.context().launches() - l0, "one launch for the GEMV and its norm");
                    assertFalse(gpu.norms.owes(), "n written, not owed");
                    String what = dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc + " rep=" + rep;
                    // y: x in two 16-bit parts (bf16 ~16 bits kept), tile sums in another order; one part past 4 rows
                    // of fp16 W (OpenClSettings.xParts): within 2^-11·Σ|x w| more
                    double tol = dt == DType.BF16 ? 2e-3 : 2e-4 + (B > 4 ? 0x1p-11 * OpenClTensorCoreTest.maxAbsDot(x.toArray(), WeightMatrix.of(dt, w.toArray(), d, h), B) : 0);
                    Check.close(ey.toArray(), read(gpu, ay), tol, tol, "linearRmsnorm y " + what);
                    Check.close(en.toArray(), read(gpu, an), 2 * tol, 2 * tol, "linearRmsnorm n " + what);
                }
            }
    }

    /** Wo then W2 as in a decode step: the second GEMV's input is not normed, its output's norm is written again; n of rows 1.. of a larger tensor. */
    @Test void twoResidualGemvsInARowAndAnOffsetNorm() {
        Rng rng = new Rng(92);
        int C = 136, H = 264, B = 4;
        DType dt = DType.F16;
        Tensor wo = weights(rng, dt, C, C), w2 = weights(rng, dt, C, H), a = randn(rng, 1, B, C), u = randn(rng, 1, B, H);
        Tensor y0 = randn(rng, 1, B, C), nw1 = randn(rng, 1, C), nw2 = randn(rng, 1, C);
        Tensor ey = y0.copy(), en = Tensor.zeros(B, C);
        ref.linearRmsnorm(ey, a, wo, true, en, nw1, EPS);
        ref.linearRmsnorm(ey, u, w2, true, en, nw2, EPS);
        Tensor y = gpu.adopt(y0), big = poisoned(gpu, B + 1, C), n = big.rows(1, B + 1);
        gpu.linearRmsnorm(y, gpu.adopt(a), gpu.adopt(wo), true, n, gpu.adopt(nw1), EPS);
        gpu.linearRmsnorm(y, gpu.adopt(u), gpu.adopt(w2), true, n, gpu.adopt(nw2), EPS);
        Check.close(ey.toArray(), read(gpu, y), 2e-4, 2e-4, "y after Wo and W2");
        Check.close(en.toArray(), read(gpu, n), 4e-4, 4e-4, "n = rmsnorm(y) after W2");
        float[] row0 = new float[C];
        System.arraycopy(read(gpu, big), 0, row0, 0, C);
        for (float v : row0) assertEquals(Float.NaN, v, "row 0 of the larger tensor untouched");
    }
}
