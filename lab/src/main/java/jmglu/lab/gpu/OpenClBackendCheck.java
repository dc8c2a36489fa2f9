package jmglu.lab.gpu;

import java.util.Arrays;

import static jmglu.lab.gpu.OpenClSelfCheck.REF;
import static jmglu.lab.gpu.OpenClSelfCheck.close;
import static jmglu.lab.gpu.OpenClSelfCheck.read;

import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.gpu.OpenClBackend;

/**
 * Part 2 of {@link OpenClSelfCheck}: each decode op of an {@link OpenClBackend} against
 * HostBackend(ReferenceKernels) on the same host tensors (the gpu-backend tests' comparisons, on
 * shapes nearer a model's: h 4096, hd 64, GQA 8 over 2 heads, B 19 past one 16-row launch; attentionStep over F32 and over F16
 * caches, the latter against the reference on the same halves), then six
 * steps of norm → q, k, v → rope → attentionStep → output projection (+ residual) → norm → FlashMGLU →
 * down projection (+ residual) with state carried in the caches. Tolerances as in the tests, abs
 * scaled where sums are longer: gathers and caches exact; norms, rope, act 1e-5 + 1e-5; linear, glu
 * 2e-5·√(h/64) + 1e-4; FlashMGLU, Top-K 1e-4·nm·√(h/64) + 1e-4; attention 1e-5 + 1e-4; sequence 1e-4 + 1e-3.
 */
final class OpenClBackendCheck {
    private OpenClBackendCheck() {}

