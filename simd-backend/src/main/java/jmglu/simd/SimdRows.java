package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-wise kernels over (rows, cols) matrices: softmax (max-subtracted, float64 normaliser) and
 * RMSNorm forward/backward. Forward rows are independent and split over threads; every sum is in
 * a fixed order ({@link Lanes}, {@link VecAct#exp}).
 */
final class SimdRows {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private final Parallel par;

    SimdRows(Parallel par) { this.par = par; }

    void softmax(float[] out, int oo, float[] x, int xo, int rows, int cols) {
        par.rows(rows, (long) rows * cols * 8, 4, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int xr = xo + r * cols, or = oo + r * cols, up = S.loopBound(cols), j = 0;
                FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                for (; j < up; j += L) mv = mv.max(FloatVector.fromArray(S, x, xr + j));
                float max = mv.reduceLanes(VectorOperators.MAX); // exact in any order
                for (; j < cols; j++) max = Math.max(max, x[xr + j]);
                // e_j = exp(x_j − max) stored in out, z = Σ e_j in float64
                double z = 0;
                for (j = 0; j < up; j += L) {
                    FloatVector e = VecAct.exp(FloatVector.fromArray(S, x, xr + j).sub(max));
                    e.intoArray(out, or + j);
                    z += Lanes.sum(e);
                }
                for (; j < cols; j++) { out[or + j] = (float) Math.exp(x[xr + j] - max); z += out[or + j]; }
                SimdElementwise.scale(out, or, out, or, (float) (1.0 / z), cols);
            }
        });
    }

    void softmaxBackward(float[] dx, int dxo, float[] y, int yo, float[] dy, int dyo, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            float dotYdy = (float) SimdElementwise.dot(y, yo + r * cols, dy, dyo + r * cols, cols);
            int j = 0;
            for (int up = S.loopBound(cols); j < up; j += L) {
                FloatVector yv = FloatVector.fromArray(S, y, yo + r * cols + j), dyv = FloatVector.fromArray(S, dy, dyo + r * cols + j);
                yv.fma(dyv.sub(dotYdy), FloatVector.fromArray(S, dx, dxo + r * cols + j)).intoArray(dx, dxo + r * cols + j);
            }
            for (; j < cols; j++) dx[dxo + r * cols + j] += y[yo + r * cols + j] * (dy[dyo + r * cols + j] - dotYdy);
        }
    }

    void rmsnorm(float[] out, int oo, float[] rstd, int ro, float[] x, int xo, float[] w, int wo, int rows, int C, float eps) {
        par.rows(rows, (long) rows * C * 3, 4, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int xr = xo + r * C;
                float rs = (float) (1.0 / Math.sqrt(SimdElementwise.dot(x, xr, x, xr, C) / C + eps));
                rstd[ro + r] = rs;
                int j = 0;
                for (int up = S.loopBound(C); j < up; j += L)
                    FloatVector.fromArray(S, x, xr + j).mul(rs).mul(FloatVector.fromArray(S, w, wo + j)).intoArray(out, oo + r * C + j);
                for (; j < C; j++) out[oo + r * C + j] = x[xr + j] * rs * w[wo + j];
            }
        });
    }

    /** dw += Σ_rows dy ⊙ x̂;  dx += rstd · (dy⊙w − x̂ · mean(dy⊙w⊙x̂)), x̂ = x·rstd. Serial over rows (dw is shared). */
    void rmsnormBackward(float[] dx, int dxo, float[] dw, int dwo, float[] dy, int dyo, float[] x, int xo,
                                float[] w, int wo, float[] rstd, int ro, int rows, int C) {
        for (int r = 0; r < rows; r++) {
            float rs = rstd[ro + r];
            int xr = xo + r * C, yr = dyo + r * C, dr = dxo + r * C, up = S.loopBound(C), j = 0;
            double m = 0;
            FloatVector mv = FloatVector.zero(S);
            for (; j < up; j += L)
                mv = FloatVector.fromArray(S, dy, yr + j).mul(FloatVector.fromArray(S, w, wo + j)).fma(FloatVector.fromArray(S, x, xr + j), mv);
            m = Lanes.sum(mv);
            for (; j < C; j++) m += (double) dy[yr + j] * w[wo + j] * x[xr + j];
            float mean = (float) (m * rs / C);
            for (j = 0; j < up; j += L) {
                FloatVector xh = FloatVector.fromArray(S, x, xr + j).mul(rs), g = FloatVector.fromArray(S, dy, yr + j);
                g.fma(xh, FloatVector.fromArray(S, dw, dwo + j)).intoArray(dw, dwo + j);
                g.mul(FloatVector.fromArray(S, w, wo + j)).sub(xh.mul(mean)).fma(FloatVector.broadcast(S, rs), FloatVector.fromArray(S, dx, dr + j)).intoArray(dx, dr + j);
            }
            for (; j < C; j++) {
                float xhat = x[xr + j] * rs, g = dy[yr + j];
                dw[dwo + j] += g * xhat;
                dx[dr + j] += rs * (g * w[wo + j] - xhat * mean);
            }
        }
    }
}
