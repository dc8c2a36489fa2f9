package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import org.jocl.cl_mem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The argmax fused into the lm head's GEMV (argmax_part.cl in gemv_b1.cl and gemv_tc.cl, ARGMAX 1; {@link
 * OpenClMglu#gemvArgmax}) on PoCL (no inline PTX, the emulated mma). Each launch must give (a) the same logits, bit for bit,
 * as the GEMV without the argmax and (b) ids[b] = {@link Backend#argmaxRow} of those logits read back. Awkward V (1, 7,
 * 255, 1000, 32001: one row; fewer rows than a block; many blocks, more than a group's threads), B 1..8 over them (gemv_b1 at
 * B ≤ 4 without a norm and B = 1 of rmsnorm(x); gemv_tc at every B), fp16 and bf16. The rows of x are made so that
 * the logits hold, by batch row: a maximum tied at a few rows far apart (other blocks, other threads of the merge) and
 * at two neighbours (the same block); distinct values; a +Inf (→ −1); a NaN (+Inf − Inf, → −1); only −Inf (→ 0).
 * The values are exact: W holds small integers and ±2^10, x rows are one-hot 1 or ±2^120 (which overflow to ±Inf).
 * ids are poisoned before every launch and the ticket is shared by all launches (it must come back to 0).
 */
class OpenClHeadArgmaxTest {
    static OpenClContext cl;
    static final OpenClSettings TC = OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withFast(false).withTcGemv(1, 16);
    static final int[][] CASES = {{1, 8}, {7, 40}, {255, 264}, {1000, 40}, {32001, 16}};   // (V, h)
    static final float BIG = 0x1p120f, W_BIG = 0x1p10f;

    @BeforeAll static void open() {
        OpenClTesting.requireOpenCl();
        cl = OpenClContext.open();
    }

    @AfterAll static void close() {
        if (cl != null) cl.close();
    }

    /** Row kinds by batch row: 0 ties, 1 distinct values, 2 a +Inf, 3 a NaN, 4 only −Inf. */
    record Problem(WeightMatrix w, float[] x, int[] kind, int jInf, int jNan) {}

    /** W (V, h): columns 0..3 reserved for the non-finite rows, the others small integers with 7 planted per tie row. */
    static Problem problem(Rng rng, DType dt, int V, int h, int B, int shift) {
        float[] w = new float[V * h], x = new float[B * h];
        int jInf = rng.nextInt(V), jNan = rng.nextInt(V);
        int[] kind = new int[B];
        for (int j = 0; j < V; j++) {
            for (int c = 4; c < h; c++) w[j * h + c] = rng.nextInt(7) - 3;
            w[j * h + 3] = -W_BIG;                                           // column 3: every logit −Inf
        }
        w[jInf * h] = W_BIG;                                                 // column 0: one logit +Inf
        w[jNan * h + 1] = W_BIG;                                             // columns 1, 2: +Inf − Inf at one logit
        w[jNan * h + 2] = W_BIG;
        for (int b = 0; b < B; b++) {
            kind[b] = (b + shift) % 5;
            int c = 4 + rng.nextInt(h - 4);
            switch (kind[b]) {
                case 0 -> {
                    x[b * h + c] = 1f;
                    for (int k = 0; k < 3; k++) w[rng.nextInt(V) * h + c] = 7f;                  // far apart
                    int r = rng.nextInt(V);
                    w[r * h + c] = 7f;
                    if (r + 1 < V) w[(r + 1) * h + c] = 7f;                                        // neighbours
                }
                case 1 -> { for (int k = 4; k < h; k++) x[b * h + k] = (float) rng.nextGaussian(); }
                case 2 -> x[b * h] = BIG;
                case 3 -> { x[b * h + 1] = BIG; x[b * h + 2] = -BIG; }
                default -> x[b * h + 3] = BIG;
            }
        }
        return new Problem(WeightMatrix.of(dt, w, V, h), x, kind, jInf, jNan);
    }

