package jmglu.autograd.ops;

import jmglu.autograd.Op;
import jmglu.autograd.Var;
import jmglu.engine.Kernels;
import jmglu.engine.Tensor;

/**
 * c (M, N) = a (M, K) · b (K, N).
 * Backward: da (M, K) += dc · bᵀ;  db (K, N) += aᵀ · dc.
 */
public final class Matmul extends Op {
    private final Var a, b;
    private final int M, K, N;

    private Matmul(Var a, Var b, int M, int K, int N) {
        super("matmul");
        this.a = a; this.b = b; this.M = M; this.K = K; this.N = N;
    }

    public static Var apply(Kernels kn, Var a, Var b) {
        Shapes.rank("matmul", "a", a, 2);
        Shapes.rank("matmul", "b", b, 2);
        int M = a.shape()[0], K = a.shape()[1], N = b.shape()[1];
        if (b.shape()[0] != K)
            throw Shapes.fail("matmul", "a " + Shapes.str(a) + " and b " + Shapes.str(b) + ": inner dimensions differ");
        Tensor av = a.value(), bv = b.value(), c = Tensor.zeros(M, N);
        kn.matmul(c.data(), 0, av.data(), av.offset(), bv.data(), bv.offset(), M, K, N, false);
        return new Matmul(a, b, M, K, N).record(kn, c, a, b);
    }

    @Override protected void backward(Tensor dc) {
        Kernels k = kernels;
        Tensor av = a.value(), bv = b.value();
        // da = dc (M, N) · bᵀ with b stored (K, N): matmulTransB with "B" (rows K, cols N)
        if (needs(a)) k.matmulTransB(grad(a), 0, dc.data(), 0, bv.data(), bv.offset(), M, N, K, true);
        // db = aᵀ · dc with a stored (M, K): matmulTransA(M'=K, K'=M, N)
        if (needs(b)) k.matmulTransA(grad(b), 0, av.data(), av.offset(), dc.data(), 0, K, M, N, true);
    }
}
