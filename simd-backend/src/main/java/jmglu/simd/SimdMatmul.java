package jmglu.simd;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three training GEMMs, one register-tiled, cache-blocked kernel with strides:
 * <pre>
 *   C (M, N) [+]= A · B,   A element (i, k) at a[ao + i·ars + k·aks], B element (k, j) at b[bo + k·bks + j·bjs]
 *   matmul       A (M,K) ars=K aks=1   B (K,N) bks=N bjs=1
 *   matmulTransB A (M,K) ars=K aks=1   B (N,K) bks=1 bjs=K
 *   matmulTransA A (K,M) ars=1 aks=M   B (K,N) bks=N bjs=1
 * </pre>
 * Blocking (BLIS style): K in blocks of KC; B's (KC × NR) panel, NR = 2 vectors, is packed
 * contiguous and zero-padded (so it streams from L1/L2 whatever the strides); the 6 × NR
 * micro-kernel keeps 12 accumulators in registers: per k, 2 loads of B, 6 broadcasts of A,
 * 12 FMAs (then 1 × NR for the last rows). Threads split column panels (or rows when there are few
 * panels). Every C element is the same chain of FMAs over k (from zero per KC block, then added to
 * C) whichever kernel, tile or thread computes it, so results do not depend on the split. Why 6 × 2
 * vectors and not 4 × 3 or 8 × 2: lab/simd/results/README.md (session 3, "Matmul").
 */
final class SimdMatmul {
    private final Parallel par;

    SimdMatmul(Parallel par) { this.par = par; }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length(), NR = 2 * L, MR = 6, KC = 256;
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[KC * NR]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    void gemm(String op, float[] c, int co, float[] a, int ao, int ars, int aks, float[] b, int bo, int bks, int bjs,
                     int M, int K, int N, boolean acc) {
        if (M < 0 || K < 0 || N < 0 || co + (long) M * N > c.length || ao + (long) M * K > a.length || bo + (long) K * N > b.length)
            throw new IllegalArgumentException(op + ": shapes M=" + M + " K=" + K + " N=" + N + " do not fit arrays c[" + c.length
                    + "]@" + co + " a[" + a.length + "]@" + ao + " b[" + b.length + "]@" + bo);
        if (M == 0 || N == 0) return;
        int panels = (N + NR - 1) / NR;
        long work = (long) M * N * Math.max(K, 1);
        if (panels >= 2 * par.threads || M < 2 * MR) {
            par.rows(panels, work, 1, (p0, p1) ->
                    block(c, co, a, ao, ars, aks, b, bo, bks, bjs, M, K, N, acc, 0, M, p0 * NR, Math.min(N, p1 * NR)));
        } else {
            int quads = (M + MR - 1) / MR;
            par.rows(quads, work, 1, (q0, q1) ->
                    block(c, co, a, ao, ars, aks, b, bo, bks, bjs, M, K, N, acc, q0 * MR, Math.min(M, q1 * MR), 0, N));
        }
    }

    /** C[i0:i1, j0:j1] over all of K. */
    static void block(float[] c, int co, float[] a, int ao, int ars, int aks, float[] b, int bo, int bks, int bjs,
                      int M, int K, int N, boolean acc, int i0, int i1, int j0, int j1) {
        if (!acc) for (int i = i0; i < i1; i++) Arrays.fill(c, co + i * N + j0, co + i * N + j1, 0f);
        float[] panel = PANEL.get();
        for (int k0 = 0; k0 < K; k0 += KC) {
            int kc = Math.min(KC, K - k0);
            for (int jp = j0; jp < j1; jp += NR) {
                int nr = Math.min(NR, j1 - jp);
                pack(panel, b, bo + k0 * bks + jp * bjs, bks, bjs, kc, nr);
                int aBase = ao + k0 * aks;
                int i = i0;
                if (nr == NR) {
                    for (; i + MR <= i1; i += MR) micro6(c, co + i * N + jp, N, a, aBase + i * ars, ars, aks, panel, kc);
                    for (; i < i1; i++) micro1(c, co + i * N + jp, a, aBase + i * ars, aks, panel, kc);
                } else { // partial panel: the kernels write a zeroed MR × NR tile, whose first nr columns are added to C
                    float[] tile = TILE.get();
                    for (; i < i1; i += MR) {
                        int mr = Math.min(MR, i1 - i);
                        Arrays.fill(tile, 0f);
                        if (mr == MR) micro6(tile, 0, NR, a, aBase + i * ars, ars, aks, panel, kc);
                        else for (int ii = 0; ii < mr; ii++) micro1(tile, ii * NR, a, aBase + (i + ii) * ars, aks, panel, kc);
                        for (int ii = 0; ii < mr; ii++)
                            for (int j = 0; j < nr; j++) c[co + (i + ii) * N + jp + j] += tile[ii * NR + j];
                    }
                }
            }
        }
    }

    /** panel[k·NR + jj] = B(k, jj) for k < kc, jj < nr, zero for nr ≤ jj < NR. */
    static void pack(float[] panel, float[] b, int bo, int bks, int bjs, int kc, int nr) {
        if (bjs == 1) { // rows of B are contiguous: one copy per k
            for (int k = 0; k < kc; k++) {
                System.arraycopy(b, bo + k * bks, panel, k * NR, nr);
                if (nr < NR) Arrays.fill(panel, k * NR + nr, (k + 1) * NR, 0f);
            }
        } else { // B transposed: columns of the panel are rows of b (contiguous in k)
            if (nr < NR) Arrays.fill(panel, 0, kc * NR, 0f);
            for (int jj = 0; jj < nr; jj++) {
                int src = bo + jj * bjs;
                for (int k = 0; k < kc; k++) panel[k * NR + jj] = b[src + k * bks];
            }
        }
    }

    /** C[6 rows, NR cols] += A[6 rows, kc] · panel; C row stride ldc. */
    static void micro6(float[] c, int co, int ldc, float[] a, int ao, int ars, int aks, float[] p, int kc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a0 = ao, a1 = ao + ars, a2 = ao + 2 * ars, a3 = ao + 3 * ars, a4 = ao + 4 * ars, a5 = ao + 5 * ars;
        for (int k = 0, pk = 0, ak = 0; k < kc; k++, pk += NR, ak += aks) {
            FloatVector b0 = FloatVector.fromArray(S, p, pk), b1 = FloatVector.fromArray(S, p, pk + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + ak]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + ak]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + ak]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + ak]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + ak]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + ak]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        store(c, co, c00, c01);
        store(c, co + ldc, c10, c11);
        store(c, co + 2 * ldc, c20, c21);
        store(c, co + 3 * ldc, c30, c31);
        store(c, co + 4 * ldc, c40, c41);
        store(c, co + 5 * ldc, c50, c51);
    }

    /** C[1 row, NR cols] += A[1 row, kc] · panel. */
    static void micro1(float[] c, int co, float[] a, int ao, int aks, float[] p, int kc) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0;
        for (int k = 0, pk = 0, ak = ao; k < kc; k++, pk += NR, ak += aks) {
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c0 = x.fma(FloatVector.fromArray(S, p, pk), c0);
            c1 = x.fma(FloatVector.fromArray(S, p, pk + L), c1);
        }
        store(c, co, c0, c1);
    }

    /** c[co .. co+NR) += (v0 | v1): always full width, so C2 keeps the accumulators in registers. */
    private static void store(float[] c, int co, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(S, c, co).add(v0).intoArray(c, co);
        FloatVector.fromArray(S, c, co + L).add(v1).intoArray(c, co + L);
    }
}