    /** A launcher; b1max = 4 lets gemv_b1 take B ≤ 4 (0: gemv_tc at every B). */
    static OpenClMglu launcher(int b1max) {
        System.setProperty("jmglu.opencl.b1max", Integer.toString(b1max));
        try {
            return new OpenClMglu(cl, TC);
        } finally {
            System.clearProperty("jmglu.opencl.b1max");
        }
    }

    /** One fused launch (it must be taken) against the plain GEMV and the host argmax of its logits. */
    static void check(OpenClMglu mglu, Problem p, int B, boolean normin, cl_mem ticket, String what) {
        int V = p.w().rows(), h = p.w().cols();
        var dw = OpenClMglu.DeviceMatrix.upload(cl, p.w());
        float[] nw = new float[3 + h];
        for (int c = 0; c < h; c++) nw[3 + c] = 0.5f + (c % 3);              // positive: the norm keeps every order
        int[] poison = new int[B];
        java.util.Arrays.fill(poison, -7);
        cl_mem dx = cl.upload(p.x()), dy = cl.upload(new float[B * V]), dy2 = cl.upload(new float[B * V]), dn = cl.upload(nw),
                ids = cl.upload(poison), parts = cl.alloc(GemvExtras.argmaxPartBytes(V, B));
        try {
            var norm = normin ? new OpenClMglu.NormIn(dn, 3, 1e-5f) : null;
            assertTrue(mglu.gemvArgmax(dy, dx, norm, dw, B, new GemvExtras.ArgmaxOut(ids, parts, ticket), null), what + ": the fused path takes it");
            mglu.gemv(dy2, dx, norm, dw, B, false, null);
            float[] y = new float[B * V], y2 = new float[B * V];
            int[] got = new int[B];
            cl.read(dy, y, y.length);
            cl.read(dy2, y2, y2.length);
            cl.readInts(ids, 0, got, B);
            assertArrayEquals(y2, y, what + ": the logits of the plain GEMV");
            int[] want = new int[B];
            for (int b = 0; b < B; b++) want[b] = Backend.argmaxRow(y, b * V, V);
            assertArrayEquals(want, got, what + ": argmaxRow of the logits");
            int[] tk = new int[1];
            cl.readInts(ticket, 0, tk, 1);
            assertEquals(0, tk[0], what + ": the ticket back at 0");
            // the rows are what they claim to be where x reaches the kernel unrounded (gemv_b1: f32 x; bf16 parts of 2^120
            // exact) and unnormed (rmsnorm of a row holding 2^120 is 0 · ±Inf: NaN)
            if (!normin && (p.w().dtype() == DType.BF16 || mglu.b1GemvApplies(p.w().dtype(), h, B, false)))
                for (int b = 0; b < B; b++)
                    switch (p.kind()[b]) {
                        case 2, 3 -> assertEquals(-1, got[b], what + " row " + b + ": a non-finite logit");
                        case 4 -> assertEquals(0, got[b], what + " row " + b + ": only −Inf");
                        default -> assertTrue(got[b] >= 0, what + " row " + b);
                    }
        } finally {
            dw.release();
            OpenClContext.release(dx, dy, dy2, dn, ids, parts);
        }
    }

    @Test void fusedArgmaxIsTheArgmaxOfTheLogits() {
        Rng rng = new Rng(91);
        OpenClMglu b1 = launcher(4), tc = launcher(0);
        cl_mem ticket = cl.upload(new int[1]);
        try {
            int n = 0;
            for (int i = 0; i < CASES.length; i++) {
                int V = CASES[i][0], h = CASES[i][1];
                // B = 1 and two more a case (each B a program of its own, slow to build on PoCL): B 1..8 over the cases
                for (int B : new int[] {1, 2 + i % 4, 5 + i % 4}) {
                    DType dt = n++ % 2 == 0 ? DType.BF16 : DType.F16;
                    Problem p = problem(rng, dt, V, h, B, n);
                    String what = dt + " V=" + V + " h=" + h + " B=" + B;
                    if (B <= 4) {
                        assertTrue(b1.b1GemvApplies(dt, h, B, false));
                        check(b1, p, B, false, ticket, "gemv_b1 " + what);
                    }
                    if (B == 1) check(b1, p, B, true, ticket, "gemv_b1 NORMIN " + what);
                    assertTrue(!tc.b1GemvApplies(dt, h, B, false) && tc.tcGemvApplies(dt, h, B));
                    check(tc, p, B, B % 3 == 0, ticket, "gemv_tc " + (B % 3 == 0 ? "NORMIN " : "") + what);
                }
            }
        } finally {
            OpenClContext.release(ticket);
            b1.release();
            tc.release();
        }
    }

