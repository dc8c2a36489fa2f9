package jmglu.engine;

import static jmglu.engine.testing.Check.AWKWARD;
import static jmglu.engine.testing.Check.close;
import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * The forward reference kernels against float64 computations written here, on random inputs of
 * awkward sizes, with non-zero offsets (the elements around each output region must stay
 * untouched). Backward kernels: {@link ReferenceBackwardTest}. Tolerances: abs + rel, stated per test.
 */
class ReferenceKernelsTest {
    final Kernels k = new ReferenceKernels();
    final Rng rng = new Rng(2026);

    static final int OO = 3, AO = 5, BO = 7; // offsets of the output and the two inputs

    /** A random array with core placed at off and random values around it. */
    float[] at(int off, float[] core) {
        float[] a = Check.random(rng, off + core.length + 4);
        System.arraycopy(core, 0, a, off, core.length);
        return a;
    }

    float[] rand(int n) { return Check.random(rng, n); }

    static float[] slice(float[] a, int off, int n) { return java.util.Arrays.copyOfRange(a, off, off + n); }

    /** Everything outside [off, off+n) equals the copy taken before the call. */
    static void untouched(float[] before, float[] after, int off, int n, String what) {
        for (int i = 0; i < before.length; i++)
            if ((i < off || i >= off + n) && Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(after[i]))
                fail(what + ": wrote element " + i + " outside its output [" + off + ", " + (off + n) + ")");
    }

