package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Bad arguments to the reference kernels give one IllegalArgumentException naming the op and the
 * sizes (never an ArrayIndexOutOfBoundsException from inside a loop); good edge cases still run.
 */
class KernelArgsTest {
    final Kernels k = new ReferenceKernels();

    static void throwsNaming(String op, String part, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(op + ":") && e.getMessage().contains(part),
                "message '" + e.getMessage() + "' should start with '" + op + ":' and contain '" + part + "'");
    }

    @Test void shapeMismatchesNameTheOpAndSizes() {
        float[] six = new float[6];
        throwsNaming("matmul", "b (K,N) needs 12", () -> k.matmul(new float[8], 0, six, 0, six, 0, 2, 3, 4, false));
        throwsNaming("matmul", "c (M,N) needs 4 elements from offset 1", () -> k.matmul(new float[4], 1, six, 0, six, 0, 2, 3, 2, false));
        throwsNaming("matmulTransB", "sizes must be positive", () -> k.matmulTransB(six, 0, six, 0, six, 0, 0, 3, 2, false));
        throwsNaming("matmulTransA", "a (K,M)", () -> k.matmulTransA(six, 0, new float[5], 0, six, 0, 2, 3, 2, true));
        throwsNaming("gemv", "x (B,h)", () -> k.gemv(new float[4], new float[5], WeightMatrix.of(DType.BF16, six, 2, 3), 2));
        throwsNaming("add", "b needs 6", () -> k.add(six, 0, six, 0, six, 1, 6));
        throwsNaming("scale", "element count", () -> k.scale(six, 0, six, 0, 2f, -1));
        throwsNaming("dot", "offset -1", () -> k.dot(six, -1, six, 0, 3));
        throwsNaming("softmax", "x (rows,cols)", () -> k.softmax(six, 0, new float[5], 0, 2, 3));
        throwsNaming("rmsnorm", "w (C)", () -> k.rmsnorm(six, 0, new float[2], 0, six, 0, new float[2], 0, 2, 3, 1e-5f));
        throwsNaming("rope", "hd must be even", () -> k.rope(six, 0, six, 0, 1, 2, 1, 3, 0, Rope.interleaved(1e4f)));
        throwsNaming("ropeBackward", "x (B,T,nH,hd)", () -> k.ropeBackward(six, 0, new float[4], 0, 1, 3, 1, 2, 0, Rope.interleaved(1e4f)));
        throwsNaming("embedding", "ids[1] = 2 is outside 0..1", () -> k.embedding(six, 0, six, 0, new int[] {0, 2}, 2, 3));
        throwsNaming("embeddingBackward", "ids[0] = -1", () -> k.embeddingBackward(six, 0, six, 0, new int[] {-1, 0}, 2, 3));
        throwsNaming("crossEntropy", "targets[0] = 3 is outside 0..2", () -> k.crossEntropy(six, six, 0, new int[] {3, 0}, 2, 3));
        throwsNaming("crossEntropyBackward", "targets", () -> k.crossEntropyBackward(six, 0, six, new int[] {0}, 2, 3, 1f));
        throwsNaming("attention", "att (B,nH,T,T)", () -> k.attention(six, new float[3], six, six, six, 1, 2, 1, 3));
        throwsNaming("attentionBackward", "datt", () -> k.attentionBackward(six, six, six, new float[1], six, six, six, six, new float[4], 1, 2, 1, 3));
        throwsNaming("attentionStep", "scratch (len)", () -> k.attentionStep(new float[3], new float[3], six, six, 2, 1, 3, new float[1]));
        throwsNaming("adamw", "step", () -> k.adamw(six, six, six, six, 6, 1e-3f, 0.9f, 0.95f, 1e-8f, 0f, 0));
        WeightMatrix w = WeightMatrix.of(DType.F32, six, 2, 3);
        MaskPlanes m = MaskPacker.pack(new float[12], 2, 2, 3);
        throwsNaming("flashMglu", "x (B,h)", () -> k.flashMglu(new float[4], new float[3], w, m, 2, Act.SILU));
        throwsNaming("mgluScores", "s (nm,B,d)", () -> k.mgluScores(new float[2], new float[2], new float[3], w, m, 1));
        throwsNaming("flashMglu", "sizes must be positive", () -> k.flashMglu(new float[2], new float[3], w, m, 0, Act.SILU));
        throwsNaming("ReferenceMglu.dense", "masks (nm,d,h)", () -> ReferenceMglu.dense(new float[2], new float[3], six, six, 1, 3, 2, 2, Act.SILU));
        throwsNaming("ReferenceMglu.dense", "nm must be in 1..16, got 0", () -> ReferenceMglu.dense(new float[2], new float[3], six, six, 1, 3, 2, 0, Act.SILU));
    }

    @Test void legalEdgeCasesStillRun() {
        float[] a = {1, 2, 3};
        k.add(a, 0, a, 0, a, 0, 0);                                  // an empty elementwise range is a no-op
        assertArrayEquals(new float[] {1, 2, 3}, a);
        assertEquals(0.0, k.sum(a, 3, 0));                           // offset at the end with n = 0
        float[] c = new float[1];
        k.matmul(c, 0, a, 2, a, 1, 1, 1, 1, false);                  // 1×1×1 at offsets
        assertEquals(6f, c[0]);
    }
}
