package jmglu.engine;

/**
 * Plain loops, one obvious line per formula: the ground truth every backend is tested against.
 * Single-threaded and slow on purpose; sums that feed a division or a log run in float64.
 * The MGLU family lives in {@link ReferenceMglu}.
 */
public class ReferenceKernels implements Kernels {

    @Override public String name() { return "reference"; }

    // ---------------------------------------------------------------- matmul
    @Override
    public void matmul(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        KernelArgs.dims("matmul", M, K, N);
        KernelArgs.region("matmul", "c (M,N)", c, co, (long) M * N);
        KernelArgs.region("matmul", "a (M,K)", a, ao, (long) M * K);
        KernelArgs.region("matmul", "b (K,N)", b, bo, (long) K * N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float s = 0f;
                for (int k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
                c[co + i * N + j] = acc ? c[co + i * N + j] + s : s;
            }
    }

    @Override
    public void matmulTransB(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        KernelArgs.dims("matmulTransB", M, K, N);
        KernelArgs.region("matmulTransB", "c (M,N)", c, co, (long) M * N);
        KernelArgs.region("matmulTransB", "a (M,K)", a, ao, (long) M * K);
        KernelArgs.region("matmulTransB", "b (N,K)", b, bo, (long) N * K);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float s = 0f;
                for (int k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + j * K + k];
                c[co + i * N + j] = acc ? c[co + i * N + j] + s : s;
            }
    }

    @Override
    public void matmulTransA(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
        KernelArgs.dims("matmulTransA", M, K, N);
        KernelArgs.region("matmulTransA", "c (M,N)", c, co, (long) M * N);
        KernelArgs.region("matmulTransA", "a (K,M)", a, ao, (long) K * M);
        KernelArgs.region("matmulTransA", "b (K,N)", b, bo, (long) K * N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float s = 0f;
                for (int k = 0; k < K; k++) s += a[ao + k * M + i] * b[bo + k * N + j];
                c[co + i * N + j] = acc ? c[co + i * N + j] + s : s;
            }
    }

    @Override
    public void gemv(float[] y, float[] x, WeightMatrix w, int B) {
        if (w == null) throw new IllegalArgumentException("gemv: W is null");
        KernelArgs.dims("gemv", B);
        KernelArgs.region("gemv", "y (B,d)", y, 0, (long) B * w.rows());
        KernelArgs.region("gemv", "x (B,h)", x, 0, (long) B * w.cols());
        int d = w.rows(), h = w.cols();
        for (int b = 0; b < B; b++)
            for (int r = 0; r < d; r++) {
                float s = 0f;
                for (int c = 0; c < h; c++) s += x[b * h + c] * w.get(r, c);
                y[b * d + r] = s;
            }
    }

