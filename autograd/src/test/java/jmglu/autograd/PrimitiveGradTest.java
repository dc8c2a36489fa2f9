package jmglu.autograd;

import jmglu.engine.Act;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Central finite differences (GradCheck) for every primitive op on tiny shapes, plus a forward
 * value worked by hand per op. Tolerance: abs 2e-3 + rel 2e-2 with ε = 1e-2 (ops in float32).
 */
class PrimitiveGradTest {
    static final F f = new F(new jmglu.engine.ReferenceKernels());
    static final double EPS = 1e-2, ABS = 2e-3, REL = 2e-2;

    @Test void add() {
        Var a = Vars.param(1, 1, 3, 4), b = Vars.param(2, 1, 3, 4);
        GradCheck.check("add", () -> f.add(a, b), EPS, ABS, REL, a, b);
        Var c = f.add(Var.constant(Tensor.of(new float[] {1, 2}, 2)), Var.constant(Tensor.of(new float[] {10, 20}, 2)));
        assertArrayEquals(new float[] {11, 22}, c.value().toArray());
    }

    @Test void mul() {
        Var a = Vars.param(3, 1, 2, 5), b = Vars.param(4, 1, 2, 5);
        GradCheck.check("mul", () -> f.mul(a, b), EPS, ABS, REL, a, b);
        GradCheck.check("mul(a, a)", () -> f.mul(a, a), EPS, ABS, REL, a);
    }

    @Test void scale() {
        Var a = Vars.param(5, 1, 7);
        GradCheck.check("scale", () -> f.scale(a, -1.75f), EPS, ABS, REL, a);
    }

    @Test void activations() {
        for (Act g : Act.values()) {
            // ReLU: inputs at least 0.1 away from the kink, so x ± ε never crosses it
            Var x = g == Act.RELU ? Vars.awayFromZero(6, 0.1, 1, 3, 5) : Vars.param(6, 1.5, 3, 5);
            GradCheck.check("act " + g, () -> f.act(g, x), EPS, ABS, REL, x);
        }
        Var y = f.act(Act.RELU, Var.constant(Tensor.of(new float[] {-1, 2}, 2)));
        assertArrayEquals(new float[] {0, 2}, y.value().toArray());
    }

    @Test void sumAndMean() {
        Var x = Vars.param(7, 1, 2, 3, 2);
        GradCheck.check("sum", () -> f.sum(x), EPS, ABS, REL, x);
        GradCheck.check("mean", () -> f.mean(x), EPS, ABS, REL, x);
        assertArrayEquals(new float[] {2.5f}, f.mean(Var.constant(Tensor.of(new float[] {1, 2, 3, 4}, 4))).value().toArray());
    }

    @Test void reshape() {
        Var x = Vars.param(8, 1, 2, 6);
        GradCheck.check("reshape", () -> f.mul(f.reshape(x, 3, -1), f.reshape(x, 3, 4)), EPS, ABS, REL, x);
    }

    @Test void softmax() {
        Var x = Vars.param(9, 1, 3, 5);
        GradCheck.check("softmax", () -> f.softmax(x), EPS, ABS, REL, x);
    }

    @Test void linear() {
        Var x = Vars.param(10, 1, 3, 5), w = Vars.param(11, 1, 4, 5);
        GradCheck.check("linear", () -> f.linear(x, w), EPS, ABS, REL, x, w);
        Var x3 = Vars.param(12, 1, 2, 3, 5);     // leading dims (B, T, in) are flattened
        GradCheck.check("linear (B, T, in)", () -> f.linear(x3, w), EPS, ABS, REL, x3, w);
        // [1 2] · [[1 0] [1 1]]ᵀ = [1, 3]
        Var y = f.linear(Var.constant(Tensor.of(new float[] {1, 2}, 1, 2)), Var.constant(Tensor.of(new float[] {1, 0, 1, 1}, 2, 2)));
        assertArrayEquals(new float[] {1, 3}, y.value().toArray());
    }

    @Test void matmul() {
        Var a = Vars.param(13, 1, 3, 4), b = Vars.param(14, 1, 4, 2);
        GradCheck.check("matmul", () -> f.matmul(a, b), EPS, ABS, REL, a, b);
        Var y = f.matmul(Var.constant(Tensor.of(new float[] {1, 2}, 1, 2)), Var.constant(Tensor.of(new float[] {1, 0, 1, 1}, 2, 2)));
        assertArrayEquals(new float[] {3, 2}, y.value().toArray());
    }

    @Test void rmsnorm() {
        Var x = Vars.param(15, 1, 3, 6), w = Vars.param(16, 1, 6);
        GradCheck.check("rmsnorm", () -> f.rmsnorm(x, w, 1e-5f), EPS, ABS, REL, x, w);
        // x = (3, 4): rms = √12.5; w = 1
        Var y = f.rmsnorm(Var.constant(Tensor.of(new float[] {3, 4}, 1, 2)), Var.constant(Tensor.of(new float[] {1, 1}, 2)), 0f);
        assertArrayEquals(new float[] {(float) (3 / Math.sqrt(12.5)), (float) (4 / Math.sqrt(12.5))}, y.value().toArray(), 1e-6f);
    }

