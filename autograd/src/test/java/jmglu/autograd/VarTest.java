package jmglu.autograd;

import jmglu.engine.ReferenceKernels;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The graph machinery: accumulation, freeing after backward, zeroGrad, noGrad, kernel override. */
class VarTest {
    static final F f = new F(new jmglu.engine.ReferenceKernels());

    @Test void usingAVarTwiceAccumulatesBothPaths() {
        Var x = Var.param(Tensor.of(new float[] {1, 2, 3}, 3));
        // L = Σ (x ⊙ x + 3x)  →  dL/dx = 2x + 3
        Var loss = f.sum(f.add(f.mul(x, x), f.scale(x, 3f)));
        assertEquals(1 + 4 + 9 + 18, loss.value().get(0), 1e-5);
        loss.backward();
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toArray(), 1e-6f);
    }

    @Test void gradientsAccumulateAcrossBackwardsUntilZeroGrad() {
        Var x = Var.param(Tensor.of(new float[] {1, -2}, 2));
        f.sum(f.scale(x, 2f)).backward();
        f.sum(f.scale(x, 2f)).backward();
        assertArrayEquals(new float[] {4, 4}, x.grad().toArray());
        x.zeroGrad();
        assertArrayEquals(new float[] {0, 0}, x.grad().toArray());
        f.mean(x).backward();
        assertArrayEquals(new float[] {0.5f, 0.5f}, x.grad().toArray());
    }

    @Test void backwardFreesTheGraph() {
        Var w = Vars.param(1, 1, 3, 4), x = Var.constant(Tensor.randn(new jmglu.engine.Rng(2), 1, 2, 4));
        Var h = f.linear(x, w), a = f.act(jmglu.engine.Act.SILU, h), loss = f.mean(a);
        assertNotNull(h.op);
        loss.backward();
        for (Var v : new Var[] {h, a, loss}) {
            assertNull(v.op, "op kept after backward: " + v);
            assertNull(v.inputs, "inputs kept after backward: " + v);
            assertNull(v.grad(), "non-leaf gradient kept after backward: " + v);
        }
        assertNotNull(w.grad());
        assertNull(x.grad());
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already freed"), e.getMessage());
    }

    @Test void backwardNeedsAScalarThatDependsOnAParameter() {
        Var x = Vars.param(3, 1, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.scale(x, 2f).backward());
        assertTrue(e.getMessage().contains("scalar") && e.getMessage().contains("[2, 2]"), e.getMessage());
        Var c = Var.constant(Tensor.zeros(3));
        assertFalse(f.sum(c).requiresGrad());
        assertThrows(IllegalStateException.class, () -> f.sum(c).backward());
    }

    @Test void noGradRecordsNothing() {
        Var x = Vars.param(4, 1, 5);
        Var y = Autograd.noGrad(() -> f.sum(f.mul(x, x)));
        assertFalse(y.requiresGrad());
        assertNull(y.op);
        assertTrue(Autograd.gradEnabled());
        assertTrue(f.sum(x).requiresGrad());
    }

    @Test void opsAndTheirBackwardRunOnTheKernelsTheirFWasMadeWith() {
        int[] calls = {0, 0};
        F counted = new F(new ReferenceKernels() {
            @Override public void matmulTransB(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
                calls[0]++;
                super.matmulTransB(c, co, a, ao, b, bo, M, K, N, acc);
            }
            @Override public void matmulTransA(float[] c, int co, float[] a, int ao, float[] b, int bo, int M, int K, int N, boolean acc) {
                calls[1]++;
                super.matmulTransA(c, co, a, ao, b, bo, M, K, N, acc);
            }
        });
        Var y = counted.linear(Vars.param(5, 1, 2, 3), Vars.param(6, 1, 4, 3));
        assertEquals(1, calls[0]);
        f.sum(y).backward();                       // the sum runs on f's kernels, linear's backward on counted's
        assertEquals(1, calls[1], "dW = dyᵀ x ran on the kernels of the forward");
        f.linear(Vars.param(5, 1, 2, 3), Vars.param(6, 1, 4, 3));
        assertEquals(1, calls[0], "another F's ops do not touch these kernels");
    }

    @Test void viewsWithAnOffsetAreReadCorrectly() {
        // a parameter that is rows 1..2 of a bigger tensor: the ops must honour the offset
        Tensor big = Tensor.of(new float[] {9, 9, 1, 2, 3, 4}, 3, 2);
        Var x = Var.param(big.rows(1, 3)), w = Var.constant(Tensor.of(new float[] {1, 1}, 1, 2));
        Var y = f.linear(x, w);
        assertArrayEquals(new float[] {3, 7}, y.value().toArray());
        f.sum(y).backward();
        assertArrayEquals(new float[] {1, 1, 1, 1}, x.grad().toArray());
    }

    @Test void onlyF32() {
        Tensor bf = Tensor.zeros(2).to(jmglu.engine.DType.BF16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Var.param(bf));
        assertTrue(e.getMessage().contains("BF16"), e.getMessage());
    }
}
