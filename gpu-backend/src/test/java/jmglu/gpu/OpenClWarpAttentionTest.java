package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.attentionOverHalves;
import static jmglu.gpu.OpenClTesting.halves;
import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;

import java.util.Arrays;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decode attention's warp kernel (attn_warp.cl through {@link ClWarpAttention}; on PoCL its local-memory
 * exchanges, which compute what the NVIDIA shuffles do) against the composition of primitives on {@link HostBackend}
 * over {@link ReferenceKernels}: head sizes 128 (a float4 a lane), 96 (3 dims a lane), 12 and 20 (lanes past the
 * head); grouped heads (nKv 4, 2, 1 of nH 4); lengths 1, 31, 32, 33, 64, 65, 100 and 640+ (one split, the
 * split's edges, many splits); rows of different lengths in one launch (B up to 8); 32 and 64 keys a split;
 * RoPE none (attentionStep), interleaved and halves (the fused attention); aligned float4 rows (hd 128, 256); the old
 * kernel's decode path too; the same kernels over F16 caches (KVH = 1) against the reference over the same halves.
 * out 1e-5 + 1e-4 (splits sum in another order); the caches what the composition wrote (exactly where k, v are given).
 */
class OpenClWarpAttentionTest {
    static OpenClBackend gpu;
    static final HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
    static final Rope[] ROPES = {Rope.interleaved(10000f), Rope.halves(10000f, new Rope.Scaling.Linear(2f))};
    static final int[][] POSITIONS = {{0}, {30}, {32}, {99}, {700}, {63, 64, 0, 31, 32, 99, 700, 5}, {640, 1}};

    @BeforeAll static void open() { gpu = OpenClTesting.backend(); }

    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    /** Lengths around attn_wg's split edges (16, 32, 64 keys), a merge of more than MC·NW splits (701), mixed rows. */
    static final int[][] WG_POSITIONS = {{0}, {14}, {15}, {16}, {31}, {32}, {63}, {64}, {700}, {15, 16, 0, 31, 32, 99, 700, 5}, {640, 1}};

    @AfterEach void defaults() {
        var w = gpu.warpAttention();
        w.enabled = true;
        w.keysSet = 0;
        w.f4 = false;
        w.wgMode = 0;
        w.kw = 0;
        w.nw = 0;
        w.it = 0;
        w.wgF4 = true;
    }

    /** attn_wg (a work-group per split, KW keys a warp): head sizes 128, 96, 12, 20, 256; GQA; every KW and every NW. */
    @Test void groupKernelMatchesTheComposition() {
        Rng rng = new Rng(25);
        var w = gpu.warpAttention();
        w.wgMode = 1;
        int n = 0;
        // nH, nKv, hd, h, keys a warp, warps a group (a program each: PoCL compiles slowly)
        for (int[] c : new int[][] {{4, 4, 128, 40, 4, 4}, {4, 1, 96, 17, 8, 2}, {4, 2, 12, 10, 16, 1}, {4, 2, 20, 12, 4, 8}, {2, 1, 256, 24, 8, 4}}) {
            w.kw = c[4];
            w.nw = c[5];
            for (int[] pos : WG_POSITIONS) check(rng, c[0], c[1], c[2], c[3], pos, ROPES[n++ % ROPES.length], "wg kw=" + c[4] + " nw=" + c[5]);
        }
    }

    /** attn_wg with several rounds a split (IT: the online softmax across rounds, warps out of keys in later rounds), GQA and not. */
    @Test void groupKernelWithRoundsMatches() {
        Rng rng = new Rng(28);
        var w = gpu.warpAttention();
        w.wgMode = 1;
        int n = 0;
        // nH, nKv, hd, h, keys a warp, warps a group, rounds
        for (int[] c : new int[][] {{4, 4, 128, 40, 8, 4, 4}, {4, 1, 96, 17, 4, 2, 3}, {2, 1, 20, 12, 8, 4, 2}}) {
            w.kw = c[4];
            w.nw = c[5];
            w.it = c[6];
            for (int[] pos : WG_POSITIONS)
                check(rng, c[0], c[1], c[2], c[3], pos, ROPES[n++ % ROPES.length], "wg kw=" + c[4] + " nw=" + c[5] + " it=" + c[6]);
        }
    }

    /** attn_wg without RoPE (attentionStep) and with vload4 rows (no aligned float4), GQA and not. */
    @Test void groupKernelAttentionStepMatches() {
        Rng rng = new Rng(26);
        var w = gpu.warpAttention();
        w.wgMode = 1;
        w.wgF4 = false;
        w.kw = 8;
        for (int[] c : new int[][] {{4, 2, 128}, {4, 4, 20}})
            for (int[] pos : WG_POSITIONS) step(rng, c[0], c[1], c[2], pos);
    }

    /** The default (attn_wg, 8 keys a warp, at every B): B = 1 and B = 8 rows of 16 heads, lengths across split edges. */
    @Test void defaultKernelMatches() {
        var w = gpu.warpAttention();
        Check.close(new float[] {8, 8, 0}, new float[] {w.group(1, 16, 640), w.group(8, 16, 640), gpu.warpAttention().kw}, 0, 0, "keys a warp");
        Rng rng = new Rng(27);
        int n = 0;
        for (int[] pos : new int[][] {{639}, {700}, {5}, {640, 639, 638, 100, 0, 1, 700, 320}})
            check(rng, 16, 16, 128, 24, pos, ROPES[n++ % ROPES.length], "default");
        w.wgMode = -1;
        Check.close(new float[] {0}, new float[] {w.group(1, 16, 640)}, 0, 0, "attn_warp when off");
    }

    @Test void fusedDecodeAttentionMatchesTheComposition() {
        Rng rng = new Rng(21);
        gpu.warpAttention().wgMode = -1;
        int n = 0;
        for (int[] c : new int[][] {{4, 4, 128, 40}, {4, 1, 96, 17}, {4, 2, 12, 10}})   // nH, nKv, hd, h (each a program per keys: PoCL compiles slowly)
            for (int keys : new int[] {32, 64})
                for (int[] pos : POSITIONS) {
                    if (c[2] != 128 && keys == 64) continue;                  // 64 keys a split: hd 128
                    gpu.warpAttention().keysSet = keys;
                    check(rng, c[0], c[1], c[2], c[3], pos, ROPES[n++ % ROPES.length], "keys=" + keys);
                }
    }

    /** No RoPE: attentionStep (q, k, v given), the warp kernel reading k, v of the new position as given. */
    @Test void attentionStepMatchesTheReference() {
        Rng rng = new Rng(22);
        gpu.warpAttention().wgMode = -1;
        for (int[] c : new int[][] {{4, 2, 128}, {4, 4, 20}})
            for (int[] pos : POSITIONS) step(rng, c[0], c[1], c[2], pos);
    }

    /** One attentionStep (q, k, v given, no RoPE) on random caches (maxT 720) against the reference: out and both caches. */
    private static void step(Rng rng, int nH, int nKv, int hd, int[] pos) {
        int B = pos.length, maxT = 720, kv = nKv * hd;
        Tensor q = randn(rng, 1, B, nH * hd), k = randn(rng, 1, B, kv), v = randn(rng, 1, B, kv);
        Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv), dkc = gpu.adopt(kc), dvc = gpu.adopt(vc);
        Tensor e = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
        ref.attentionStep(e, q, k, v, kc, vc, pos, nH, nKv, hd);
        gpu.attentionStep(a, gpu.adopt(q), gpu.adopt(k), gpu.adopt(v), dkc, dvc, pos, nH, nKv, hd);
        String what = "attentionStep nH=" + nH + " nKv=" + nKv + " hd=" + hd + " pos=" + Arrays.toString(pos);
        Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, what);
        Check.close(kc.toArray(), read(gpu, dkc), 0, 0, what + " k cache");
        Check.close(vc.toArray(), read(gpu, dvc), 0, 0, what + " v cache");
    }

    /** K and V rows as aligned float4 loads (-Djmglu.opencl.attnf4; hd a multiple of 128), GQA and not. */
    @Test void alignedFloat4RowsMatch() {
        Rng rng = new Rng(24);
        gpu.warpAttention().f4 = true;
        gpu.warpAttention().wgMode = -1;
        int n = 0;
        for (int[] c : new int[][] {{4, 4, 128, 40}, {4, 1, 256, 24}})
            for (int[] pos : POSITIONS) check(rng, c[0], c[1], c[2], c[3], pos, ROPES[n++ % ROPES.length], "f4");
    }

    /** rope_attn's decode path (the fallback past 256-wide heads, and -Djmglu.opencl.attnkernel=old) on the same cases. */
    @Test void oldKernelDecodePathStillMatches() {
        Rng rng = new Rng(23);
        gpu.warpAttention().enabled = false;
        int n = 0;
        for (int[] pos : POSITIONS) check(rng, 4, 2, 128, 40, pos, ROPES[n++ % ROPES.length], "old kernel");
    }

    /**
     * F16 caches (the backend's default, KVH = 1) through every decode kernel: attn_wg (aligned 4-half rows at hd 128,
     * vload_half4 rows, hd 96's scalar rows), attn_warp (aligned and not, 32 and 64 keys a split), rope_attn (the old
     * kernel), and attentionStep without RoPE. Against the reference over the same halves (the caches rounded, the new
     * k, v rounded before they are attended): out 1e-5 + 1e-4 as over F32; the caches the rounded values.
     */
    @Test void halfCachesMatchTheRoundedReference() {
        Rng rng = new Rng(28);
        var w = gpu.warpAttention();
        int[][] pos = {{639}, {700, 5, 0, 64, 31, 32}};
        for (int[] p : pos) checkHalf(rng, 4, 2, 128, 24, p, ROPES[0], "halves wg");
        w.wgF4 = false;
        for (int[] p : pos) checkHalf(rng, 4, 1, 128, 17, p, ROPES[1], "halves wg vload_half4");
        w.wgF4 = true;
        w.kw = 4;
        w.nw = 2;
        for (int[] p : pos) checkHalf(rng, 4, 2, 96, 12, p, ROPES[0], "halves wg hd 96");
        w.kw = 0;
        w.nw = 0;
        for (int[] p : pos) stepHalf(rng, 4, 2, 20, p);
        w.wgMode = -1;
        w.f4 = true;
        for (int[] p : pos) checkHalf(rng, 4, 2, 128, 24, p, ROPES[1], "halves warp f4");
        w.f4 = false;
        w.keysSet = 64;
        for (int[] p : pos) checkHalf(rng, 4, 4, 128, 20, p, ROPES[0], "halves warp 64 keys");
        w.keysSet = 0;
        w.enabled = false;
        for (int[] p : pos) checkHalf(rng, 4, 2, 128, 24, p, ROPES[1], "halves rope_attn");
    }

    /**
     * One fused attention call on random F16 caches (maxT 720) against {@link OpenClTesting#attentionOverHalves} (given
     * the device's caches for the k_p, v_p at a rounding midpoint): out within the F32 tests' tolerance, the caches exactly
     * what the reference cached. Against the reference over
     * the unrounded F32 caches out is within 1e-2 abs + 1e-2 rel only (each key and value carries a relative error up to 2^-11).
     */
    private static void checkHalf(Rng rng, int nH, int nKv, int hd, int h, int[] pos, Rope rope, String tag) {
        int B = pos.length, maxT = 720, kv = nKv * hd;
        Tensor x = randn(rng, 1, B, h), wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
        Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv), kh = halves(kc), vh = halves(vc);
        Tensor dkc = gpu.adopt(kc.to(DType.F16)), dvc = gpu.adopt(vc.to(DType.F16));
        Tensor e = Tensor.zeros(B, nH * hd), e32 = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
        gpu.attention(a, gpu.adopt(x), gpu.adopt(wq), gpu.adopt(wk), gpu.adopt(wv), gpu.zeros(B, nH * hd), gpu.zeros(B, kv), gpu.zeros(B, kv),
                dkc, dvc, pos, nH, nKv, hd, rope);
        float[] got = read(gpu, a), gk = read(gpu, dkc), gv = read(gpu, dvc);
        attentionOverHalves(ref, e, x, wq, wk, wv, kh, vh, pos, nH, nKv, hd, rope, gk, gv);
        ref.attention(e32, x, wq, wk, wv, Tensor.zeros(B, nH * hd), Tensor.zeros(B, kv), Tensor.zeros(B, kv), kc, vc, pos, nH, nKv, hd, rope);
        String what = tag + " " + rope.label() + " nH=" + nH + " nKv=" + nKv + " hd=" + hd + " pos=" + Arrays.toString(pos);
        Check.close(e.toArray(), got, 1e-5, 1e-4, what);
        Check.close(e32.toArray(), got, 1e-2, 1e-2, what + " vs the unrounded reference");
        Check.close(kh.toArray(), gk, 0, 0, what + " k cache");
        Check.close(vh.toArray(), gv, 0, 0, what + " v cache");
    }

    /** One attentionStep (q, k, v given, no RoPE) on random F16 caches: out as {@link #checkHalf}; the caches exactly. */
    private static void stepHalf(Rng rng, int nH, int nKv, int hd, int[] pos) {
        int B = pos.length, maxT = 720, kv = nKv * hd;
        Tensor q = randn(rng, 1, B, nH * hd), k = randn(rng, 1, B, kv), v = randn(rng, 1, B, kv);
        Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv), kh = halves(kc), vh = halves(vc);
        Tensor dkc = gpu.adopt(kc.to(DType.F16)), dvc = gpu.adopt(vc.to(DType.F16));
        Tensor e = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
        ref.attentionStep(e, q, halves(k), halves(v), kh, vh, pos, nH, nKv, hd);
        gpu.attentionStep(a, gpu.adopt(q), gpu.adopt(k), gpu.adopt(v), dkc, dvc, pos, nH, nKv, hd);
        String what = "attentionStep halves nH=" + nH + " nKv=" + nKv + " hd=" + hd + " pos=" + Arrays.toString(pos);
        Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, what);
        Check.close(kh.toArray(), read(gpu, dkc), 0, 0, what + " k cache");
        Check.close(vh.toArray(), read(gpu, dvc), 0, 0, what + " v cache");
    }

    /** One fused attention call on random caches (maxT 720) against the reference: out and both caches. */
    private static void check(Rng rng, int nH, int nKv, int hd, int h, int[] pos, Rope rope, String tag) {
        int B = pos.length, maxT = 720, kv = nKv * hd;
        Tensor x = randn(rng, 1, B, h), wq = weights(rng, DType.F16, nH * hd, h), wk = weights(rng, DType.F16, kv, h), wv = weights(rng, DType.F16, kv, h);
        Tensor kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv), dkc = gpu.adopt(kc), dvc = gpu.adopt(vc);
        Tensor e = Tensor.zeros(B, nH * hd), a = poisoned(gpu, B, nH * hd);
        ref.attention(e, x, wq, wk, wv, Tensor.zeros(B, nH * hd), Tensor.zeros(B, kv), Tensor.zeros(B, kv), kc, vc, pos, nH, nKv, hd, rope);
        gpu.attention(a, gpu.adopt(x), gpu.adopt(wq), gpu.adopt(wk), gpu.adopt(wv), gpu.zeros(B, nH * hd), gpu.zeros(B, kv), gpu.zeros(B, kv),
                dkc, dvc, pos, nH, nKv, hd, rope);
        String what = tag + " " + rope.label() + " nH=" + nH + " nKv=" + nKv + " hd=" + hd + " pos=" + Arrays.toString(pos);
        Check.close(e.toArray(), read(gpu, a), 1e-5, 1e-4, what);
        Check.close(kc.toArray(), read(gpu, dkc), 1e-6, 1e-5, what + " k cache");
        Check.close(vc.toArray(), read(gpu, dvc), 1e-6, 1e-5, what + " v cache");
    }
}