    // ---------------------------------------------------------------- matmul family
    @Test void matmulsAgainstFloat64() {
        for (int M : AWKWARD) for (int K : AWKWARD) for (int N : AWKWARD) for (int variant = 0; variant < 3; variant++)
            for (boolean acc : new boolean[] {false, true}) {
                float[] a = rand(M * K), b = rand(K * N), c0 = rand(M * N);
                // variant 0: C = A B, A (M,K), B (K,N); 1: C = A Bᵀ, B stored (N,K); 2: C = Aᵀ B, A stored (K,M)
                double[] want = new double[M * N];
                for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) {
                    double s = acc ? c0[i * N + j] : 0;
                    for (int kk = 0; kk < K; kk++) {
                        double av = variant == 2 ? a[kk * M + i] : a[i * K + kk];
                        double bv = variant == 1 ? b[j * K + kk] : b[kk * N + j];
                        s += av * bv;
                    }
                    want[i * N + j] = s;
                }
                float[] c = at(OO, c0), before = c.clone(), A = at(AO, a), B = at(BO, b);
                switch (variant) {
                    case 0 -> k.matmul(c, OO, A, AO, B, BO, M, K, N, acc);
                    case 1 -> k.matmulTransB(c, OO, A, AO, B, BO, M, K, N, acc);
                    default -> k.matmulTransA(c, OO, A, AO, B, BO, M, K, N, acc);
                }
                String what = "matmul variant " + variant + " acc=" + acc + " (" + M + "," + K + "," + N + ")";
                close(want, slice(c, OO, M * N), 2e-6 * (K + 1), 1e-5, what);   // float sums of K terms
                untouched(before, c, OO, M * N, what);
            }
    }

    @Test void gemvOnEveryStorageType() {
        for (DType t : DType.floats()) for (int B : new int[] {1, 3, 5}) for (int d : AWKWARD) for (int h : AWKWARD) {
            WeightMatrix w = WeightMatrix.of(t, rand(d * h), d, h);
            float[] wf = w.toFloat(), x = rand(B * h), y = new float[B * d];
            k.gemv(y, x, w, B);
            double[] want = new double[B * d];
            for (int b = 0; b < B; b++) for (int r = 0; r < d; r++)
                for (int c = 0; c < h; c++) want[b * d + r] += (double) x[b * h + c] * wf[r * h + c];
            close(want, y, 2e-6 * (h + 1), 1e-5, "gemv " + t + " B=" + B + " (" + d + "," + h + ")");
        }
    }

    // ---------------------------------------------------------------- elementwise and reductions
    static double silu(double x) { return x / (1 + Math.exp(-x)); }
    static double gelu(double x) { return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); }
    static double act64(Act g, double x) { return g == Act.SILU ? silu(x) : g == Act.GELU ? gelu(x) : Math.max(x, 0); }

    @Test void elementwiseAndReductions() {
        for (int n : AWKWARD) {
            float[] a = rand(n), b = rand(n), o0 = rand(n);
            float s = (float) rng.nextGaussian();
            for (int op = 0; op < 5; op++) {
                double[] want = new double[n];
                for (int i = 0; i < n; i++) want[i] = switch (op) {
                    case 0 -> (double) a[i] + b[i];
                    case 1 -> (double) a[i] * b[i];
                    case 2 -> o0[i] + (double) a[i] * b[i];
                    case 3 -> (double) s * a[i];
                    default -> o0[i] + (double) s * a[i];
                };
                float[] out = at(OO, o0), before = out.clone(), A = at(AO, a), Bv = at(BO, b);
                switch (op) {
                    case 0 -> k.add(out, OO, A, AO, Bv, BO, n);
                    case 1 -> k.mul(out, OO, A, AO, Bv, BO, n);
                    case 2 -> k.mulAcc(out, OO, A, AO, Bv, BO, n);
                    case 3 -> k.scale(out, OO, A, AO, s, n);
                    default -> k.addScaled(out, OO, A, AO, s, n);
                }
                // one rounding (add, mul, scale) or two (the accumulating ones, where the sum may cancel:
                // the abs term covers 2 ulps of inputs of size ≤ ~8)
                close(want, slice(out, OO, n), 2e-6, 2.5e-7, "elementwise op " + op + " n=" + n);
                untouched(before, out, OO, n, "elementwise op " + op);
            }
            for (Act g : Act.values()) {
                float[] out = at(OO, o0), before = out.clone();
                k.act(g, out, OO, at(AO, a), AO, n);
                double[] want = new double[n];
                for (int i = 0; i < n; i++) want[i] = act64(g, a[i]);
                close(want, slice(out, OO, n), 1e-7, 1e-6, "act " + g);
                untouched(before, out, OO, n, "act " + g);
            }
            double sum = 0, dot = 0, sq = 0;
            for (int i = 0; i < n; i++) { sum += a[i]; dot += (double) a[i] * b[i]; sq += (double) a[i] * a[i]; }
            float[] A = at(AO, a), Bv = at(BO, b);
            assertEquals(sum, k.sum(A, AO, n), 1e-12 * n, "sum");
            assertEquals(dot, k.dot(A, AO, Bv, BO, n), 1e-12 * n, "dot");
            assertEquals(sq, k.sumSquares(A, AO, n), 1e-12 * n, "sumSquares");
        }
        float[] inPlace = {1f, -2f, 3f};
        k.act(Act.RELU, inPlace, 0, inPlace, 0, 3);
        assertArrayEquals(new float[] {1f, 0f, 3f}, inPlace, "act in place");
    }

    // ---------------------------------------------------------------- rows
    static double[] softmax64(float[] x, int off, int cols, double scale) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (int j = 0; j < cols; j++) max = Math.max(max, x[off + j] * scale);
        double[] p = new double[cols];
        for (int j = 0; j < cols; j++) z += p[j] = Math.exp(x[off + j] * scale - max);
        for (int j = 0; j < cols; j++) p[j] /= z;
        return p;
    }

    @Test void softmaxRows() {
        for (int rows : new int[] {1, 3, 7}) for (int cols : AWKWARD) for (double spread : new double[] {1, 40}) {
            float[] x = rand(rows * cols);
            for (int i = 0; i < x.length; i++) x[i] *= (float) spread;     // spread 40: exp overflows without the max
            double[] want = new double[rows * cols];
            for (int r = 0; r < rows; r++) System.arraycopy(softmax64(x, r * cols, cols, 1), 0, want, r * cols, cols);
            float[] out = at(OO, new float[rows * cols]), before = out.clone();
            k.softmax(out, OO, at(AO, x), AO, rows, cols);
            close(want, slice(out, OO, rows * cols), 1e-7, 1e-5, "softmax (" + rows + "," + cols + ") spread " + spread);
            untouched(before, out, OO, rows * cols, "softmax");
        }
    }

    @Test void rmsnormRows() {
        for (int rows : new int[] {1, 3, 7}) for (int C : AWKWARD) {
            float[] x = rand(rows * C), w = rand(C);
            float eps = 1e-5f;
            double[] want = new double[rows * C], wantRstd = new double[rows];
            for (int r = 0; r < rows; r++) {
                double ms = 0;
                for (int j = 0; j < C; j++) ms += (double) x[r * C + j] * x[r * C + j] / C;
                wantRstd[r] = 1 / Math.sqrt(ms + eps);
                for (int j = 0; j < C; j++) want[r * C + j] = x[r * C + j] * wantRstd[r] * w[j];
            }
            float[] out = at(OO, new float[rows * C]), rstd = at(BO, new float[rows]), before = out.clone();
            k.rmsnorm(out, OO, rstd, BO, at(AO, x), AO, at(1, w), 1, rows, C, eps);
            close(want, slice(out, OO, rows * C), 1e-6, 1e-5, "rmsnorm (" + rows + "," + C + ")");
            close(wantRstd, slice(rstd, BO, rows), 0, 1e-6, "rmsnorm rstd");
            untouched(before, out, OO, rows * C, "rmsnorm");
        }
    }

    // ---------------------------------------------------------------- rope, embedding, cross-entropy
    /** The ropes the kernels are checked with: jmglu's interleaved pairs, and HF's halves with each scaling. */
    static final Rope[] ROPES = {Rope.interleaved(10000f), Rope.halves(10000f, new Rope.Scaling.None()),
            Rope.halves(500000f, new Rope.Scaling.Linear(4f)), Rope.halves(500000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 64)),
            new Rope(10000f, false, new Rope.Scaling.Llama3(4f, 1f, 4f, 32))};

    /**
     * Rotary embedding in float64, rotating by sign·θ, θ = (pos0+t)·invFreq[j] (the float32 frequencies of
     * {@link Rope#invFreq}); pairs (2j, 2j+1) interleaved, (j, j + hd/2) halves — written out separately.
     */
    static double[] rope64(double[] x, int B, int T, int nH, int hd, int pos0, Rope rope, int sign) {
        double[] y = new double[B * T * nH * hd];
        float[] inv = rope.invFreq(hd);
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) for (int hh = 0; hh < nH; hh++) for (int j = 0; j < hd / 2; j++) {
            double ang = sign * (pos0 + t) * (double) inv[j], c = Math.cos(ang), s = Math.sin(ang);
            int head = ((b * T + t) * nH + hh) * hd;
            if (rope.halves()) {                       // HF: x·cos + rotate_half(x)·sin, rotate_half(x) = (−x₂, x₁)
                y[head + j] = x[head + j] * c - x[head + j + hd / 2] * s;
                y[head + j + hd / 2] = x[head + j + hd / 2] * c + x[head + j] * s;
            } else {
                int i = head + 2 * j;
                y[i] = x[i] * c - x[i + 1] * s;
                y[i + 1] = x[i] * s + x[i + 1] * c;
            }
        }
        return y;
    }

    @Test void ropeAgainstFloat64AndInPlace() {
        for (Rope rope : ROPES)
        for (int B : new int[] {1, 2}) for (int T : new int[] {1, 3, 17}) for (int nH : new int[] {1, 3}) for (int hd : new int[] {2, 6, 34})
            for (int pos0 : new int[] {0, 5, 1000}) {
                int n = B * T * nH * hd;
                float[] x = rand(n);
                double[] want = rope64(Check.toDouble(x), B, T, nH, hd, pos0, rope, 1);
                float[] out = at(OO, new float[n]), before = out.clone();
                k.rope(out, OO, at(AO, x), AO, B, T, nH, hd, pos0, rope);
                String what = "rope " + rope.label() + " B" + B + " T" + T + " nH" + nH + " hd" + hd + " pos0 " + pos0;
                // the angle is p·invFreq up to p ≈ 1000: float cos/sin of it are good to ~1e-6 relative
                close(want, slice(out, OO, n), 2e-6, 1e-5, what);
                untouched(before, out, OO, n, what);
                float[] inPlace = at(AO, x);
                k.rope(inPlace, AO, inPlace, AO, B, T, nH, hd, pos0, rope);
                assertArrayEquals(slice(out, OO, n), slice(inPlace, AO, n), what + " in place");
            }
    }

    @Test void embeddingGatherAndScatterAddWithRepeats() {
        int V = 11, C = 17, n = 9;
        int[] ids = {3, 0, 3, 10, 7, 3, 0, 5, 10};          // repeated ids must accumulate in the backward
        float[] table = rand(V * C), dy = rand(n * C), dt0 = rand(V * C);
        float[] out = at(OO, new float[n * C]), before = out.clone();
        k.embedding(out, OO, at(AO, table), AO, ids, n, C);
        for (int i = 0; i < n; i++) assertArrayEquals(slice(table, ids[i] * C, C), slice(out, OO + i * C, C), "embedding row " + i);
        untouched(before, out, OO, n * C, "embedding");
        double[] want = Check.toDouble(dt0);
        for (int i = 0; i < n; i++) for (int j = 0; j < C; j++) want[ids[i] * C + j] += dy[i * C + j];
        float[] dt = at(OO, dt0), beforeDt = dt.clone();
        k.embeddingBackward(dt, OO, at(BO, dy), BO, ids, n, C);
        close(want, slice(dt, OO, V * C), 1e-6, 1e-6, "embeddingBackward");
        untouched(beforeDt, dt, OO, V * C, "embeddingBackward");
    }

    @Test void crossEntropyLossAndProbabilities() {
        for (int rows : new int[] {1, 3, 7}) for (int V : AWKWARD) {
            float[] logits = rand(rows * V);
            for (int i = 0; i < logits.length; i++) logits[i] *= 5;
            int[] tg = new int[rows];
            for (int r = 0; r < rows; r++) tg[r] = rng.nextInt(V);
            double loss = 0;
            double[] p = new double[rows * V];
            for (int r = 0; r < rows; r++) {
                double[] pr = softmax64(logits, r * V, V, 1);
                System.arraycopy(pr, 0, p, r * V, V);
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int j = 0; j < V; j++) max = Math.max(max, logits[r * V + j]);
                for (int j = 0; j < V; j++) z += Math.exp(logits[r * V + j] - max);
                loss += -(logits[r * V + tg[r]] - max - Math.log(z)) / rows;
            }
            float[] probs = new float[rows * V];
            double got = k.crossEntropy(probs, at(AO, logits), AO, tg, rows, V);
            assertEquals(loss, got, 1e-6 + 1e-6 * Math.abs(loss), "cross-entropy loss (" + rows + "," + V + ")");
            close(p, probs, 1e-7, 1e-5, "cross-entropy probs");
        }
    }

    // ---------------------------------------------------------------- attention
    /** Causal attention in float64; returns out (B,T,nH,hd) and fills att (B,nH,T,T). */
    static double[] attention64(double[] att, float[] q, float[] k, float[] v, int B, int T, int nH, int hd) {
        int C = nH * hd;
        double[] out = new double[B * T * C];
        for (int b = 0; b < B; b++) for (int hh = 0; hh < nH; hh++) for (int t = 0; t < T; t++) {
            double[] s = new double[t + 1];
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int u = 0; u <= t; u++) {
                for (int e = 0; e < hd; e++) s[u] += (double) q[(b * T + t) * C + hh * hd + e] * k[(b * T + u) * C + hh * hd + e];
                s[u] /= Math.sqrt(hd);
                max = Math.max(max, s[u]);
            }
            for (int u = 0; u <= t; u++) z += s[u] = Math.exp(s[u] - max);
            for (int u = 0; u <= t; u++) {
                double pu = s[u] / z;
                if (att != null) att[((b * nH + hh) * T + t) * T + u] = pu;
                for (int e = 0; e < hd; e++) out[(b * T + t) * C + hh * hd + e] += pu * v[(b * T + u) * C + hh * hd + e];
            }
        }
        return out;
    }

    @Test void causalAttentionAgainstFloat64() {
        for (int B : new int[] {1, 2}) for (int T : new int[] {1, 3, 7, 17}) for (int nH : new int[] {1, 3}) for (int hd : new int[] {1, 7, 16}) {
            int n = B * T * nH * hd;
            float[] q = rand(n), kk = rand(n), v = rand(n), out = new float[n], att = new float[B * nH * T * T];
            java.util.Arrays.fill(att, Float.NaN);     // every entry, the zeros above the diagonal included, must be written
            k.attention(out, att, q, kk, v, B, T, nH, hd);
            double[] wantAtt = new double[att.length];
            double[] want = attention64(wantAtt, q, kk, v, B, T, nH, hd);
            String what = "attention B" + B + " T" + T + " nH" + nH + " hd" + hd;
            close(wantAtt, att, 1e-7, 1e-5, what + " probabilities");
            close(want, out, 1e-6, 1e-5, what);
        }
    }

    @Test void attentionStepIsTheLastRowOfCausalAttention() {
        for (int nH : new int[] {1, 3}) for (int hd : new int[] {1, 7, 16}) {
            int T = 17, C = nH * hd, maxT = T + 3;
            float[] q = rand(T * C), kk = rand(T * C), v = rand(T * C);
            float[] full = new float[T * C];
            k.attention(full, new float[nH * T * T], q, kk, v, 1, T, nH, hd);
            float[] kCache = rand(maxT * C), vCache = rand(maxT * C);   // rows ≥ len hold garbage that must not be read
            System.arraycopy(kk, 0, kCache, 0, T * C);
            System.arraycopy(v, 0, vCache, 0, T * C);
            for (int len = 1; len <= T; len++) {
                float[] out = new float[C];
                k.attentionStep(out, slice(q, (len - 1) * C, C), kCache, vCache, len, nH, hd, new float[maxT]);
                close(slice(full, (len - 1) * C, C), out, 1e-6, 1e-5, "attentionStep len " + len + " nH" + nH + " hd" + hd);
            }
        }
    }

    // ---------------------------------------------------------------- optimizer
    @Test void adamwTwoStepsByHand() {
        int n = 33;
        float lr = 0.01f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f;
        float[] p = rand(n), m = new float[n], v = new float[n];
        double[] P = Check.toDouble(p), Mm = new double[n], Vv = new double[n];
        for (int step = 1; step <= 2; step++) {
            float[] g = rand(n);
            k.adamw(p, g, m, v, n, lr, b1, b2, eps, wd, step);
            for (int i = 0; i < n; i++) {
                Mm[i] = b1 * Mm[i] + (1 - b1) * (double) g[i];
                Vv[i] = b2 * Vv[i] + (1 - b2) * (double) g[i] * g[i];
                double mhat = Mm[i] / (1 - Math.pow(b1, step)), vhat = Vv[i] / (1 - Math.pow(b2, step));
                P[i] = P[i] - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * P[i]);
            }
            close(Mm, m, 1e-7, 1e-5, "adamw m, step " + step);
            close(Vv, v, 1e-7, 1e-5, "adamw v, step " + step);
            close(P, p, 1e-6, 1e-6, "adamw p, step " + step);
        }
        // step 1 by hand: m̂ = g, v̂ = g², so each parameter moves by lr·(sign(g) + wd·p) (eps aside)
        float[] p1 = {1f}, g1 = {-3f};
        k.adamw(p1, g1, new float[1], new float[1], 1, 0.1f, 0.9f, 0.999f, 0f, 0.5f, 1);
        assertEquals(1f - 0.1f * (-1f + 0.5f), p1[0], 1e-6, "adamw first step: p − lr·(sign(g) + wd·p)");
    }
}