    static void run(OpenClBackend gpu, DType[] dtypes) {
        Rng rng = new Rng(17);
        int before = OpenClSelfCheck.checks;
        for (DType dt : dtypes) {
            Tensor table = randn(rng, 1, 37, 45).to(dt), e = Tensor.zeros(19, 45), a = gpu.zeros(19, 45);
            int[] ids = new int[19];
            for (int b = 0; b < ids.length; b++) ids[b] = (b * 7 + 3) % 37;
            REF.embedding(e, table, ids);
            gpu.embedding(a, gpu.adopt(table), ids);
            close(e.toArray(), read(gpu, a), 0, 0, "embedding " + dt);
            fused(gpu, rng, dt);
            consumers(gpu, rng, dt);
            for (int[] c : new int[][] {{70, 45, 3}, {4096, 70, 19}}) {                     // h, d, B
                int h = c[0], d = c[1], B = c[2];
                double s = Math.sqrt(h / 64.0);
                Tensor w = weights(rng, dt, d, h), w2 = weights(rng, dt, d, h), x = randn(rng, 1, B, h), y0 = randn(rng, 1, B, d);
                Tensor dx = gpu.adopt(x), dw = gpu.adopt(w), xr = rounded(gpu, dt, x);      // xr: x as one fp16 part (or null)
                Tensor ey = y0.copy(), ay = gpu.adopt(y0), er = y0.copy();
                REF.linear(ey, x, w, true);
                if (xr != null) REF.linear(er, xr, w, true);
                gpu.linear(ay, dx, dw, true);
                close(ey.toArray(), arr(xr, er), read(gpu, ay), 2e-5 * s, 1e-4, "linear acc " + dt + " h=" + h + " B=" + B);
                REF.glu(ey, x, w, w2, Act.SILU);
                if (xr != null) REF.glu(er, xr, w, w2, Act.SILU);
                gpu.glu(ay, dx, dw, gpu.adopt(w2), Act.SILU);
                close(ey.toArray(), arr(xr, er), read(gpu, ay), 2e-5 * s, 1e-4, "glu " + dt + " h=" + h + " B=" + B);
                for (int nm : new int[] {1, 4, 8}) {
                    Tensor m = masks(rng, nm, d, h), dm = gpu.adopt(m);
                    REF.flashMglu(ey, x, w, m, Act.GELU);
                    if (xr != null) REF.flashMglu(er, xr, w, m, Act.GELU);
                    gpu.flashMglu(ay, dx, dw, dm, Act.GELU);
                    close(ey.toArray(), arr(xr, er), read(gpu, ay), 1e-4 * nm * s, 1e-4, "flashMglu " + dt + " h=" + h + " B=" + B + " nm=" + nm);
                    Tensor r = weights(rng, DType.F32, nm, h);
                    REF.mgluTopK(ey, x, w, m, r, Math.min(2, nm), Act.SILU);
                    if (xr != null) REF.mgluTopK(er, xr, w, m, r, Math.min(2, nm), Act.SILU);
                    gpu.mgluTopK(ay, dx, dw, dm, gpu.adopt(r), Math.min(2, nm), Act.SILU);
                    close(ey.toArray(), arr(xr, er), read(gpu, ay), 1e-4 * nm * s, 1e-4, "mgluTopK " + dt + " h=" + h + " B=" + B + " nm=" + nm);
                    gpu.release(dm);
                }
                gpu.release(dw);
            }
        }
        for (int[] c : new int[][] {{4, 2, 10, 3}, {8, 2, 64, 19}}) {                         // nH, nKv, hd, B
            int nH = c[0], nKv = c[1], hd = c[2], B = c[3], maxT = 40, kv = nKv * hd;
            int[] pos = new int[B];
            for (int b = 0; b < B; b++) pos[b] = (b * 13 + 5) % maxT;
            Tensor x = randn(rng, 1, B, nH * hd), e = x.copy(), a = gpu.adopt(x), w = randn(rng, 1, nH * hd);
            REF.rope(e, nH, hd, pos, jmglu.engine.Rope.interleaved(10000f));
            gpu.rope(a, nH, hd, pos, jmglu.engine.Rope.interleaved(10000f));
            close(e.toArray(), read(gpu, a), 1e-5, 1e-5, "rope nH=" + nH + " hd=" + hd);
            Tensor en = Tensor.zeros(B, nH * hd), an = gpu.zeros(B, nH * hd);
            REF.rmsnorm(en, e, w, 1e-5f);
            gpu.rmsnorm(an, a, gpu.adopt(w), 1e-5f);
            close(en.toArray(), read(gpu, an), 1e-5, 1e-5, "rmsnorm C=" + nH * hd);
            REF.act(Act.GELU, en);
            gpu.act(Act.GELU, an);
            close(en.toArray(), read(gpu, an), 1e-5, 1e-5, "act gelu");
            Tensor k = randn(rng, 1, B, kv), v = randn(rng, 1, B, kv), kc = randn(rng, 1, B, maxT, kv), vc = randn(rng, 1, B, maxT, kv);
            Tensor dkc = gpu.adopt(kc), dvc = gpu.adopt(vc), ea = Tensor.zeros(B, nH * hd), aa = gpu.zeros(B, nH * hd);
            REF.attentionStep(ea, e, k, v, kc, vc, pos, nH, nKv, hd);
            gpu.attentionStep(aa, a, gpu.adopt(k), gpu.adopt(v), dkc, dvc, pos, nH, nKv, hd);
            String what = "attentionStep nH=" + nH + " nKv=" + nKv + " hd=" + hd + " B=" + B;
            close(ea.toArray(), read(gpu, aa), 1e-5, 1e-4, what);
            close(kc.toArray(), read(gpu, dkc), 0, 0, what + " k cache");
            close(vc.toArray(), read(gpu, dvc), 0, 0, what + " v cache");
            Tensor kh = kc.to(DType.F16), vh = vc.to(DType.F16), kr = kh.to(DType.F32), vr = vh.to(DType.F32);   // F16 caches (KVH = 1)
            Tensor dkh = gpu.adopt(kh), dvh = gpu.adopt(vh);
            REF.attentionStep(ea, e, k.to(DType.F16).to(DType.F32), v.to(DType.F16).to(DType.F32), kr, vr, pos, nH, nKv, hd);
            gpu.attentionStep(aa, a, gpu.adopt(k), gpu.adopt(v), dkh, dvh, pos, nH, nKv, hd);
            close(ea.toArray(), read(gpu, aa), 1e-5, 1e-4, what + " over F16 caches");
            close(kr.toArray(), read(gpu, dkh), 0, 0, what + " F16 k cache");
            close(vr.toArray(), read(gpu, dvh), 0, 0, what + " F16 v cache");
        }
        sequence(gpu);
        System.out.println("backend ops: " + (OpenClSelfCheck.checks - before) + " comparisons against HostBackend(reference) passed");
    }