    /** A persistent gemv_b1 grid (a group runs several blocks) and one-row blocks: the parts are per block, the ticket per group. */
    @Test void persistentGridAndOneRowBlocks() {
        Rng rng = new Rng(92);
        for (String[] knobs : new String[][] {{"b1persist", "1"}, {"b1rows", "1"}}) {
            System.setProperty("jmglu.opencl." + knobs[0], knobs[1]);
            OpenClMglu b1;
            try {
                b1 = launcher(4);
            } finally {
                System.clearProperty("jmglu.opencl." + knobs[0]);
            }
            cl_mem ticket = cl.upload(new int[1]);
            try {
                for (int B = 1; B <= 3; B++) check(b1, problem(rng, DType.BF16, 1000, 40, B, B), B, false, ticket, "gemv_b1 " + knobs[0] + " B=" + B);
            } finally {
                OpenClContext.release(ticket);
                b1.release();
            }
        }
    }

    /**
     * Through {@link OpenClBackend#linearArgmax} (tc on): B = 1 of an owed norm (gemv_b1 NORMIN) and B = 3 (gemv_tc), into
     * an int[] and into device ids; one launch fewer than linear then argmax, and the tokens and logits of
     * HostBackend(ReferenceKernels). B = 12 (past the tensor-core GEMV's batches) takes the two launches, the same answer.
     */
    @Test void backendLinearArgmax() {
        HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
        DecodeSwitches all = DecodeSwitches.fromSystemProperties().withHeadArgmaxMaxB(OpenClMglu.MAX_BATCH);   // gemv_tc's fused head too (the default; set here whatever the properties say)
        try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON), all)) {
            Rng rng = new Rng(93);
            int C = 40, V = 1000;
            for (int B : new int[] {1, 3, 12}) {
                Tensor a = OpenClTesting.randn(rng, 1, B, C), nw = OpenClTesting.randn(rng, 1, C),
                        wo = OpenClTesting.weights(rng, DType.F16, C, C), head = OpenClTesting.weights(rng, DType.BF16, V, C);
                Tensor ey = Tensor.zeros(B, C), en = Tensor.zeros(B, C), el = Tensor.zeros(B, V);
                ref.linearRmsnorm(ey, a, wo, false, en, nw, 1e-5f);
                int[] want = new int[B];
                ref.linearArgmax(want, el, en, head);
                Tensor y = OpenClTesting.poisoned(gpu, B, C), n = OpenClTesting.poisoned(gpu, B, C), l = OpenClTesting.poisoned(gpu, B, V),
                        gh = gpu.adopt(head), gwo = gpu.adopt(wo), gnw = gpu.adopt(nw), ga = gpu.adopt(a), ids = gpu.adopt(Tensor.ofInts(new int[B], B));
                for (boolean onDevice : new boolean[] {false, true}) {
                    String what = "B=" + B + (onDevice ? " into device ids" : " into int[]");
                    int[] got = new int[B];
                    gpu.linearRmsnorm(y, ga, gwo, false, n, gnw, 1e-5f);                 // n = rmsnorm(y) owed, as on a decode step
                    long l0 = gpu.context().launches();
                    if (onDevice) {
                        gpu.linearArgmax(ids, l, n, gh);
                        got = gpu.readIdsLater(ids).get();
                    } else gpu.linearArgmax(got, l, n, gh);
                    long fused = gpu.context().launches() - l0;
                    float[] lg = OpenClTesting.read(gpu, l);
                    jmglu.engine.testing.Check.close(el.toArray(), lg, 1e-3, 1e-3, "logits " + what);
                    for (int b = 0; b < B; b++) assertEquals(Backend.argmaxRow(lg, b * V, V), got[b], what + " row " + b);
                    assertArrayEquals(want, got, "the reference's tokens " + what);
                    gpu.linearRmsnorm(y, ga, gwo, false, n, gnw, 1e-5f);
                    long l1 = gpu.context().launches();
                    gpu.linear(l, n, gh, false);
                    if (onDevice) gpu.argmax(ids, l);
                    else gpu.argmax(got, l);
                    long plain = gpu.context().launches() - l1;
                    assertEquals(B <= 8 ? plain - 1 : plain, fused, "launches " + what);
                }
            }
        }
    }

    /**
     * The last group's merge at every team size (argmax_part.cl step 2): through {@link OpenClBackend#linearArgmax} with
     * the head's argmax fused at every batch (headargmax on), gemv_tc at B = 5 and 8 built with 1 and 4 warps (on PoCL 32 and 128 threads: teams
     * of T = 4 or 16 threads, 12 or 48 of them idle at B = 5, none at B = 8), V = 1500 (94 blocks: several batches of
     * loads a thread at T = 4, a partial last batch at T = 16). The rows are {@link #problem}'s (ties far apart and
     * neighbours, a +Inf, a NaN, only −Inf): one launch, ids = argmaxRow of the logits read back, and the host reference's
     * tokens on every row whose logits are exact (all but the Gaussian rows).
     */
    @Test void headArgmaxAllMergesEveryBatchRowAtOnce() {
        HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
        Rng rng = new Rng(95);
        int V = 1500, h = 40;
        for (int warps : new int[] {1, 4}) {
            DecodeSwitches all = DecodeSwitches.fromSystemProperties().withHeadArgmaxMaxB(OpenClMglu.MAX_BATCH);
            try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON).withTcShape(warps, 2), all)) {
                for (int B : new int[] {5, 8}) {
                    String what = "warps=" + warps + " B=" + B;
                    Problem p = problem(rng, DType.BF16, V, h, B, B + warps);
                    Tensor x = Tensor.of(p.x(), B, h), head = p.w().tensor();
                    int[] want = new int[B], got = new int[B];
                    ref.linearArgmax(want, Tensor.zeros(B, V), x, head);
                    Tensor l = OpenClTesting.poisoned(gpu, B, V), gx = gpu.adopt(x), gh = gpu.adopt(head);
                    long l0 = gpu.context().launches();
                    gpu.linearArgmax(got, l, gx, gh);
                    assertEquals(1, gpu.context().launches() - l0, "one launch " + what);
                    float[] lg = OpenClTesting.read(gpu, l);
                    for (int b = 0; b < B; b++) {
                        assertEquals(Backend.argmaxRow(lg, b * V, V), got[b], what + " row " + b + " (kind " + p.kind()[b] + ")");
                        if (p.kind()[b] != 1) assertEquals(want[b], got[b], what + " row " + b + ": the reference (kind " + p.kind()[b] + ")");
                    }
                }
            }
        }
    }

    /** By default every batch's head takes the argmax into its launch: gemv_b1 (B = 1) and gemv_tc (B = 3, 8), one launch each. */
    @Test void byDefaultEveryBatchFuses() {
        try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON))) {
            Rng rng = new Rng(94);
            int C = 40, V = 300;
            for (int B : new int[] {1, 3, 8}) {
                Tensor n = gpu.adopt(OpenClTesting.randn(rng, 1, B, C)), head = gpu.adopt(OpenClTesting.weights(rng, DType.F16, V, C));
                Tensor l = OpenClTesting.poisoned(gpu, B, V);
                int[] got = new int[B];
                long l0 = gpu.context().launches();
                gpu.linearArgmax(got, l, n, head);
                float[] lg = OpenClTesting.read(gpu, l);
                for (int b = 0; b < B; b++) assertEquals(Backend.argmaxRow(lg, b * V, V), got[b], "B=" + B + " row " + b);
                assertEquals(1, gpu.context().launches() - l0, "launches of linearArgmax at B=" + B);
            }
        }
    }
}
