package jmglu.gpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.engine.decode.Decoder;
import jmglu.engine.decode.DecoderWeights;
import jmglu.engine.decode.KernelsDecoder;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL decoder against KernelsDecoder(ReferenceKernels) on random tiny models (awkward
 * dim/hidden/vocab): the logits at every position must agree within abs 2e-3 + rel 2e-3.
 */
class OpenClDecoderTest {
    @BeforeAll static void need() { OpenClTesting.requireOpenCl(); }

    static DecoderWeights model(long seed, String ffn, Act act, DType dt, int nm, int topK) {
        Rng rng = new Rng(seed);
        int vocab = 37, dim = 24, nH = 3, hidden = 41, nL = 2;
        List<DecoderWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < nL; l++) {
            layers.add(new DecoderWeights.Layer(norm(rng, dim), mat(rng, dt, dim, dim), mat(rng, dt, dim, dim), mat(rng, dt, dim, dim),
                    mat(rng, dt, dim, dim), norm(rng, dim), mat(rng, dt, hidden, dim),
                    ffn.equals("swiglu") ? mat(rng, l == 0 ? dt : DType.F32, hidden, dim) : null, mat(rng, dt, dim, hidden),
                    ffn.equals("mglu") ? MaskPacker.pack(Check.randomMasks(rng, nm, hidden, dim), nm, hidden, dim) : null,
                    topK > 0 ? mat(rng, DType.F32, nm, dim) : null));
        }
        return new DecoderWeights(vocab, dim, nL, nH, hidden, 10000f, 1e-5f, ffn, act, nm, topK,
                Check.random(rng, vocab * dim), mat(rng, dt, vocab, dim), norm(rng, dim), layers);
    }

    static float[] norm(Rng rng, int n) {
        float[] a = new float[n];
        rng.fillUniform(a, 0, n, 0.5, 1.5);
        return a;
    }

    static WeightMatrix mat(Rng rng, DType dt, int rows, int cols) {
        float[] a = new float[rows * cols];
        rng.fillGaussian(a, 0, a.length, 1.0 / Math.sqrt(cols));
        return WeightMatrix.of(dt, a, rows, cols);
    }

    void compare(DecoderWeights w, String what) {
        int maxSeq = 7;
        Decoder ref = new KernelsDecoder(new ReferenceKernels(), w, maxSeq);
        try (Decoder gpu = new OpenClDecoderProvider().open(w, maxSeq)) {
            assertTrue(gpu.describe().startsWith("opencl"));
            int[] tokens = {3, 36, 0, 17, 17, 5, 29};
            for (int p = 0; p < maxSeq; p++)
                Check.close(ref.forward(tokens[p], p), gpu.forward(tokens[p], p), 2e-3, 2e-3, what + " logits at position " + p);
        }
    }

    @Test void mgluDecoderMatchesKernelsDecoder() {
        compare(model(1, "mglu", Act.SILU, DType.F16, 3, 0), "mglu silu f16");
        compare(model(2, "mglu", Act.GELU, DType.BF16, 8, 0), "mglu gelu bf16");
    }

    @Test void swigluAndGeluDecodersMatchKernelsDecoder() {
        compare(model(3, "swiglu", Act.SILU, DType.F32, 0, 0), "swiglu f32 (+ mixed dtypes in layer 1)");
        compare(model(4, "gelu", Act.GELU, DType.F16, 0, 0), "gelu f16");
    }

    @Test void topKIsRefusedWithAClearMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> new OpenClDecoderProvider().open(model(5, "mglu", Act.SILU, DType.F16, 4, 2), 4));
        assertTrue(e.getMessage().contains("Top-K"), e.getMessage());
    }
}