    /** The consumer of a norm written by the op before: what reads n (B, C) = rmsnorm(y) into out. */
    private interface Consumer { void run(Backend be, Tensor out, Tensor n, Tensor[] w); }

    /**
     * The ops that read a norm linearRmsnorm left owed (OpenClBackend normalises in the consumer's loads: the warp-shuffle
     * row kernels, flash_tc with NORMIN), at the decode bench's shapes (C 2048; the qkv GEMV 3·2048 rows, a 256-row lm head, FlashMGLU and
     * SwiGLU 8192, attention 16 heads of 128 over 530 cached positions), B 1 and 8, then n itself when read.
     */
    private static void consumers(OpenClBackend gpu, Rng rng, DType dt) {
        int C = 2048, d = 8192, nH = 16, hd = 128, maxT = 640;
        double s = Math.sqrt(C / 64.0);
        Tensor wqkv = weights(rng, dt, 3 * C, C), wlm = weights(rng, dt, 256, C), w1 = weights(rng, dt, d, C), w2 = weights(rng, dt, d, C), m = masks(rng, 4, d, C);
        Tensor[] attW = {weights(rng, dt, C, C), weights(rng, dt, C, C), weights(rng, dt, C, C)};
        for (int B : new int[] {1, 8}) {
            int[] pos = new int[B];
            for (int b = 0; b < B; b++) pos[b] = 530 - 7 * b;
            Tensor kc = randn(rng, 1, B, maxT, C), vc = randn(rng, 1, B, maxT, C);
            Object[][] ops = {
                    {"linear", new Tensor[] {wqkv}, 3 * C, 2e-5 * s, (Consumer) (be, o, n, w) -> be.linear(o, n, w[0], false)},
                    {"lm head (a group per row)", new Tensor[] {wlm}, 256, 2e-5 * s, (Consumer) (be, o, n, w) -> be.linear(o, n, w[0], false)},
                    {"flashMglu nm=4", new Tensor[] {w1, m}, d, 4e-4 * s, (Consumer) (be, o, n, w) -> be.flashMglu(o, n, w[0], w[1], Act.SILU)},
                    {"glu", new Tensor[] {w1, w2}, d, 2e-5 * s, (Consumer) (be, o, n, w) -> be.glu(o, n, w[0], w[1], Act.SILU)},
                    {"attention", attW, C, 1e-4, (Consumer) (be, o, n, w) -> be.attention(o, n, w[0], w[1], w[2], be.zeros(B, C), be.zeros(B, C),
                            be.zeros(B, C), be == REF ? kc.copy() : be.adopt(kc), be == REF ? vc.copy() : be.adopt(vc), pos, nH, nH, hd,
                            jmglu.engine.Rope.interleaved(10000f))}};
            for (Object[] op : ops) {
                Tensor[] w = (Tensor[]) op[1];
                int width = (Integer) op[2];
                Tensor a = randn(rng, 1, B, C), y0 = randn(rng, 1, B, C), wo = weights(rng, dt, C, C), nw = randn(rng, 1, C);
                Tensor ey = y0.copy(), en = Tensor.zeros(B, C), eo = Tensor.zeros(B, width);
                REF.linearRmsnorm(ey, a, wo, true, en, nw, 1e-5f);
                ((Consumer) op[4]).run(REF, eo, en, w);
                // the owed norm and the consumer's input as one fp16 part: Wo's y over a rounded a, the consumer over a rounded n
                Tensor ar = rounded(gpu, dt, a), eyr = y0.copy(), enr = Tensor.zeros(B, C), eor = Tensor.zeros(B, width);
                if (ar != null) {
                    REF.linearRmsnorm(eyr, ar, wo, true, enr, nw, 1e-5f);
                    ((Consumer) op[4]).run(REF, eor, rounded(gpu, dt, enr), w);
                }
                Tensor[] dw = new Tensor[w.length];
                for (int i = 0; i < w.length; i++) dw[i] = gpu.adopt(w[i]);
                Tensor ay = gpu.adopt(y0), an = gpu.zeros(B, C), ao = gpu.zeros(B, width);
                gpu.linearRmsnorm(ay, gpu.adopt(a), gpu.adopt(wo), true, an, gpu.adopt(nw), 1e-5f);
                ((Consumer) op[4]).run(gpu, ao, an, dw);
                String what = op[0] + " of an owed norm " + dt + " B=" + B;
                close(eo.toArray(), arr(ar, eor), read(gpu, ao), (Double) op[3], 1e-3, what);
                close(en.toArray(), arr(ar, enr), read(gpu, an), 1e-4, 1e-4, what + ": n");
                for (Tensor t : dw) gpu.release(t);
            }
        }
    }

