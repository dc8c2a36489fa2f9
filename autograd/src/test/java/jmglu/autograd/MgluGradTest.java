package jmglu.autograd;

import jmglu.engine.Act;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MGLU op against three independent answers:
 * <ol>
 *   <li>central finite differences for dx and dW with the masks fixed (mask logits kept away
 *       from 0, so no perturbation flips a mask);</li>
 *   <li>a float64 evaluation of the formulas of docs/DESIGN.md, for y, dx, dW and the
 *       straight-through dL_i = W ⊙ (ds_iᵀ x) (finite differences cannot check dL: the hard
 *       mask has derivative 0 almost everywhere);</li>
 *   <li>the composition from primitive ops, gate_i = linear(x, M_i⊙W),
 *       value_i = linear(x, (1−M_i)⊙W), y = Σ act(gate_i) ⊙ value_i, with the masks M_i as
 *       parameters: its dM_i must equal MGLU's dL_i, and y, dx, dW must agree.</li>
 * </ol>
 */
class MgluGradTest {
    static final F f = new F(new jmglu.engine.ReferenceKernels());
    static final double EPS = 1e-2, ABS = 2e-3, REL = 2e-2;

    /** x (N, h), w (d, h), L (nm, d, h) for a seed; for ReLU the seed is advanced until every |s_i| ≥ 0.05. */
    record Case(Var x, Var w, Var L, int N, int h, int d, int nm) {
        static Case make(long seed, int N, int h, int d, int nm, Act g) {
            for (long s = seed; ; s += 1000) {
                Case c = new Case(Vars.param(s, 1, N, h), Vars.param(s + 1, 0.5, d, h), Vars.awayFromZero(s + 2, 0.1, 1, nm, d, h), N, h, d, nm);
                if (g != Act.RELU || c.minAbsScore() >= 0.05) return c;
            }
        }

        double minAbsScore() {
            F64 r = F64.of(this, Act.SILU, new float[N * d]);
            double m = Double.MAX_VALUE;
            for (double[][] si : r.s) for (double[] row : si) for (double v : row) m = Math.min(m, Math.abs(v));
            return m;
        }

        float[] masks() {
            float[] l = L.value().toArray(), m = new float[l.length];
            for (int i = 0; i < l.length; i++) m[i] = l[i] > 0 ? 1f : 0f;
            return m;
        }
    }

    /** The formulas of docs/DESIGN.md in float64, for upstream dy (N, d). */
    record F64(double[][][] s, double[] y, double[] dx, double[] dW, double[] dL) {
        static F64 of(Case c, Act g, float[] dy) {
            int N = c.N, h = c.h, d = c.d, nm = c.nm;
            float[] x = c.x.value().toArray(), w = c.w.value().toArray(), m = c.masks();
            double[][][] s = new double[nm][N][d];
            double[][] t = new double[N][d];
            double[] y = new double[N * d], dx = new double[N * h], dW = new double[d * h], dL = new double[nm * d * h];
            for (int b = 0; b < N; b++)
                for (int r = 0; r < d; r++)
                    for (int col = 0; col < h; col++) {
                        double xw = (double) x[b * h + col] * w[r * h + col];
                        t[b][r] += xw;
                        for (int i = 0; i < nm; i++) s[i][b][r] += m[(i * d + r) * h + col] * xw;
                    }
            for (int b = 0; b < N; b++)
                for (int r = 0; r < d; r++) {
                    double dt = 0, g0 = dy[b * d + r];
                    for (int i = 0; i < nm; i++) {
                        double si = s[i][b][r], a = g.apply(si), v = t[b][r] - si;
                        y[b * d + r] += a * v;
                        dt += g0 * a;
                        double ds = g0 * (v * g.derivative(si) - a);
                        for (int col = 0; col < h; col++) {
                            double mi = m[(i * d + r) * h + col], dsx = ds * x[b * h + col];
                            dx[b * h + col] += ds * mi * w[r * h + col];
                            dW[r * h + col] += mi * dsx;
                            dL[(i * d + r) * h + col] += w[r * h + col] * dsx;
                        }
                    }
                    for (int col = 0; col < h; col++) {
                        dx[b * h + col] += dt * w[r * h + col];
                        dW[r * h + col] += dt * x[b * h + col];
                    }
                }
            return new F64(s, y, dx, dW, dL);
        }
    }

    @Test void finiteDifferencesForDxAndDw() {
        for (Act g : Act.values()) {
            Case c = Case.make(100, 3, 5, 4, 3, g);
            GradCheck.check("mglu " + g + " (dx, dW)", () -> f.mglu(c.x, c.w, c.L, g), EPS, ABS, REL, c.x, c.w);
        }
        Case one = Case.make(200, 2, 4, 3, 1, Act.SILU);   // nm = 1
        GradCheck.check("mglu nm=1", () -> f.mglu(one.x, one.w, one.L, Act.SILU), EPS, ABS, REL, one.x, one.w);
    }

