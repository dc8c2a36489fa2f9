package jmglu.engine;

import static jmglu.engine.testing.Check.AWKWARD;
import static jmglu.engine.testing.Check.close;
import static org.junit.jupiter.api.Assertions.*;

import java.util.function.ToDoubleFunction;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * Every backward reference kernel against central finite differences of a float64 forward
 * written here: for a random upstream gradient dy, the kernel's dx must equal ∂(Σ dy·f(x))/∂x.
 * Differences use h = 1e-5 in float64 (truncation ~h², rounding ~1e-16/h: both far below the
 * float32 tolerances). Backwards accumulate, so every gradient starts from random values.
 */
class ReferenceBackwardTest {
    final Kernels k = new ReferenceKernels();
    final Rng rng = new Rng(7);

    float[] rand(int n) { return Check.random(rng, n); }

    /** ∂L/∂x by central differences, L a float64 function of the (widened) input. */
    static double[] fd(ToDoubleFunction<double[]> L, float[] x) {
        double[] p = Check.toDouble(x), g = new double[x.length];
        double h = 1e-5;
        for (int i = 0; i < x.length; i++) {
            double keep = p[i];
            p[i] = keep + h; double up = L.applyAsDouble(p);
            p[i] = keep - h; double dn = L.applyAsDouble(p);
            p[i] = keep;
            g[i] = (up - dn) / (2 * h);
        }
        return g;
    }

    /** a placed at offset off of a longer array (random values around it). */
    float[] at(int off, float[] a) {
        float[] r = rand(off + a.length + 3);
        System.arraycopy(a, 0, r, off, a.length);
        return r;
    }

    static float[] slice(float[] a, int off, int n) { return java.util.Arrays.copyOfRange(a, off, off + n); }

    static double[] plus(float[] start, double[] g) {
        double[] r = Check.toDouble(start);
        for (int i = 0; i < r.length; i++) r[i] += g[i];
        return r;
    }

    static double dotAll(float[] dy, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += dy[i] * y[i];
        return s;
    }

    @Test void actBackward() {
        for (Act g : Act.values()) for (int n : AWKWARD) {
            float[] x = rand(n), dy = rand(n), dx0 = rand(n), dx = at(3, dx0);
            k.actBackward(g, dx, 3, at(5, x), 5, at(7, dy), 7, n);
            double[] want = plus(dx0, fd(p -> {
                double s = 0;
                for (int i = 0; i < n; i++) s += dy[i] * ReferenceKernelsTest.act64(g, p[i]);
                return s;
            }, x));
            close(want, slice(dx, 3, n), 1e-5, 1e-5, "actBackward " + g + " n=" + n);
        }
    }

