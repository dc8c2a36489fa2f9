package jmglu.simd;

import jmglu.engine.*;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * Every vectorised op of SimdKernels against ReferenceKernels on random inputs of awkward sizes;
 * GEMV also with W off-heap (confined arena) and in a read-only mapped file.
 * Tolerances (abs + rel·|ref|): GEMMs and GEMV 1e-4·K + 1e-4 (float sums in another order);
 * element-wise 1e-6 + 1e-6 (same formula); activations 1e-5 + 1e-5 (the polynomial exp/tanh of
 * VecAct vs float64); softmax/norms/attention 1e-5 + 1e-4.
 */
class SimdKernelsTest {
    final SimdKernels s = new SimdKernels(SimdSettings.defaults());
    final ReferenceKernels r = new ReferenceKernels();

    @Test void gemmsAllLayouts() {
        long seed = 1;
        int[][] shapes = {{1, 1, 1}, {3, 7, 17}, {17, 33, 31}, {67, 129, 7}, {5, 300, 100}, {129, 31, 67}, {64, 64, 64}, {200, 70, 150}};
        for (int[] sh : shapes) {
            int M = sh[0], K = sh[1], N = sh[2];
            Rng rng = new Rng(seed++);
            float[] a = Check.random(rng, M * K + 3), b = Check.random(rng, K * N + 5), c0 = Check.random(rng, M * N + 2);
            for (boolean acc : new boolean[] {false, true}) {
                float[] ce = c0.clone(), ca = c0.clone();
                r.matmul(ce, 2, a, 3, b, 5, M, K, N, acc); s.matmul(ca, 2, a, 3, b, 5, M, K, N, acc);
                Check.close(ce, ca, 1e-4 * K, 1e-4, "matmul " + M + "x" + K + "x" + N + " acc=" + acc);
                ce = c0.clone(); ca = c0.clone();
                r.matmulTransB(ce, 2, a, 3, b, 5, M, K, N, acc); s.matmulTransB(ca, 2, a, 3, b, 5, M, K, N, acc);
                Check.close(ce, ca, 1e-4 * K, 1e-4, "matmulTransB " + M + "x" + K + "x" + N + " acc=" + acc);
                ce = c0.clone(); ca = c0.clone();
                r.matmulTransA(ce, 2, a, 3, b, 5, M, K, N, acc); s.matmulTransA(ca, 2, a, 3, b, 5, M, K, N, acc);
                Check.close(ce, ca, 1e-4 * K, 1e-4, "matmulTransA " + M + "x" + K + "x" + N + " acc=" + acc);
            }
        }
    }

    /** Every GEMM gives the same bits on 1, 2 and 4 threads (each C element is one FMA chain whatever the split). */
    @Test void gemmThreadsAgree() {
        int M = 130, K = 257, N = 301;
        float[] a = Check.random(3, M * K), b = Check.random(4, K * N);
        int[] threads = {1, 2, 4};
        float[][][] c = new float[3][3][M * N];
        for (int t = 0; t < 3; t++) {
            SimdKernels k = new SimdKernels(SimdSettings.defaults().withThreads(threads[t]));
            k.matmul(c[t][0], 0, a, 0, b, 0, M, K, N, false);
            k.matmulTransA(c[t][1], 0, a, 0, b, 0, M, K, N, false);
            k.matmulTransB(c[t][2], 0, a, 0, Check.random(5, N * K), 0, M, K, N, false);
        }
        for (int t = 1; t < 3; t++)
            for (int op = 0; op < 3; op++)
                Check.close(c[0][op], c[t][op], 0, 0, "gemm " + op + " threads=" + threads[t] + " vs 1 (same sums, same order)");
    }

    @Test void gemvEveryDtypeAndStorage() {
        long seed = 10;
        try (Stores st = new Stores()) {
            for (DType dt : DType.floats())
                for (int B : new int[] {1, 3, 5, 16})
                    for (int h : new int[] {1, 17, 129, 600, 256}) { // 256: the BF16 B=1 in-register path
                        int d = 31;
                        Rng rng = new Rng(seed++);
                        float[] x = Check.random(rng, B * h);
                        WeightMatrix w = WeightMatrix.of(dt, Check.random(rng, d * h), d, h);
                        float[] ye = new float[B * d];
                        r.gemv(ye, x, w, B);
                        for (Stores.Kind kind : Stores.Kind.values()) {
                            float[] ya = new float[B * d];
                            s.gemv(ya, x, st.weights(kind, w), B);
                            Check.close(ye, ya, 1e-4 * Math.sqrt(h) * 4, 1e-4, "gemv " + dt + " " + kind + " B=" + B + " h=" + h);
                        }
                    }
        }
    }