    /**
     * The ops that cut launches: linearRmsnorm at the decode bench's shapes (the norm owed, written when n is read),
     * embeddingRmsnorm, argmax.
     */
    private static void fused(OpenClBackend gpu, Rng rng, DType dt) {
        for (int[] c : new int[][] {{8192, 2048, 1}, {2048, 2048, 8}, {70, 45, 19}}) {              // h, d, B
            int h = c[0], d = c[1], B = c[2];
            double s = Math.sqrt(h / 64.0);
            Tensor w = weights(rng, dt, d, h), dw = gpu.adopt(w), nw = randn(rng, 1, d), dnw = gpu.adopt(nw);
            for (int rep = 0; rep < 10; rep++) {
                Tensor x = randn(rng, 1, B, h), y0 = randn(rng, 1, B, d), ey = y0.copy(), en = Tensor.zeros(B, d), ay = gpu.adopt(y0), an = gpu.zeros(B, d);
                Tensor xr = rounded(gpu, dt, x), eyr = y0.copy(), enr = Tensor.zeros(B, d);
                REF.linearRmsnorm(ey, x, w, true, en, nw, 1e-5f);
                if (xr != null) REF.linearRmsnorm(eyr, xr, w, true, enr, nw, 1e-5f);
                gpu.linearRmsnorm(ay, gpu.adopt(x), dw, true, an, dnw, 1e-5f);
                close(ey.toArray(), arr(xr, eyr), read(gpu, ay), 2e-5 * s, 1e-4, "linearRmsnorm y " + dt + " h=" + h + " d=" + d + " B=" + B);
                close(en.toArray(), arr(xr, enr), read(gpu, an), 1e-4 * s, 1e-4, "linearRmsnorm n " + dt + " h=" + h + " d=" + d + " B=" + B);
            }
        }
        Tensor table = randn(rng, 1, 37, 300).to(dt), nw = randn(rng, 1, 300), ex = Tensor.zeros(19, 300), en = Tensor.zeros(19, 300),
                ax = gpu.zeros(19, 300), an = gpu.zeros(19, 300);
        int[] ids = new int[19];
        for (int b = 0; b < ids.length; b++) ids[b] = (b * 5 + 2) % 37;
        REF.embeddingRmsnorm(ex, table, ids, en, nw, 1e-5f);
        gpu.embeddingRmsnorm(ax, gpu.adopt(table), ids, an, gpu.adopt(nw), 1e-5f);
        close(ex.toArray(), read(gpu, ax), 0, 0, "embeddingRmsnorm x " + dt);
        close(en.toArray(), read(gpu, an), 1e-5, 1e-5, "embeddingRmsnorm n " + dt);
        for (int V : new int[] {256, 1000, 32000}) {
            Tensor l = randn(rng, 3, 8, V);
            int[] want = new int[8], got = new int[8];
            REF.argmax(want, l);
            gpu.argmax(got, gpu.adopt(l));
            if (!Arrays.equals(want, got)) OpenClSelfCheck.fail("argmax V=" + V + ": " + Arrays.toString(got) + ", expected " + Arrays.toString(want));
            OpenClSelfCheck.checks++;
        }
    }

