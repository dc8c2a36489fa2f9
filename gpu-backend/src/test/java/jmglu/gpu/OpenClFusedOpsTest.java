package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ops that cut a decode step's launches, on {@link OpenClBackend} against their compositions on
 * {@link HostBackend} over {@link ReferenceKernels}: linearRmsnorm and embeddingRmsnorm (the norm owed, then
 * written when n is read: {@link OpenClDeferredNormTest} has its consumers), and the greedy argmax on the device. Awkward sizes: d and
 * C not multiples of the work-group size (17, 45, 300, 1030), B 1, 3 and 19 (past one 16-row launch: the
 * second launch's rows sit at unaligned offsets); outputs start as NaN. Tolerances |gpu − ref| ≤ abs + rel·|ref|:
 * y as linear's (2e-5 + 1e-4), n 1e-4 + 1e-4 (y's error times rstd·w, and rstd's own), gathers exact, argmax exact.
 */
class OpenClFusedOpsTest {
    static OpenClBackend gpu;
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");

    @BeforeAll static void open() {
        gpu = OpenClTesting.backend();
    }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    @Test void linearRmsnormIsLinearThenRmsnorm() {
        Rng rng = new Rng(21);
        for (DType dt : DType.floats())
            for (int[] c : new int[][] {{33, 17, 1}, {70, 45, 3}, {64, 300, 19}, {96, 1030, 2}, {40, 2200, 1}})   // h, d, B (2200: past one 32·64 block of the norm)
                for (boolean acc : new boolean[] {false, true})
                    for (int rep = 0; rep < 2; rep++) {                                          // twice: the same ops again
                        int h = c[0], d = c[1], B = c[2];
                        Tensor w = weights(rng, dt, d, h), x = randn(rng, 1, B, h), y0 = randn(rng, 1, B, d), nw = randn(rng, 1, d);
                        Tensor ey = y0.copy(), en = Tensor.zeros(B, d), ay = acc ? gpu.adopt(y0) : poisoned(gpu, B, d), an = poisoned(gpu, B, d);
                        ref.linearRmsnorm(ey, x, w, acc, en, nw, 1e-5f);
                        gpu.linearRmsnorm(ay, gpu.adopt(x), gpu.adopt(w), acc, an, gpu.adopt(nw), 1e-5f);
                        String what = dt + " h=" + h + " d=" + d + " B=" + B + " acc=" + acc;
                        Check.close(ey.toArray(), read(gpu, ay), 2e-5, 1e-4, "linearRmsnorm y " + what);
                        Check.close(en.toArray(), read(gpu, an), 1e-4, 1e-4, "linearRmsnorm n " + what);
                    }
    }

    @Test void embeddingRmsnormIsEmbeddingThenRmsnorm() {
        Rng rng = new Rng(22);
        for (DType dt : DType.floats())
            for (int[] c : new int[][] {{37, 17, 1}, {37, 45, 3}, {11, 300, 19}}) {          // V, C, B
                int V = c[0], C = c[1], B = c[2];
                Tensor table = randn(rng, 1, V, C).to(dt), nw = randn(rng, 1, C);
                int[] ids = new int[B];
                for (int b = 0; b < B; b++) ids[b] = (b * 7 + 3) % V;
                Tensor ex = Tensor.zeros(B, C), en = Tensor.zeros(B, C), ax = poisoned(gpu, B, C), an = poisoned(gpu, B, C);
                ref.embeddingRmsnorm(ex, table, ids, en, nw, 1e-5f);
                gpu.embeddingRmsnorm(ax, gpu.adopt(table), ids, an, gpu.adopt(nw), 1e-5f);
                String what = dt + " V=" + V + " C=" + C + " B=" + B;
                Check.close(ex.toArray(), read(gpu, ax), 0, 0, "embeddingRmsnorm x " + what);
                Check.close(en.toArray(), read(gpu, an), 1e-5, 1e-5, "embeddingRmsnorm n " + what);
            }
    }

    @Test void argmaxOnTheDeviceIsTheHostArgmax() {
        Rng rng = new Rng(23);
        for (int V : new int[] {1, 5, 255, 257, 1000})
            for (int B : new int[] {1, 3, 19}) {
                Tensor l = randn(rng, 3, B, V);
                float[] a = l.data();
                if (V > 4) {
                    a[2] = a[V - 1] = 100f;                              // row 0: a tie, the lower index wins
                    if (B > 1) java.util.Arrays.fill(a, V, 2 * V, Float.NEGATIVE_INFINITY);   // row 1: all −∞ → 0
                    if (B > 2) a[2 * V + V / 2] = Float.NaN;             // row 2: NaN → −1
                    if (B > 3) a[4 * V - 1] = Float.POSITIVE_INFINITY;   // row 3: +∞ → −1
                    if (B > 4) a[4 * V + 1] = Float.NEGATIVE_INFINITY;   // row 4: a −∞ among finite values is fine
                }
                int[] want = new int[B], got = new int[B];
                ref.argmax(want, l);
                gpu.argmax(got, gpu.adopt(l));
                assertArrayEquals(want, got, "argmax V=" + V + " B=" + B);
                if (V > 4) {
                    assertEquals(2, want[0]);
                    if (B > 2) { assertEquals(0, want[1]); assertEquals(-1, want[2]); }
                }
            }
    }

    /** A decode step's ops on one layer: the fused ones take one launch each, the lm head normalises its input (the embedding is written when linearRmsnorm reads x). */
    @Test void fusedOpsTakeOneLaunchEach() {
        Rng rng = new Rng(24);
        int C = 40, d = 70, V = 29, B = 1;
        Tensor table = gpu.adopt(randn(rng, 1, V, C)), nw = gpu.adopt(randn(rng, 1, C)), wo = gpu.adopt(weights(rng, DType.F16, C, C)),
                w2 = gpu.adopt(weights(rng, DType.F16, C, d)), logitsW = gpu.adopt(weights(rng, DType.F16, V, C));
        Tensor x = gpu.zeros(B, C), n = gpu.zeros(B, C), att = gpu.zeros(B, C), hid = gpu.zeros(B, d), logits = gpu.zeros(B, V);
        int[] next = new int[B];
        Backend be = gpu;
        be.embeddingRmsnorm(x, table, new int[] {3}, n, nw, 1e-5f);    // warm: programs built
        long l0 = gpu.context().launches();
        be.embeddingRmsnorm(x, table, new int[] {3}, n, nw, 1e-5f);
        be.linearRmsnorm(x, att, wo, true, n, nw, 1e-5f);
        be.linearRmsnorm(x, hid, w2, true, n, nw, 1e-5f);
        be.linear(logits, n, logitsW, false);
        be.argmax(next, logits);
        assertEquals(5, gpu.context().launches() - l0, "launches of embeddingRmsnorm, 2 linearRmsnorm, linear, argmax");
    }
}