    @Test void rope() {
        Var x = Vars.param(17, 1, 2, 3, 2, 4);
        jmglu.engine.Rope interleaved = jmglu.engine.Rope.interleaved(10000f);
        GradCheck.check("rope", () -> f.rope(x, interleaved), EPS, ABS, REL, x);
        // position 1, pair 0 rotates by exactly 1 radian
        Var y = f.rope(Var.constant(Tensor.of(new float[] {1, 0, 1, 0}, 1, 2, 1, 2)), interleaved);
        assertArrayEquals(new float[] {1, 0, (float) Math.cos(1), (float) Math.sin(1)}, y.value().toArray(), 1e-6f);
    }

    @Test void ropeHalvesWithScaling() {
        Var x = Vars.param(27, 1, 2, 5, 2, 6);
        for (jmglu.engine.Rope r : new jmglu.engine.Rope[] {jmglu.engine.Rope.halves(10000f, new jmglu.engine.Rope.Scaling.None()),
                jmglu.engine.Rope.halves(10000f, new jmglu.engine.Rope.Scaling.Llama3(4f, 1f, 4f, 16)),
                jmglu.engine.Rope.halves(500000f, new jmglu.engine.Rope.Scaling.Linear(2f))})
            GradCheck.check("rope " + r.label(), () -> f.rope(x, r), EPS, ABS, REL, x);
        // halves, hd 4, position 1: pair 0 is (x0, x2) and turns by 1 radian; pair 1 (x1, x3) by 1/100
        Var y = f.rope(Var.constant(Tensor.of(new float[] {9, 9, 9, 9, 1, 1, 0, 0}, 1, 2, 1, 4)),
                jmglu.engine.Rope.halves(10000f, new jmglu.engine.Rope.Scaling.None()));
        assertArrayEquals(new float[] {9, 9, 9, 9, (float) Math.cos(1), (float) Math.cos(0.01), (float) Math.sin(1), (float) Math.sin(0.01)},
                y.value().toArray(), 1e-6f);
    }

    @Test void repeatKv() {
        Var x = Vars.param(28, 1, 2, 3, 2, 4);                   // (B, T, nKv = 2, hd)
        GradCheck.check("repeatKv group 3", () -> f.mul(f.repeatKv(x, 3), f.repeatKv(x, 3)), EPS, ABS, REL, x);
        Var y = f.repeatKv(Var.constant(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2)), 2);
        assertArrayEquals(new float[] {1, 2, 1, 2, 3, 4, 3, 4}, y.value().toArray(), "head j reads kv head j / 2");
        assertArrayEquals(new int[] {1, 1, 4, 2}, y.shape());
    }

    @Test void attention() {
        Var q = Vars.param(18, 1, 2, 4, 2, 3), k = Vars.param(19, 1, 2, 4, 2, 3), v = Vars.param(20, 1, 2, 4, 2, 3);
        GradCheck.check("attention", () -> f.attention(q, k, v), EPS, ABS, REL, q, k, v);
        // the first position attends only to itself: out[t=0] = v[t=0]
        Var o = f.attention(q, k, v);
        for (int e = 0; e < 3; e++) assertArrayEquals(new float[] {v.value().get(1, 0, 1, e)}, new float[] {o.value().get(1, 0, 1, e)}, 1e-6f);
    }

    @Test void embedding() {
        Var table = Vars.param(21, 1, 5, 3);
        int[] ids = {4, 0, 4, 2};   // a repeated id accumulates
        GradCheck.check("embedding", () -> f.embedding(table, ids), EPS, ABS, REL, table);
        assertArrayEquals(table.value().row(4).toArray(), f.embedding(table, ids).value().row(2).toArray());
    }

    @Test void crossEntropy() {
        Var logits = Vars.param(22, 2, 4, 6);
        int[] targets = {5, 0, 3, 3};
        GradCheck.check("crossEntropy", () -> f.crossEntropy(logits, targets), EPS, ABS, REL, logits);
        // uniform logits over V = 4: loss = ln 4
        Var l = f.crossEntropy(Var.constant(Tensor.zeros(2, 4)), new int[] {1, 2});
        assertArrayEquals(new float[] {(float) Math.log(4)}, l.value().toArray(), 1e-6f);
    }

    @Test void swigluComposition() {
        Var x = Vars.param(23, 1, 3, 4), wg = Vars.param(24, 1, 5, 4), wv = Vars.param(25, 1, 5, 4), wo = Vars.param(26, 1, 4, 5);
        GradCheck.check("swiglu", () -> f.linear(f.mul(f.act(Act.SILU, f.linear(x, wg)), f.linear(x, wv)), wo), EPS, ABS, REL, x, wg, wv, wo);
    }
}
