package jmglu.autograd;

import jmglu.autograd.ops.MgluTopK;
import jmglu.engine.Act;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Top-K routed MGLU: finite differences for dx, dW and the router (routing gaps and mask logits
 * kept away from the thresholds, so no perturbation changes a selection or a mask), and the
 * composition from primitive ops with the forward's selection as a constant:
 * G = softmax(x routerᵀ + bias), bias 0 for the kept routes and −1e4 for the dropped (their
 * exp underflows to exactly 0); y = Σ_i (G_i broadcast) ⊙ act(gate_i) ⊙ value_i.
 */
class MgluTopKGradTest {
    static final F f = new F(new jmglu.engine.ReferenceKernels());
    static final double EPS = 1e-2, ABS = 2e-3, REL = 2e-2;

    record Case(Var x, Var w, Var L, Var router, int N, int h, int d, int nm, int k) {
        /** Seeds advance until, in every row, the k-th and (k+1)-th router logits differ by ≥ 0.2. */
        static Case make(long seed, int N, int h, int d, int nm, int k) {
            for (long s = seed; ; s += 1000) {
                Case c = new Case(Vars.param(s, 1, N, h), Vars.param(s + 1, 0.5, d, h), Vars.awayFromZero(s + 2, 0.1, 1, nm, d, h),
                        Vars.param(s + 3, 1, nm, h), N, h, d, nm, k);
                if (k == nm || c.minGap() >= 0.2) return c;
            }
        }

        double minGap() {
            double gap = Double.MAX_VALUE;
            for (int b = 0; b < N; b++) {
                double[] r = new double[nm];
                for (int i = 0; i < nm; i++)
                    for (int c = 0; c < h; c++) r[i] += (double) x.value().get(b, c) * router.value().get(i, c);
                Arrays.sort(r);
                gap = Math.min(gap, r[nm - k] - r[nm - k - 1]);
            }
            return gap;
        }

        Supplier<Var> fused(Act g) { return () -> f.mgluTopK(x, w, L, router, k, g); }
    }

    @Test void finiteDifferencesForDxDwAndRouter() {
        for (Act g : new Act[] {Act.SILU, Act.GELU}) {
            for (int k : new int[] {1, 2, 4}) {
                Case c = Case.make(10 * k, 3, 5, 4, 4, k);
                GradCheck.check("mgluTopK " + g + " k=" + k, c.fused(g), EPS, ABS, REL, c.x, c.w, c.router);
            }
        }
    }

    /** The composition with masks M_i as parameters and the selection of the forward as a constant bias. */
    static Var composition(Case c, Var[] M, Act g) {
        float[] G = MgluTopK.routing(f.kernels(), c.x, c.router, c.k), bias = new float[G.length];
        for (int j = 0; j < G.length; j++) bias[j] = G[j] > 0 ? 0f : -1e4f;
        Var gates = f.softmax(f.add(f.linear(c.x, c.router), Vars.constant(bias, c.N, c.nm)));   // (N, nm)
        Var ones = Vars.constant(filled(c.d, 1f), 1, c.d);
        Var y = null;
        for (int i = 0; i < c.nm; i++) {
            float[] e = new float[c.nm];
            e[i] = 1f;
            Var gi = f.matmul(f.matmul(gates, Vars.constant(e, c.nm, 1)), ones);                 // (N, d): G[:, i] broadcast
            Var gateW = f.mul(c.w, M[i]), valueW = f.add(c.w, f.scale(gateW, -1f));
            Var route = f.mul(gi, f.mul(f.act(g, f.linear(c.x, gateW)), f.linear(c.x, valueW)));
            y = y == null ? route : f.add(y, route);
        }
        return y;
    }

    static float[] filled(int n, float v) { float[] a = new float[n]; Arrays.fill(a, v); return a; }

    @Test void agreesWithTheComposition() {
        for (Act g : Act.values()) {
            for (int k : new int[] {1, 3, 5}) {
                Case c = Case.make(700 + k, 4, 6, 3, 5, k);
                Var[] M = MgluGradTest.maskParams(new MgluGradTest.Case(c.x, c.w, c.L, c.N, c.h, c.d, c.nm));
                Supplier<Var> fused = c.fused(g), composed = () -> composition(c, M, g);
                String what = "mgluTopK " + g + " k=" + k;
                Check.close(composed.get().value().toArray(), fused.get().value().toArray(), 1e-5, 1e-4, what + " y vs composition");
                float[] dy = GradCheck.weights(fused, 13);
                float[][] a = GradCheck.analytic(fused, dy, c.x, c.w, c.L, c.router);
                Var[] all = new Var[3 + c.nm];
                all[0] = c.x; all[1] = c.w; all[2] = c.router;
                System.arraycopy(M, 0, all, 3, c.nm);
                float[][] b = GradCheck.analytic(composed, dy, all);
                Check.close(b[0], a[0], 1e-5, 1e-4, what + " dx vs composition");
                Check.close(b[1], a[1], 1e-5, 1e-4, what + " dW vs composition");
                Check.close(b[2], a[3], 1e-5, 1e-4, what + " drouter vs composition");
                int n = c.d * c.h;
                for (int i = 0; i < c.nm; i++)
                    Check.close(b[3 + i], Arrays.copyOfRange(a[2], i * n, (i + 1) * n), 1e-5, 1e-4, what + " dL_" + i + " vs composition dM_" + i);
            }
        }
    }

    @Test void routingKeepsKRoutesPerRowThatSumToOne() {
        Case c = Case.make(900, 5, 4, 3, 6, 2);
        float[] G = MgluTopK.routing(f.kernels(), c.x, c.router, 2);
        for (int b = 0; b < c.N; b++) {
            int kept = 0; double sum = 0;
            for (int i = 0; i < c.nm; i++) { if (G[b * c.nm + i] > 0) kept++; sum += G[b * c.nm + i]; }
            assertEquals(2, kept);
            assertEquals(1.0, sum, 1e-6);
        }
    }

    @Test void withKEqualToNmAndEqualRouterItIsPlainMgluOverNm() {
        // a zero router gives G = 1/nm for every route: y = mglu(x)/nm
        Case c = Case.make(950, 3, 5, 4, 4, 4);
        Var zero = Var.param(Tensor.zeros(4, 5));
        float[] top = f.mgluTopK(c.x, c.w, c.L, zero, 4, Act.SILU).value().toArray();
        float[] plain = f.mglu(c.x, c.w, c.L, Act.SILU).value().toArray();
        for (int j = 0; j < plain.length; j++) plain[j] /= 4;
        Check.close(plain, top, 1e-6, 1e-5, "mgluTopK k=nm, zero router");
    }
}