    private static void sequence(OpenClBackend gpu) {
        int C = 64, nH = 4, nKv = 2, hd = 16, hidden = 96, B = 3, maxT = 8;
        Rng rng = new Rng(23);
        Tensor[] w = {randn(rng, 0.2, C), weights(rng, DType.F16, nH * hd, C), weights(rng, DType.F16, nKv * hd, C), weights(rng, DType.BF16, nKv * hd, C),
                weights(rng, DType.F16, C, nH * hd), randn(rng, 0.2, C), weights(rng, DType.F16, hidden, C), masks(rng, 4, hidden, C),
                weights(rng, DType.F16, C, hidden), randn(rng, 1, 29, C).to(DType.BF16)};
        float[][] e = steps(REF, w, C, nH, nKv, hd, hidden, B, maxT), a = steps(gpu, w, C, nH, nKv, hd, hidden, B, maxT);
        for (int s = 0; s < e.length; s++) close(e[s], a[s], 1e-4, 1e-3, "decode sequence: residual stream after step " + s);
    }

    private static float[][] steps(Backend be, Tensor[] host, int C, int nH, int nKv, int hd, int hidden, int B, int maxT) {
        Tensor[] w = new Tensor[host.length];
        for (int i = 0; i < w.length; i++) w[i] = be.adopt(host[i]);
        Tensor x = be.zeros(B, C), n = be.zeros(B, C), q = be.zeros(B, nH * hd), k = be.zeros(B, nKv * hd), v = be.zeros(B, nKv * hd),
                att = be.zeros(B, nH * hd), kc = be.zeros(B, maxT, nKv * hd), vc = be.zeros(B, maxT, nKv * hd), y = be.zeros(B, hidden);
        float[][] out = new float[6][B * C];
        for (int step = 0; step < 6; step++) {
            int[] ids = new int[B], pos = new int[B];
            for (int b = 0; b < B; b++) { ids[b] = (step * 11 + b * 5 + 1) % 29; pos[b] = step + b; }
            be.embedding(x, w[9], ids);
            be.rmsnorm(n, x, w[0], 1e-5f);
            be.linear(q, n, w[1], false);
            be.linear(k, n, w[2], false);
            be.linear(v, n, w[3], false);
            be.rope(q, nH, hd, pos, jmglu.engine.Rope.interleaved(10000f));
            be.rope(k, nKv, hd, pos, jmglu.engine.Rope.interleaved(10000f));
            be.attentionStep(att, q, k, v, kc, vc, pos, nH, nKv, hd);
            be.linear(x, att, w[4], true);
            be.rmsnorm(n, x, w[5], 1e-5f);
            be.flashMglu(y, n, w[6], w[7], Act.SILU);
            be.linear(x, y, w[8], true);
            be.read(x, out[step]);
        }
        for (Tensor t : w) be.release(t);
        return out;
    }

    /** x rounded to fp16 where the backend may feed it to the tensor cores as one fp16 part (OpenClSelfCheck.roundsX), else null. */
    static Tensor rounded(OpenClBackend gpu, DType dt, Tensor x) {
        int B = x.size() / x.dim(x.rank() - 1);
        return OpenClSelfCheck.roundsX(gpu.settings(), dt, B) ? x.to(DType.F16).to(DType.F32) : null;
    }

    /** e's values where the rounded input r exists, else null. */
    static float[] arr(Tensor r, Tensor e) { return r == null ? null : e.toArray(); }

    static Tensor randn(Rng rng, double std, int... shape) { return Tensor.randn(rng, std, shape); }

    /** (d, h) with std 1/√h, stored as dt. */
    static Tensor weights(Rng rng, DType dt, int d, int h) { return Tensor.randn(rng, 1 / Math.sqrt(h), d, h).to(dt); }

    static Tensor masks(Rng rng, int nm, int d, int h) {
        return MaskPacker.pack(OpenClSelfCheck.gauss(rng, nm * d * h, 1), nm, d, h).tensor();
    }
}
