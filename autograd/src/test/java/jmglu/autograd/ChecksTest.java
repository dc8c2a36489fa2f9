package jmglu.autograd;

import jmglu.engine.Act;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input: one IllegalArgumentException naming the op and the shapes. */
class ChecksTest {
    static final F f = new F(new jmglu.engine.ReferenceKernels());

    static String fails(Executable e) { return assertThrows(IllegalArgumentException.class, e).getMessage(); }

    static void mentions(String msg, String... parts) {
        for (String p : parts) assertTrue(msg.contains(p), "message '" + msg + "' should mention '" + p + "'");
    }

    static Var z(int... shape) { return Var.param(Tensor.zeros(shape)); }

    @Test void linearAndMatmul() {
        assertEquals("linear: x (4, 8) and w (3, 7): inner dimensions differ", fails(() -> f.linear(z(4, 8), z(3, 7))));
        mentions(fails(() -> f.linear(z(4, 8), z(8))), "linear", "w", "rank 2", "(8,)");
        mentions(fails(() -> f.matmul(z(2, 3), z(4, 5))), "matmul", "(2, 3)", "(4, 5)");
    }

    @Test void elementwise() {
        mentions(fails(() -> f.add(z(2, 3), z(3, 2))), "add", "(2, 3)", "(3, 2)");
        mentions(fails(() -> f.mul(z(2, 3), z(6))), "mul", "(2, 3)", "(6,)");
        mentions(fails(() -> f.scale(z(2), Float.NaN)), "scale");
        mentions(fails(() -> f.reshape(z(2, 3), 4, 2)), "reshape", "(2, 3)");
    }

    @Test void normsPositionsAttention() {
        mentions(fails(() -> f.rmsnorm(z(2, 4), z(5), 1e-5f)), "rmsnorm", "(2, 4)", "(5,)");
        mentions(fails(() -> f.rope(z(1, 2, 2, 3), jmglu.engine.Rope.interleaved(1e4f))), "rope", "(1, 2, 2, 3)", "even");
        mentions(fails(() -> f.rope(z(2, 4), jmglu.engine.Rope.interleaved(1e4f))), "rope", "rank 4");
        mentions(fails(() -> f.attention(z(1, 2, 2, 4), z(1, 3, 2, 4), z(1, 2, 2, 4))), "attention", "(1, 2, 2, 4)", "(1, 3, 2, 4)");
    }

    @Test void embeddingAndCrossEntropy() {
        mentions(fails(() -> f.embedding(z(5, 3), new int[] {1, 5})), "embedding", "id 5", "(5, 3)");
        mentions(fails(() -> f.embedding(z(5, 3), new int[] {-1})), "embedding", "id -1");
        mentions(fails(() -> f.crossEntropy(z(2, 4), new int[] {0, 4})), "crossEntropy", "target 4", "(2, 4)");
        mentions(fails(() -> f.crossEntropy(z(2, 4), new int[] {0})), "crossEntropy", "2 rows", "1 targets");
        Var nan = Var.param(Tensor.of(new float[] {0, 1, Float.NaN, 2}, 2, 2));
        mentions(fails(() -> f.crossEntropy(nan, new int[] {0, 1})), "crossEntropy", "NaN", "row 1");
        Var inf = Var.param(Tensor.of(new float[] {0, Float.POSITIVE_INFINITY}, 1, 2));
        mentions(fails(() -> f.crossEntropy(inf, new int[] {0})), "crossEntropy", "Infinity");
    }

    @Test void mglu() {
        mentions(fails(() -> f.mglu(z(2, 4), z(3, 5), z(2, 3, 5), Act.SILU)), "mglu", "(2, 4)", "(3, 5)");
        mentions(fails(() -> f.mglu(z(2, 5), z(3, 5), z(2, 3, 4), Act.SILU)), "mglu", "maskLogits (2, 3, 4)", "(3, 5)");
        mentions(fails(() -> f.mglu(z(2, 5), z(3, 5), z(17, 3, 5), Act.SILU)), "mglu", "nm must be in 1..16", "(17, 3, 5)");
        mentions(fails(() -> f.mglu(z(2, 5), z(3, 5), z(3, 5), Act.SILU)), "mglu", "maskLogits", "rank 3");
        f.mglu(z(2, 5), z(3, 5), z(16, 3, 5), Act.SILU);   // nm = 16 is allowed
    }

    @Test void mgluTopK() {
        mentions(fails(() -> f.mgluTopK(z(2, 5), z(3, 5), z(4, 3, 5), z(3, 5), 2, Act.SILU)), "mgluTopK", "router (3, 5)", "(4, 5)");
        mentions(fails(() -> f.mgluTopK(z(2, 5), z(3, 5), z(4, 3, 5), z(4, 5), 5, Act.SILU)), "mgluTopK", "k must be in 1..4", "got 5");
        mentions(fails(() -> f.mgluTopK(z(2, 5), z(3, 5), z(4, 3, 5), z(4, 5), 0, Act.SILU)), "mgluTopK", "k must be");
        mentions(fails(() -> f.mgluTopK(z(2, 5), z(3, 5), z(17, 3, 5), z(17, 5), 2, Act.SILU)), "mgluTopK", "nm must be in 1..16");
    }
}