    static double[] softmax64(double[] x, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
            for (int j = 0; j < cols; j++) z += y[r * cols + j] = Math.exp(x[r * cols + j] - max);
            for (int j = 0; j < cols; j++) y[r * cols + j] /= z;
        }
        return y;
    }

    @Test void softmaxBackward() {
        for (int rows : new int[] {1, 3}) for (int cols : AWKWARD) {
            int n = rows * cols;
            float[] x = rand(n), dy = rand(n), dx0 = rand(n), y = new float[n];
            k.softmax(y, 0, x, 0, rows, cols);
            float[] dx = new float[n + 6];
            System.arraycopy(dx0, 0, dx, 2, n);
            float[] Y = new float[n + 3], DY = new float[n + 5];
            System.arraycopy(y, 0, Y, 3, n);
            System.arraycopy(dy, 0, DY, 5, n);
            k.softmaxBackward(dx, 2, Y, 3, DY, 5, rows, cols);
            double[] want = plus(dx0, fd(p -> dotAll(dy, softmax64(p, rows, cols)), x));
            close(want, java.util.Arrays.copyOfRange(dx, 2, 2 + n), 1e-6, 1e-5, "softmaxBackward (" + rows + "," + cols + ")");
        }
    }

    static double[] rmsnorm64(double[] x, double[] w, int rows, int C, double eps) {
        double[] y = new double[rows * C];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int j = 0; j < C; j++) ms += x[r * C + j] * x[r * C + j] / C;
            for (int j = 0; j < C; j++) y[r * C + j] = x[r * C + j] / Math.sqrt(ms + eps) * w[j];
        }
        return y;
    }

    @Test void rmsnormBackward() {
        for (int rows : new int[] {1, 3}) for (int C : AWKWARD) {
            float eps = 1e-5f;
            float[] x = rand(rows * C), w = rand(C), dy = rand(rows * C), dx0 = rand(rows * C), dw0 = rand(C);
            float[] out = new float[rows * C], rstd = new float[rows], dx = at(1, dx0), dw = at(2, dw0);
            k.rmsnorm(out, 0, rstd, 0, x, 0, w, 0, rows, C, eps);
            k.rmsnormBackward(dx, 1, dw, 2, at(3, dy), 3, at(4, x), 4, at(5, w), 5, at(6, rstd), 6, rows, C);
            double[] W = Check.toDouble(w), X = Check.toDouble(x);
            close(plus(dx0, fd(p -> dotAll(dy, rmsnorm64(p, W, rows, C, eps)), x)), slice(dx, 1, rows * C), 1e-5, 1e-4, "rmsnormBackward dx (" + rows + "," + C + ")");
            close(plus(dw0, fd(p -> dotAll(dy, rmsnorm64(X, p, rows, C, eps)), w)), slice(dw, 2, C), 1e-5, 1e-4, "rmsnormBackward dw (" + rows + "," + C + ")");
        }
    }

    @Test void ropeBackwardIsTheInverseRotation() {
        for (Rope rope : ReferenceKernelsTest.ROPES)
        for (int T : new int[] {1, 3, 7}) for (int nH : new int[] {1, 3}) for (int hd : new int[] {2, 6, 34}) {
            int B = 2, n = B * T * nH * hd, pos0 = 4;
            float[] x = rand(n), dy = rand(n), dx0 = rand(n), dx = at(3, dx0);
            k.ropeBackward(dx, 3, at(5, dy), 5, B, T, nH, hd, pos0, rope);
            double[] want = plus(dx0, fd(p -> dotAll(dy, ReferenceKernelsTest.rope64(p, B, T, nH, hd, pos0, rope, 1)), x));
            String what = "ropeBackward " + rope.label() + " T" + T + " nH" + nH + " hd" + hd;
            close(want, slice(dx, 3, n), 1e-5, 1e-5, what);
            // rope, then ropeBackward into zeros, gives the input back (a rotation's transpose is its inverse)
            float[] r = new float[n], back = new float[n];
            k.rope(r, 0, x, 0, B, T, nH, hd, pos0, rope);
            k.ropeBackward(back, 0, r, 0, B, T, nH, hd, pos0, rope);
            close(x, back, 1e-6, 1e-5, what + ": rope then ropeBackward");
        }
    }

    @Test void crossEntropyBackward() {
        for (int rows : new int[] {1, 3, 7}) for (int V : new int[] {1, 3, 17, 67}) {
            float[] logits = rand(rows * V), probs = new float[rows * V], dl0 = rand(rows * V + 4), dl = dl0.clone();
            int[] tg = new int[rows];
            for (int r = 0; r < rows; r++) tg[r] = rng.nextInt(V);
            float dloss = 1.7f;
            k.crossEntropy(probs, logits, 0, tg, rows, V);
            k.crossEntropyBackward(dl, 4, probs, tg, rows, V, dloss);
            double[] g = fd(p -> {
                double[] sm = softmax64(p, rows, V);
                double s = 0;
                for (int r = 0; r < rows; r++) s -= Math.log(sm[r * V + tg[r]]) / rows;
                return dloss * s;
            }, logits);
            double[] want = Check.toDouble(dl0);
            for (int i = 0; i < g.length; i++) want[4 + i] += g[i];
            close(want, dl, 1e-6, 1e-5, "crossEntropyBackward (" + rows + "," + V + ")");
        }
    }

    /** Σ dout·attention(q, k, v) in float64, with qkv = [q | k | v] concatenated. */
    static double attentionLoss(double[] qkv, float[] dout, int B, int T, int nH, int hd) {
        int n = B * T * nH * hd, C = nH * hd;
        double s = 0;
        for (int b = 0; b < B; b++) for (int hh = 0; hh < nH; hh++) for (int t = 0; t < T; t++) {
            double[] a = new double[t + 1];
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int u = 0; u <= t; u++) {
                for (int e = 0; e < hd; e++) a[u] += qkv[(b * T + t) * C + hh * hd + e] * qkv[n + (b * T + u) * C + hh * hd + e];
                a[u] /= Math.sqrt(hd);
                max = Math.max(max, a[u]);
            }
            for (int u = 0; u <= t; u++) z += a[u] = Math.exp(a[u] - max);
            for (int u = 0; u <= t; u++)
                for (int e = 0; e < hd; e++)
                    s += dout[(b * T + t) * C + hh * hd + e] * a[u] / z * qkv[2 * n + (b * T + u) * C + hh * hd + e];
        }
        return s;
    }

    @Test void attentionBackward() {
        for (int T : new int[] {1, 3, 6}) for (int nH : new int[] {1, 2}) for (int hd : new int[] {1, 3, 8}) {
            int B = 2, n = B * T * nH * hd;
            float[] q = rand(n), kk = rand(n), v = rand(n), dout = rand(n), out = new float[n], att = new float[B * nH * T * T];
            k.attention(out, att, q, kk, v, B, T, nH, hd);
            float[] dq0 = rand(n), dk0 = rand(n), dv0 = rand(n), dq = dq0.clone(), dk = dk0.clone(), dv = dv0.clone();
            k.attentionBackward(dq, dk, dv, new float[att.length], dout, q, kk, v, att, B, T, nH, hd);
            float[] qkv = new float[3 * n];
            System.arraycopy(q, 0, qkv, 0, n);
            System.arraycopy(kk, 0, qkv, n, n);
            System.arraycopy(v, 0, qkv, 2 * n, n);
            double[] g = fd(p -> attentionLoss(p, dout, B, T, nH, hd), qkv);
            String what = "attentionBackward T" + T + " nH" + nH + " hd" + hd;
            close(plus(dq0, java.util.Arrays.copyOfRange(g, 0, n)), dq, 1e-5, 1e-4, what + " dq");
            close(plus(dk0, java.util.Arrays.copyOfRange(g, n, 2 * n)), dk, 1e-5, 1e-4, what + " dk");
            close(plus(dv0, java.util.Arrays.copyOfRange(g, 2 * n, 3 * n)), dv, 1e-5, 1e-4, what + " dv");
        }
    }
}