    /** A problem big enough to be split over threads, with W in a mapped file (shared arena) and off-heap (confined: no split). */
    @Test void gemvLargeEveryStorage() {
        int B = 1, h = 512, d = 700;
        Rng rng = new Rng(77);
        float[] x = Check.random(rng, B * h);
        WeightMatrix w = WeightMatrix.of(DType.BF16, Check.random(rng, d * h), d, h);
        float[] ye = new float[B * d];
        r.gemv(ye, x, w, B);
        try (Stores st = new Stores()) {
            for (Stores.Kind kind : Stores.Kind.values()) {
                float[] ya = new float[B * d];
                s.gemv(ya, x, st.weights(kind, w), B);
                Check.close(ye, ya, 1e-4 * Math.sqrt(h) * 4, 1e-4, "gemv large " + kind);
            }
        }
    }

    /** Row widening against the scalar definitions on every 16-bit pattern, from the heap, off-heap and a mapped file. */
    @Test void wideningExhaustive() {
        int n = 65536 + 5;
        short[] all = new short[n];
        for (int i = 0; i < n; i++) all[i] = (short) i;
        try (Stores st = new Stores()) {
            for (DType dt : new DType[] {DType.BF16, DType.F16})
                for (Stores.Kind kind : Stores.Kind.values()) {
                    WeightMatrix w = st.weights(kind, Tensor.ofHalf(dt, all, 1, n).asWeights());
                    float[] a = new float[n + 3];
                    WeightRows.widen(a, 3, w, 0);
                    for (int i = 0; i < n; i++) {
                        float e = dt.decode(all[i]);
                        if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(a[3 + i]) && !(Float.isNaN(e) && Float.isNaN(a[3 + i])))
                            throw new AssertionError(dt + " " + kind + " pattern 0x" + Integer.toHexString(i & 0xFFFF) + ": " + e + " vs " + a[3 + i]);
                    }
                }
        }
    }

    @Test void elementwiseAndReductions() {
        for (int n : Check.AWKWARD) {
            Rng rng = new Rng(n);
            float[] a = Check.random(rng, n + 2), b = Check.random(rng, n + 3), o0 = Check.random(rng, n + 1);
            float[] e = o0.clone(), g = o0.clone();
            r.add(e, 1, a, 2, b, 3, n); s.add(g, 1, a, 2, b, 3, n); Check.close(e, g, 1e-6, 1e-6, "add n=" + n);
            r.mul(e, 1, a, 2, b, 3, n); s.mul(g, 1, a, 2, b, 3, n); Check.close(e, g, 1e-6, 1e-6, "mul n=" + n);
            r.mulAcc(e, 1, a, 2, b, 3, n); s.mulAcc(g, 1, a, 2, b, 3, n); Check.close(e, g, 1e-6, 1e-6, "mulAcc n=" + n);
            r.scale(e, 1, a, 2, 0.7f, n); s.scale(g, 1, a, 2, 0.7f, n); Check.close(e, g, 1e-6, 1e-6, "scale n=" + n);
            r.addScaled(e, 1, a, 2, -1.3f, n); s.addScaled(g, 1, a, 2, -1.3f, n); Check.close(e, g, 1e-6, 1e-6, "addScaled n=" + n);
            for (Act act : Act.values()) {
                r.act(act, e, 1, a, 2, n); s.act(act, g, 1, a, 2, n); Check.close(e, g, 1e-5, 1e-5, "act " + act + " n=" + n);
                r.actBackward(act, e, 1, a, 2, b, 3, n); s.actBackward(act, g, 1, a, 2, b, 3, n);
                Check.close(e, g, 1e-5, 1e-5, "actBackward " + act + " n=" + n);
            }
            Check.close(r.sum(a, 2, n), s.sum(a, 2, n), 1e-6, 1e-6, "sum n=" + n);
            Check.close(r.dot(a, 2, b, 3, n), s.dot(a, 2, b, 3, n), 1e-6, 1e-6, "dot n=" + n);
        }
    }

    @Test void rowsOps() {
        for (int C : Check.AWKWARD) {
            int rows = 5;
            Rng rng = new Rng(C + 50);
            float[] x = Check.random(rng, rows * C + 1), w = Check.random(rng, C + 2), dy = Check.random(rng, rows * C + 3);
            float[] e = new float[rows * C + 4], g = new float[rows * C + 4];
            r.softmax(e, 4, x, 1, rows, C); s.softmax(g, 4, x, 1, rows, C); Check.close(e, g, 1e-6, 1e-4, "softmax C=" + C);
            float[] de = Check.random(rng, rows * C), dg = de.clone();
            r.softmaxBackward(de, 0, e, 4, dy, 3, rows, C); s.softmaxBackward(dg, 0, e, 4, dy, 3, rows, C);
            Check.close(de, dg, 1e-5, 1e-4, "softmaxBackward C=" + C);
            float[] re = new float[rows + 1], rg = new float[rows + 1];
            r.rmsnorm(e, 4, re, 1, x, 1, w, 2, rows, C, 1e-5f); s.rmsnorm(g, 4, rg, 1, x, 1, w, 2, rows, C, 1e-5f);
            Check.close(e, g, 1e-5, 1e-4, "rmsnorm C=" + C); Check.close(re, rg, 1e-6, 1e-5, "rmsnorm rstd C=" + C);
            float[] dxe = Check.random(rng, rows * C), dxg = dxe.clone(), dwe = Check.random(rng, C + 2), dwg = dwe.clone();
            r.rmsnormBackward(dxe, 0, dwe, 2, dy, 3, x, 1, w, 2, re, 1, rows, C);
            s.rmsnormBackward(dxg, 0, dwg, 2, dy, 3, x, 1, w, 2, re, 1, rows, C);
            Check.close(dxe, dxg, 1e-5, 1e-4, "rmsnormBackward dx C=" + C); Check.close(dwe, dwg, 1e-5, 1e-4, "rmsnormBackward dw C=" + C);
        }
    }

    @Test void attentionAllThree() {
        int[][] shapes = {{1, 1, 1, 3}, {2, 7, 3, 17}, {1, 17, 2, 16}, {2, 5, 1, 33}};
        for (int[] sh : shapes) {
            int B = sh[0], T = sh[1], nH = sh[2], hd = sh[3], n = B * T * nH * hd, na = B * nH * T * T;
            Rng rng = new Rng(n);
            float[] q = Check.random(rng, n), k = Check.random(rng, n), v = Check.random(rng, n), dout = Check.random(rng, n);
            float[] oe = new float[n], og = new float[n], ae = new float[na], ag = new float[na];
            r.attention(oe, ae, q, k, v, B, T, nH, hd); s.attention(og, ag, q, k, v, B, T, nH, hd);
            String what = " B=" + B + " T=" + T + " nH=" + nH + " hd=" + hd;
            Check.close(oe, og, 1e-5, 1e-4, "attention out" + what); Check.close(ae, ag, 1e-6, 1e-4, "attention att" + what);
            float[][] ge = {Check.random(rng, n), Check.random(rng, n), Check.random(rng, n)};
            float[][] gg = {ge[0].clone(), ge[1].clone(), ge[2].clone()};
            r.attentionBackward(ge[0], ge[1], ge[2], new float[na], dout, q, k, v, ae, B, T, nH, hd);
            s.attentionBackward(gg[0], gg[1], gg[2], new float[na], dout, q, k, v, ae, B, T, nH, hd);
            for (int i = 0; i < 3; i++) Check.close(ge[i], gg[i], 1e-5, 1e-4, "attentionBackward d" + "qkv".charAt(i) + what);
            int C = nH * hd;
            float[] qs = Check.random(rng, C), se = new float[T], sg = new float[T], ye = new float[C], yg = new float[C];
            r.attentionStep(ye, qs, k, v, T, nH, hd, se); s.attentionStep(yg, qs, k, v, T, nH, hd, sg);
            Check.close(ye, yg, 1e-5, 1e-4, "attentionStep" + what);
        }
    }

    @Test void adamwMatches() {
        for (int n : Check.AWKWARD) {
            Rng rng = new Rng(n + 9);
            float[] p = Check.random(rng, n), g = Check.random(rng, n), m = Check.random(rng, n), v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) rng.nextDouble();
            float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
            r.adamw(p, g, m, v, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3);
            s.adamw(p2, g, m2, v2, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3);
            Check.close(p, p2, 1e-6, 1e-5, "adamw p n=" + n); Check.close(m, m2, 1e-6, 1e-5, "adamw m n=" + n); Check.close(v, v2, 1e-6, 1e-5, "adamw v n=" + n);
        }
    }
}
