package jmglu.simd;

import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.*;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * FlashMGLU and the MGLU scores against ReferenceMglu: the dense definition (materialised 0/1
 * masks, float64 sums) for every dtype × activation, and the packed reference for the scores,
 * on awkward h, d (not multiples of 16), B = 1, 3, 16 and nm = 1, 3, 8, 16; every row path
 * (e, h, batch e and float tiles, by settings) with W and the masks on the heap, off-heap
 * (confined arena) and in a read-only mapped file.
 * Tolerance: |y − ref| ≤ 2e-3·√h + 2e-3·|ref| (float32 sums of ≤ 200 products of N(0,1) values,
 * summed in another order, plus VecAct's polynomial exp/tanh against float64).
 */
class SimdFlashMgluTest {
    static final double ABS = 2e-3, REL = 2e-3;
    static final SimdSettings DEFAULTS = SimdSettings.defaults().withETileNms(SimdSettings.ALL_E_TILES).withEvenOddBatch(true);
    final SimdKernels k = new SimdKernels(DEFAULTS);

    static MaskPlanes pack(float[] masks, int nm, int d, int h) { return MaskPacker.pack(masks, nm, d, h); }

    /** y from k over W and masks in every storage kind, each against the dense reference. */
    static void flashAgainstDense(SimdKernels k, DType dt, Act g, int B, int h, int d, int nm, long seed) {
        Rng rng = new Rng(seed);
        float[] x = Check.random(rng, B * h), w32 = Check.random(rng, d * h), masks = Check.randomMasks(rng, nm, d, h);
        WeightMatrix w = WeightMatrix.of(dt, w32, d, h);
        MaskPlanes m = pack(masks, nm, d, h);
        float[] ref = new float[B * d];
        ReferenceMglu.dense(ref, x, w.toFloat(), masks, B, h, d, nm, g);
        try (Stores st = new Stores()) {
            for (Stores.Kind kind : Stores.Kind.values()) {
                float[] y = new float[B * d];
                k.flashMglu(y, x, st.weights(kind, w), st.masks(kind, m), B, g);
                Check.close(ref, y, ABS * Math.sqrt(h), REL, "flashMglu " + dt + " " + g + " " + kind + " B=" + B + " h=" + h + " d=" + d + " nm=" + nm);
            }
        }
    }

    @Test void flashEveryDtypeAndAct() {
        long seed = 1;
        for (DType dt : DType.floats())
            for (Act g : Act.values())
                // h a multiple of 32 with B = 1 and nm ∈ {1,2,4,8} takes the BF16-in-registers tiles
                for (int[] s : new int[][] {{1, 17, 33, 1}, {3, 129, 31, 3}, {16, 67, 7, 8}, {3, 33, 17, 16}, {1, 160, 48, 4}, {1, 64, 9, 1}, {1, 96, 9, 2}, {1, 32, 9, 8}})
                    flashAgainstDense(k, dt, g, s[0], s[1], s[2], s[3], seed++);
    }

    @Test void flashAwkwardSizes() {
        long seed = 100;
        for (int h : Check.AWKWARD)
            for (int B : new int[] {1, 3, 16})
                for (int nm : new int[] {1, 3, 8, 16})
                    flashAgainstDense(k, DType.BF16, Act.SILU, B, h, 19, nm, seed++);
    }

    @Test void scoresAgainstPackedReference() {
        long seed = 200;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int B : new int[] {1, 3, 16})
                    for (int nm : new int[] {1, 2, 3, 4, 8, 16}) {
                        // h = 96 (a multiple of 32) with B = 1, BF16, nm ∈ {1,2,4,8} takes the fused even/odd tile
                        int h = nm % 2 == 0 && nm <= 8 ? 96 : 67 + nm, d = 23 + B;
                        Rng rng = new Rng(seed++);
                        float[] x = Check.random(rng, B * h);
                        WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                        MaskPlanes m = pack(Check.randomMasks(rng, nm, d, h), nm, d, h);
                        float[] tr = new float[B * d], sr = new float[nm * B * d];
                        ReferenceMglu.scores(tr, sr, x, w, m, B);
                        for (Stores.Kind kind : Stores.Kind.values()) {
                            float[] t = new float[B * d], s = new float[nm * B * d];
                            k.mgluScores(t, s, x, st.weights(kind, w), st.masks(kind, m), B);
                            String what = "mgluScores " + dt + " " + kind + " B=" + B + " nm=" + nm;
                            Check.close(tr, t, 1e-4 * h, 1e-4, what + " t");
                            Check.close(sr, s, 1e-4 * h, 1e-4, what + " s");
                        }
                    }
        }
    }

    /** A problem big enough to be split over threads gives the same bits on 1, 2 and 4 threads, for every row path and storage. */
    @Test void threadsAgree() {
        int h = 512, d = 301;
        long seed = 7;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int[] bn : new int[][] {{1, 4}, {3, 3}, {8, 8}}) {
                    int B = bn[0], nm = bn[1];
                    Rng rng = new Rng(seed++);
                    float[] x = Check.random(rng, B * h), masks = Check.randomMasks(rng, nm, d, h);
                    WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                    MaskPlanes m = pack(masks, nm, d, h);
                    float[] ref = new float[B * d];
                    ReferenceMglu.dense(ref, x, w.toFloat(), masks, B, h, d, nm, Act.GELU);
                    for (Stores.Kind kind : Stores.Kind.values()) {
                        WeightMatrix wk = st.weights(kind, w);
                        MaskPlanes mk = st.masks(kind, m);
                        float[] y1 = null;
                        for (int threads : new int[] {1, 2, 4}) {
                            float[] y = new float[B * d];
                            new SimdKernels(DEFAULTS.withThreads(threads)).flashMglu(y, x, wk, mk, B, Act.GELU);
                            String what = "flashMglu " + dt + " " + kind + " B=" + B + " nm=" + nm + " threads=" + threads;
                            if (y1 == null) { y1 = y; Check.close(ref, y, ABS * Math.sqrt(h), REL, what + " vs dense"); }
                            else Check.close(y1, y, 0, 0, what + " vs 1 thread");
                        }
                    }
                }
        }
    }

    /**
     * B = 1 with BF16 W: a native W (off-heap, mapped) takes SimdFlashMglu.rowsB1, which sums the tiles'
     * lanes 16 rows at a time with vector ops; the heap W sums them row by row (Lanes.fold). Both must
     * give the same bits (a mapped checkpoint and the same weights in memory agree), for every tile
     * (nm ∈ {1, 2, 4, 8}; e and h tiles), with d not a multiple of 16 and on 1 and 3 threads. Except
     * b1k8e: its segment form keeps one u accumulator per plane (two per plane spill there), the array
     * form two, so at nm = 8 with the e tile heap and native W differ in the last bits (as before rowsB1).
     */
    @Test void b1NativeAndHeapAgreeInBits() {
        int h = 256, d = 83;
        long seed = 400;
        try (Stores st = new Stores()) {
            for (int eBits : new int[] {SimdSettings.ALL_E_TILES, 0})
                for (int nm : new int[] {1, 2, 4, 8}) {
                    boolean heapDiffers = nm == 8 && eBits != 0 && FlashTilesBf16.EVEN_ODD;
                    Rng rng = new Rng(seed++);
                    float[] x = Check.random(rng, h), masks = Check.randomMasks(rng, nm, d, h);
                    WeightMatrix w = WeightMatrix.of(DType.BF16, Check.random(rng, d * h), d, h);
                    MaskPlanes m = pack(masks, nm, d, h);
                    float[] y0 = null;
                    for (int threads : new int[] {1, 3})
                        for (Stores.Kind kind : Stores.Kind.values()) {
                            float[] y = new float[d];
                            new SimdKernels(DEFAULTS.withETileNms(eBits).withThreads(threads)).flashMglu(y, x, st.weights(kind, w), st.masks(kind, m), 1, Act.SILU);
                            if (heapDiffers && kind == Stores.Kind.HEAP) continue;
                            if (y0 == null) y0 = y;
                            else Check.close(y0, y, 0, 0, "flashMglu B=1 nm=" + nm + " eTiles=" + eBits + " " + kind + " threads=" + threads + " vs the first (heap, 1 thread)");
                        }
                }
        }
    }

    /**
     * B > 1 with BF16 W and h a multiple of 32 takes the even/odd tiles over the raw row
     * (SimdFlashMglu.rowE: 4/2/1-row tiles × 2-plane groups, t only in the first group); every
     * tile split of B and nm is hit. The path is asserted taken (on AVX-512), then both B > 1 paths
     * are compared with the dense reference.
     */
    @Test void flashBf16BatchEvenOddTiles() {
        long seed = 300;
        SimdKernels off = new SimdKernels(DEFAULTS.withEvenOddBatch(false));
        SimdFlashMglu on = new SimdFlashMglu(DEFAULTS, new Parallel(1));
        for (int h : new int[] {32, 96, 160})
            for (int B : new int[] {2, 3, 5, 8, 11})
                for (int nm : new int[] {1, 2, 3, 4, 5, 8, 16}) {
                    int d = 13 + nm;
                    WeightMatrix probe = WeightMatrix.of(DType.BF16, new float[d * h], d, h);
                    if (FlashTilesBf16.EVEN_ODD) assertTrue(on.fusedB(B, probe), "rowE not taken for B=" + B + " h=" + h);
                    flashAgainstDense(k, DType.BF16, Act.SILU, B, h, d, nm, seed);
                    flashAgainstDense(off, DType.BF16, Act.SILU, B, h, d, nm, seed++);
                }
    }

    /** B = 1, BF16, h a multiple of 32, nm ∈ {1,2,4,8}: the even/odd "e" tiles and the widening "h" tiles. */
    @Test void flashBf16SingleRowBothTiles() {
        long seed = 500;
        SimdKernels hTiles = new SimdKernels(DEFAULTS.withETileNms(0));
        for (int h : new int[] {32, 96, 160})
            for (int nm : new int[] {1, 2, 4, 8}) {
                flashAgainstDense(k, DType.BF16, Act.SILU, 1, h, 11 + nm, nm, seed);
                flashAgainstDense(hTiles, DType.BF16, Act.SILU, 1, h, 11 + nm, nm, seed++);
            }
    }

    @Test void badShapesThrow() {
        WeightMatrix w = WeightMatrix.of(DType.F32, new float[6], 2, 3);
        MaskPlanes m = new MaskPlanes(1, 3, 2, new int[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.flashMglu(new float[2], new float[3], w, m, 1, Act.RELU));
        assertTrue(e.getMessage().contains("flashMglu"), e.getMessage());
    }

    @Test void providerOpensTheSimdBackend() {
        assertNull(new SimdProvider().unavailableReason());
        assertTrue(new SimdProvider().implicit());
        assertEquals(10, new SimdProvider().priority());
        try (Backend b = Backends.open("simd")) {
            assertEquals("simd", b.name());
            assertTrue(b.canTrain());
            assertInstanceOf(SimdKernels.class, b.kernels());
            assertTrue(b.describe().matches("simd \\(\\d+ threads, \\d+ float lanes\\)"), b.describe());
        }
        try (Backend b = Backends.open(null)) { assertEquals("simd", b.name(), "simd is the implicit backend of highest priority"); }
    }
}