    @Test void allGradientsMatchTheFloat64Formulas() {
        // h = 37 spans two mask words per row; nm = 5
        for (Act g : Act.values()) {
            Case c = Case.make(300, 3, 37, 4, 5, g);
            Supplier<Var> fn = () -> f.mglu(c.x, c.w, c.L, g);
            float[] dy = GradCheck.weights(fn, 7);
            float[][] ana = GradCheck.analytic(fn, dy, c.x, c.w, c.L);
            F64 ref = F64.of(c, g, dy);
            Check.close(ref.y, f.mglu(c.x, c.w, c.L, g).value().toArray(), 1e-4, 1e-4, "mglu " + g + " y");
            Check.close(ref.dx, ana[0], 1e-4, 1e-3, "mglu " + g + " dx");
            Check.close(ref.dW, ana[1], 1e-4, 1e-3, "mglu " + g + " dW");
            Check.close(ref.dL, ana[2], 1e-4, 1e-3, "mglu " + g + " dL (straight-through)");
        }
    }

    @Test void forwardMatchesReferenceMgluDense() {
        Case c = Case.make(400, 4, 33, 6, 4, Act.GELU);
        float[] expected = new float[c.N * c.d];
        ReferenceMglu.dense(expected, c.x.value().toArray(), c.w.value().toArray(), c.masks(), c.N, c.h, c.d, c.nm, Act.GELU);
        Check.close(expected, f.mglu(c.x, c.w, c.L, Act.GELU).value().toArray(), 1e-5, 1e-4, "mglu vs ReferenceMglu.dense");
    }

    /** Σ_i act(linear(x, M_i⊙W)) ⊙ linear(x, W − M_i⊙W) with the masks as parameters. */
    static Var composition(Var x, Var w, Var[] M, Act g) {
        Var y = null;
        for (Var mi : M) {
            Var gateW = f.mul(w, mi), valueW = f.add(w, f.scale(gateW, -1f));
            Var route = f.mul(f.act(g, f.linear(x, gateW)), f.linear(x, valueW));
            y = y == null ? route : f.add(y, route);
        }
        return y;
    }

    static Var[] maskParams(Case c) {
        float[] m = c.masks();
        Var[] M = new Var[c.nm];
        int n = c.d * c.h;
        for (int i = 0; i < c.nm; i++) M[i] = Var.param(Tensor.of(java.util.Arrays.copyOfRange(m, i * n, (i + 1) * n), c.d, c.h));
        return M;
    }

    @Test void agreesWithTheCompositionOfPrimitiveOps() {
        for (Act g : Act.values()) {
            Case c = Case.make(500, 4, 6, 5, 3, g);
            Var[] M = maskParams(c);
            Supplier<Var> fused = () -> f.mglu(c.x, c.w, c.L, g), composed = () -> composition(c.x, c.w, M, g);
            Check.close(composed.get().value().toArray(), fused.get().value().toArray(), 1e-5, 1e-4, "mglu " + g + " y vs composition");
            float[] dy = GradCheck.weights(fused, 11);
            float[][] a = GradCheck.analytic(fused, dy, c.x, c.w, c.L);
            Var[] all = new Var[2 + c.nm];
            all[0] = c.x; all[1] = c.w;
            System.arraycopy(M, 0, all, 2, c.nm);
            float[][] b = GradCheck.analytic(composed, dy, all);
            Check.close(b[0], a[0], 1e-5, 1e-4, "mglu " + g + " dx vs composition");
            Check.close(b[1], a[1], 1e-5, 1e-4, "mglu " + g + " dW vs composition");
            int n = c.d * c.h;
            for (int i = 0; i < c.nm; i++)
                Check.close(b[2 + i], java.util.Arrays.copyOfRange(a[2], i * n, (i + 1) * n), 1e-5, 1e-4, "mglu " + g + " dL_" + i + " vs composition dM_" + i);
        }
    }

    @Test void theMaskIsStrictlyPositiveLogits() {
        // L = 0 is "off" (M = 1[L > 0]): with every mask off, s_i = 0 and y = Σ g(0)·t = 0 for SiLU
        Var x = Vars.param(1, 1, 2, 3), w = Vars.param(2, 1, 4, 3), L = Var.param(Tensor.zeros(2, 4, 3));
        float[] y = f.mglu(x, w, L, Act.SILU).value().toArray();
        for (float v : y) assertTrue(v == 0f, "y should be 0 with all masks off, got " + v);
        // with every mask on, value_i = 0, so y = 0 again; with one logit on, only that weight gates
        Var on = Var.param(Tensor.of(new float[] {1e-3f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 2, 4, 3));
        float[] y1 = f.mglu(x, w, on, Act.RELU).value().toArray();
        double s = (double) x.value().get(0, 0) * w.value().get(0, 0), t = 0;
        for (int c = 0; c < 3; c++) t += (double) x.value().get(0, c) * w.value().get(0, c);
        Check.close(new double[] {Math.max(s, 0) * (t - s)}, new float[] {y1[0]}, 1e-6, 1e-5, "one mask element on");
    }
}
