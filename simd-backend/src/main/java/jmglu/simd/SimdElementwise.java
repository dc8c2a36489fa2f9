package jmglu.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jmglu.engine.Act;

/**
 * Element-wise maps and reductions on the Vector API: a vector loop over S.loopBound(n), then
 * a scalar tail. Reductions accumulate in float64 (the contract): float products are widened to
 * double vectors, two halves per float vector; the lanes are summed in a fixed order
 * ({@link Lanes}), then the tail in index order. Nothing here is split over threads.
 */
final class SimdElementwise {
    private SimdElementwise() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> SD = DoubleVector.SPECIES_PREFERRED;
    static final int L = S.length();

    static void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L)
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = a[ao + i] + b[bo + i];
    }

    static void mul(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L)
            FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = a[ao + i] * b[bo + i];
    }

    static void mulAcc(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L)
            FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), FloatVector.fromArray(S, out, oo + i)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] += a[ao + i] * b[bo + i];
    }

    static void scale(float[] out, int oo, float[] a, int ao, float s, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) FloatVector.fromArray(S, a, ao + i).mul(s).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = s * a[ao + i];
    }

    static void addScaled(float[] out, int oo, float[] a, int ao, float s, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L)
            FloatVector.fromArray(S, a, ao + i).fma(FloatVector.broadcast(S, s), FloatVector.fromArray(S, out, oo + i)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] += s * a[ao + i];
    }

    static void act(Act g, float[] out, int oo, float[] x, int xo, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) VecAct.apply(g, FloatVector.fromArray(S, x, xo + i)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = g.apply(x[xo + i]);
    }

    static void actBackward(Act g, float[] dx, int dxo, float[] x, int xo, float[] dy, int dyo, int n) {
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L)
            VecAct.derivative(g, FloatVector.fromArray(S, x, xo + i))
                    .fma(FloatVector.fromArray(S, dy, dyo + i), FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
        for (; i < n; i++) dx[dxo + i] += g.derivative(x[xo + i]) * dy[dyo + i];
    }

    /** Σ x in float64. */
    static double sum(float[] x, int xo, int n) {
        DoubleVector acc = DoubleVector.zero(SD);
        int i = 0;
        if (SD.length() * 2 == L) {
            for (int up = S.loopBound(n); i < up; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                acc = acc.add(v.convertShape(VectorOperators.F2D, SD, 0)).add(v.convertShape(VectorOperators.F2D, SD, 1));
            }
        }
        double s = Lanes.sum(acc);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** Σ a·b with each float product exact in float64 (a float × float fits a double). */
    static double dot(float[] a, int ao, float[] b, int bo, int n) {
        DoubleVector acc = DoubleVector.zero(SD);
        int i = 0;
        if (SD.length() * 2 == L) {
            for (int up = S.loopBound(n); i < up; i += L) {
                FloatVector va = FloatVector.fromArray(S, a, ao + i), vb = FloatVector.fromArray(S, b, bo + i);
                for (int part = 0; part < 2; part++) {
                    DoubleVector da = (DoubleVector) va.convertShape(VectorOperators.F2D, SD, part);
                    DoubleVector db = (DoubleVector) vb.convertShape(VectorOperators.F2D, SD, part);
                    acc = da.fma(db, acc);
                }
            }
        }
        double s = Lanes.sum(acc);
        for (; i < n; i++) s += (double) a[ao + i] * b[bo + i];
        return s;
    }

    /** AdamW, vectorised in float32 (the bias corrections are per step scalars). */
    static void adamw(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2, float eps, float wd, int step) {
        float bc1 = (float) (1 / (1 - Math.pow(beta1, step))), bc2 = (float) (1 / (1 - Math.pow(beta2, step)));
        int i = 0;
        for (int up = S.loopBound(n); i < up; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, i), pv = FloatVector.fromArray(S, p, i);
            FloatVector mv = FloatVector.fromArray(S, m, i).mul(beta1).add(gv.mul(1 - beta1));
            FloatVector vv = FloatVector.fromArray(S, v, i).mul(beta2).add(gv.mul(gv).mul(1 - beta2));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            FloatVector upd = mv.mul(bc1).div(vv.mul(bc2).sqrt().add(eps)).add(pv.mul(wd));
            pv.sub(upd.mul(lr)).intoArray(p, i);
        }
        for (; i < n; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            p[i] -= lr * (m[i] * bc1 / ((float) Math.sqrt(v[i] * bc2) + eps) + wd * p[i]);
        }
    }
}