    // ---------------------------------------------------------------- elementwise
    @Override public void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        elementwise("add", out, oo, a, ao, b, bo, n);
        for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] + b[bo + i];
    }

    @Override public void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        elementwise("mul", out, oo, a, ao, b, bo, n);
        for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] * b[bo + i];
    }

    @Override public void mulAcc(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        elementwise("mulAcc", out, oo, a, ao, b, bo, n);
        for (int i = 0; i < n; i++) out[oo + i] += a[ao + i] * b[bo + i];
    }

    @Override public void scale(float[] out, int oo, float[] a, int ao, float s, int n) {
        elementwise("scale", out, oo, a, ao, a, ao, n);
        for (int i = 0; i < n; i++) out[oo + i] = s * a[ao + i];
    }

    @Override public void addScaled(float[] out, int oo, float[] a, int ao, float s, int n) {
        elementwise("addScaled", out, oo, a, ao, a, ao, n);
        for (int i = 0; i < n; i++) out[oo + i] += s * a[ao + i];
    }

    @Override public void act(Act g, float[] out, int oo, float[] x, int xo, int n) {
        elementwise("act", out, oo, x, xo, x, xo, n);
        for (int i = 0; i < n; i++) out[oo + i] = g.apply(x[xo + i]);
    }

    @Override public void actBackward(Act g, float[] dx, int dxo, float[] x, int xo, float[] dy, int dyo, int n) {
        elementwise("actBackward", dx, dxo, x, xo, dy, dyo, n);
        for (int i = 0; i < n; i++) dx[dxo + i] += g.derivative(x[xo + i]) * dy[dyo + i];
    }

    // ---------------------------------------------------------------- reductions
    @Override public double sum(float[] x, int xo, int n) {
        elementwise("sum", x, xo, x, xo, x, xo, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += x[xo + i];
        return s;
    }

    @Override public double dot(float[] a, int ao, float[] b, int bo, int n) {
        elementwise("dot", a, ao, a, ao, b, bo, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[ao + i] * b[bo + i];
        return s;
    }

    // ---------------------------------------------------------------- rows
    @Override public void softmax(float[] out, int oo, float[] x, int xo, int rows, int cols) {
        KernelArgs.dims("softmax", rows, cols);
        KernelArgs.region("softmax", "out (rows,cols)", out, oo, (long) rows * cols);
        KernelArgs.region("softmax", "x (rows,cols)", x, xo, (long) rows * cols);
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, or = oo + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[xr + j]);
            double z = 0;
            for (int j = 0; j < cols; j++) z += Math.exp(x[xr + j] - max);
            for (int j = 0; j < cols; j++) out[or + j] = (float) (Math.exp(x[xr + j] - max) / z);
        }
    }

    @Override public void softmaxBackward(float[] dx, int dxo, float[] y, int yo, float[] dy, int dyo, int rows, int cols) {
        KernelArgs.dims("softmaxBackward", rows, cols);
        KernelArgs.region("softmaxBackward", "dx (rows,cols)", dx, dxo, (long) rows * cols);
        KernelArgs.region("softmaxBackward", "y (rows,cols)", y, yo, (long) rows * cols);
        KernelArgs.region("softmaxBackward", "dy (rows,cols)", dy, dyo, (long) rows * cols);
        for (int r = 0; r < rows; r++) {
            double dotYdy = 0;
            for (int j = 0; j < cols; j++) dotYdy += (double) y[yo + r * cols + j] * dy[dyo + r * cols + j];
            for (int j = 0; j < cols; j++)
                dx[dxo + r * cols + j] += (float) (y[yo + r * cols + j] * (dy[dyo + r * cols + j] - dotYdy));
        }
    }

    @Override public void rmsnorm(float[] out, int oo, float[] rstd, int ro, float[] x, int xo, float[] w, int wo, int rows, int C, float eps) {
        KernelArgs.dims("rmsnorm", rows, C);
        KernelArgs.region("rmsnorm", "out (rows,C)", out, oo, (long) rows * C);
        KernelArgs.region("rmsnorm", "rstd (rows)", rstd, ro, rows);
        KernelArgs.region("rmsnorm", "x (rows,C)", x, xo, (long) rows * C);
        KernelArgs.region("rmsnorm", "w (C)", w, wo, C);
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int j = 0; j < C; j++) ss += (double) x[xo + r * C + j] * x[xo + r * C + j];
            float rs = (float) (1.0 / Math.sqrt(ss / C + eps));
            rstd[ro + r] = rs;
            for (int j = 0; j < C; j++) out[oo + r * C + j] = x[xo + r * C + j] * rs * w[wo + j];
        }
    }

    @Override public void rmsnormBackward(float[] dx, int dxo, float[] dw, int dwo, float[] dy, int dyo, float[] x, int xo,
                                          float[] w, int wo, float[] rstd, int ro, int rows, int C) {
        KernelArgs.dims("rmsnormBackward", rows, C);
        KernelArgs.region("rmsnormBackward", "dx (rows,C)", dx, dxo, (long) rows * C);
        KernelArgs.region("rmsnormBackward", "dw (C)", dw, dwo, C);
        KernelArgs.region("rmsnormBackward", "dy (rows,C)", dy, dyo, (long) rows * C);
        KernelArgs.region("rmsnormBackward", "x (rows,C)", x, xo, (long) rows * C);
        KernelArgs.region("rmsnormBackward", "w (C)", w, wo, C);
        KernelArgs.region("rmsnormBackward", "rstd (rows)", rstd, ro, rows);
        for (int r = 0; r < rows; r++) {
            float rs = rstd[ro + r];
            double m = 0; // mean(dy ⊙ w ⊙ x̂)
            for (int j = 0; j < C; j++) m += (double) dy[dyo + r * C + j] * w[wo + j] * x[xo + r * C + j] * rs;
            m /= C;
            for (int j = 0; j < C; j++) {
                float xhat = x[xo + r * C + j] * rs, g = dy[dyo + r * C + j];
                dw[dwo + j] += g * xhat;
                dx[dxo + r * C + j] += (float) (rs * (g * w[wo + j] - xhat * m));
            }
        }
    }

    // ---------------------------------------------------------------- positions, tokens, loss
    @Override public void rope(float[] out, int oo, float[] x, int xo, int B, int T, int nH, int hd, int pos0, Rope rope) {
        ropeArgs("rope", out, oo, x, xo, B, T, nH, hd);
        rotate(out, oo, x, xo, B, T, nH, hd, pos0, rope, 1, false);
    }

    @Override public void ropeBackward(float[] dx, int dxo, float[] dy, int dyo, int B, int T, int nH, int hd, int pos0, Rope rope) {
        ropeArgs("ropeBackward", dx, dxo, dy, dyo, B, T, nH, hd);
        rotate(dx, dxo, dy, dyo, B, T, nH, hd, pos0, rope, -1, true);
    }

    /**
     * Rotates every pair (a, b) of every head by sign·θ, θ = (pos0 + t) · invFreq[j]; (a, b) = (2j, 2j+1)
     * interleaved, (j, j + hd/2) halves. acc adds into out instead of overwriting.
     */
    private static void rotate(float[] out, int oo, float[] x, int xo, int B, int T, int nH, int hd, int pos0, Rope rope, int sign, boolean acc) {
        if (rope == null) throw new IllegalArgumentException("rope: rope is null");
        float[] inv = rope.invFreq(hd);
        int half = hd / 2;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < half; j++) {
                    double ang = Rope.angle(pos0 + t, inv[j]);
                    float cos = (float) Math.cos(ang), sin = (float) (sign * Math.sin(ang));
                    for (int hh = 0; hh < nH; hh++) {
                        int head = ((b * T + t) * nH + hh) * hd;
                        int ia = head + (rope.halves() ? j : 2 * j), ib = rope.halves() ? ia + half : ia + 1;
                        float x0 = x[xo + ia], x1 = x[xo + ib];
                        float y0 = x0 * cos - x1 * sin, y1 = x0 * sin + x1 * cos;
                        if (acc) { out[oo + ia] += y0; out[oo + ib] += y1; }
                        else { out[oo + ia] = y0; out[oo + ib] = y1; }
                    }
                }
    }

    @Override public void embedding(float[] out, int oo, float[] table, int to, int[] ids, int n, int C) {
        KernelArgs.dims("embedding", n, C);
        KernelArgs.region("embedding", "out (n,C)", out, oo, (long) n * C);
        KernelArgs.region("embedding", "table (rows,C)", table, to, C);
        KernelArgs.ids("embedding", "ids", ids, n, (table.length - to) / C);
        for (int i = 0; i < n; i++) System.arraycopy(table, to + ids[i] * C, out, oo + i * C, C);
    }

    @Override public void embeddingBackward(float[] dtable, int dto, float[] dy, int dyo, int[] ids, int n, int C) {
        KernelArgs.dims("embeddingBackward", n, C);
        KernelArgs.region("embeddingBackward", "dy (n,C)", dy, dyo, (long) n * C);
        KernelArgs.region("embeddingBackward", "dtable (rows,C)", dtable, dto, C);
        KernelArgs.ids("embeddingBackward", "ids", ids, n, (dtable.length - dto) / C);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < C; j++) dtable[dto + ids[i] * C + j] += dy[dyo + i * C + j];
    }

    @Override public double crossEntropy(float[] probs, float[] logits, int lo, int[] targets, int rows, int V) {
        KernelArgs.dims("crossEntropy", rows, V);
        KernelArgs.region("crossEntropy", "probs (rows,V)", probs, 0, (long) rows * V);
        KernelArgs.region("crossEntropy", "logits (rows,V)", logits, lo, (long) rows * V);
        KernelArgs.ids("crossEntropy", "targets", targets, rows, V);
        softmax(probs, 0, logits, lo, rows, V);
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            // log p computed from the logits (log-sum-exp), not from the rounded probability
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < V; j++) max = Math.max(max, logits[lo + r * V + j]);
            double z = 0;
            for (int j = 0; j < V; j++) z += Math.exp(logits[lo + r * V + j] - max);
            loss -= logits[lo + r * V + targets[r]] - max - Math.log(z);
        }
        return loss / rows;
    }

    @Override public void crossEntropyBackward(float[] dlogits, int dlo, float[] probs, int[] targets, int rows, int V, float dloss) {
        KernelArgs.dims("crossEntropyBackward", rows, V);
        KernelArgs.region("crossEntropyBackward", "dlogits (rows,V)", dlogits, dlo, (long) rows * V);
        KernelArgs.region("crossEntropyBackward", "probs (rows,V)", probs, 0, (long) rows * V);
        KernelArgs.ids("crossEntropyBackward", "targets", targets, rows, V);
        float s = dloss / rows;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < V; j++)
                dlogits[dlo + r * V + j] += s * (probs[r * V + j] - (j == targets[r] ? 1f : 0f));
    }

    // ---------------------------------------------------------------- attention
    @Override public void attention(float[] out, float[] att, float[] q, float[] k, float[] v, int B, int T, int nH, int hd) {
        attentionArgs("attention", B, T, nH, hd, att, out, q, k, v);
        float scale = (float) (1.0 / Math.sqrt(hd));
        int C = nH * hd;
        for (int b = 0; b < B; b++)
            for (int hh = 0; hh < nH; hh++)
                for (int t = 0; t < T; t++) {
                    int a = ((b * nH + hh) * T + t) * T, qi = (b * T + t) * C + hh * hd;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        float s = 0f;
                        for (int e = 0; e < hd; e++) s += q[qi + e] * k[(b * T + u) * C + hh * hd + e];
                        att[a + u] = s * scale;
                        max = Math.max(max, att[a + u]);
                    }
                    double z = 0;
                    for (int u = 0; u <= t; u++) z += Math.exp(att[a + u] - max);
                    for (int u = 0; u < T; u++) att[a + u] = u <= t ? (float) (Math.exp(att[a + u] - max) / z) : 0f;
                    for (int e = 0; e < hd; e++) {
                        float s = 0f;
                        for (int u = 0; u <= t; u++) s += att[a + u] * v[(b * T + u) * C + hh * hd + e];
                        out[qi + e] = s;
                    }
                }
    }

    @Override public void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] q, float[] k, float[] v,
                                            float[] att, int B, int T, int nH, int hd) {
        attentionArgs("attentionBackward", B, T, nH, hd, att, dq, dk, dv, dout, q, k, v);
        KernelArgs.region("attentionBackward", "datt (B,nH,T,T)", datt, 0, (long) B * nH * T * T);
        float scale = (float) (1.0 / Math.sqrt(hd));
        int C = nH * hd;
        for (int b = 0; b < B; b++)
            for (int hh = 0; hh < nH; hh++)
                for (int t = 0; t < T; t++) {
                    int a = ((b * nH + hh) * T + t) * T, qi = (b * T + t) * C + hh * hd;
                    // out = att · v  →  datt = dout · vᵀ, dv += attᵀ · dout
                    for (int u = 0; u <= t; u++) {
                        int vi = (b * T + u) * C + hh * hd;
                        float s = 0f;
                        for (int e = 0; e < hd; e++) {
                            s += dout[qi + e] * v[vi + e];
                            dv[vi + e] += att[a + u] * dout[qi + e];
                        }
                        datt[a + u] = s;
                    }
                    // softmax backward, then the scaled scores q·kᵀ
                    double dotAd = 0;
                    for (int u = 0; u <= t; u++) dotAd += (double) att[a + u] * datt[a + u];
                    for (int u = 0; u <= t; u++) {
                        float dpre = (float) (att[a + u] * (datt[a + u] - dotAd)) * scale;
                        int ki = (b * T + u) * C + hh * hd;
                        for (int e = 0; e < hd; e++) {
                            dq[qi + e] += dpre * k[ki + e];
                            dk[ki + e] += dpre * q[qi + e];
                        }
                    }
                }
    }

    @Override public void attentionStep(float[] out, float[] q, float[] kCache, float[] vCache, int len, int nH, int hd, float[] scratch) {
        KernelArgs.dims("attentionStep", len, nH, hd);
        KernelArgs.region("attentionStep", "out (nH,hd)", out, 0, (long) nH * hd);
        KernelArgs.region("attentionStep", "q (nH,hd)", q, 0, (long) nH * hd);
        KernelArgs.region("attentionStep", "kCache (len,nH,hd)", kCache, 0, (long) len * nH * hd);
        KernelArgs.region("attentionStep", "vCache (len,nH,hd)", vCache, 0, (long) len * nH * hd);
        KernelArgs.region("attentionStep", "scratch (len)", scratch, 0, len);
        float scale = (float) (1.0 / Math.sqrt(hd));
        int C = nH * hd;
        for (int hh = 0; hh < nH; hh++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int u = 0; u < len; u++) {
                float s = 0f;
                for (int e = 0; e < hd; e++) s += q[hh * hd + e] * kCache[u * C + hh * hd + e];
                scratch[u] = s * scale;
                max = Math.max(max, scratch[u]);
            }
            double z = 0;
            for (int u = 0; u < len; u++) z += Math.exp(scratch[u] - max);
            for (int e = 0; e < hd; e++) {
                double s = 0;
                for (int u = 0; u < len; u++) s += Math.exp(scratch[u] - max) * vCache[u * C + hh * hd + e];
                out[hh * hd + e] = (float) (s / z);
            }
        }
    }

    // ---------------------------------------------------------------- MGLU
    @Override public void mgluScores(float[] t, float[] s, float[] x, WeightMatrix w, MaskPlanes m, int B) {
        ReferenceMglu.scores(t, s, x, w, m, B);
    }

    @Override public void flashMglu(float[] y, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g) {
        ReferenceMglu.flash(y, x, w, m, B, g);
    }

    // ---------------------------------------------------------------- optimizer
    @Override public void adamw(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2, float eps, float wd, int step) {
        KernelArgs.count("adamw", n);
        for (float[] a : new float[][] {p, g, m, v}) KernelArgs.region("adamw", "p/g/m/v", a, 0, n);
        if (step < 1) throw new IllegalArgumentException("adamw: step must be ≥ 1 (bias correction), got " + step);
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < n; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            double mhat = m[i] / bc1, vhat = v[i] / bc2;
            p[i] -= (float) (lr * (mhat / (Math.sqrt(vhat) + eps) + wd * p[i]));
        }
    }

    // ---------------------------------------------------------------- argument checks (O(1) per call)
    private static void elementwise(String op, float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        KernelArgs.count(op, n);
        KernelArgs.region(op, "out", out, oo, n);
        KernelArgs.region(op, "a", a, ao, n);
        KernelArgs.region(op, "b", b, bo, n);
    }

    private static void ropeArgs(String op, float[] out, int oo, float[] x, int xo, int B, int T, int nH, int hd) {
        KernelArgs.dims(op, B, T, nH, hd);
        if (hd % 2 != 0) throw new IllegalArgumentException(op + ": head size hd must be even (rotated in pairs), got " + hd);
        long n = (long) B * T * nH * hd;
        KernelArgs.region(op, "out (B,T,nH,hd)", out, oo, n);
        KernelArgs.region(op, "x (B,T,nH,hd)", x, xo, n);
    }

    private static void attentionArgs(String op, int B, int T, int nH, int hd, float[] att, float[]... qkv) {
        KernelArgs.dims(op, B, T, nH, hd);
        KernelArgs.region(op, "att (B,nH,T,T)", att, 0, (long) B * nH * T * T);
        for (float[] a : qkv) KernelArgs.region(op, "q/k/v/out (B,T,nH,hd)", a, 0, (long) B * T * nH * hd);
    }
}
