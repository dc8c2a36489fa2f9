package jmglu.model;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jmglu.autograd.Autograd;
import jmglu.engine.DType;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.decode.DecoderWeights;
import jmglu.engine.decode.KernelsDecoder;
import jmglu.engine.testing.Check;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.data.Dataset;
import jmglu.model.infer.Deploy;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints: identical logits after a round trip, exact resume, packed inference equal to training logits, NaN stop. */
class CheckpointTest {
    @TempDir Path dir;

    static final String TEXT = "class Foo { int bar(int x) { return x + 1; } }\n".repeat(30);

    static Config cfg(String ffn, int nm, int topK, boolean tied) {
        return new Config(256, 32, 2, 4, 48, 16, ffn, nm, "swish", topK, tied, 10000f, 1e-5f);
    }

    static Dataset data() { return new Dataset(new ByteTokenizer().encode(TEXT), 0.1); }

    static TrainOptions opts(int steps) { return new TrainOptions(steps, 4, 1e-2f, 1e-3f, 2, 0.1f, 1.0f, 3, 2, 0, 7); }

    static float[] logits(Transformer m, int[] ids) {
        return Autograd.noGrad(() -> m.forward(ids, 1, ids.length)).value().toArray();
    }

    static int[] ids(int T) {
        int[] all = new ByteTokenizer().encode(TEXT);
        return java.util.Arrays.copyOfRange(all, 5, 5 + T);
    }

    @Test void roundTripGivesIdenticalLogits() {
        Config c = cfg("mglu", 3, 0, false);
        Transformer a = new Transformer(c, 1);
        Trainer t = new Trainer(a, data(), opts(4), new ByteTokenizer(), dir, Map.of());
        t.run(4, null);                                              // trained weights, checkpoint at the end
        Checkpoint.Loaded l = Checkpoint.load(dir);
        assertEquals(c, l.config());
        Transformer b = new Transformer(l.config(), 99);             // different init, then loaded
        b.loadStateDict(l.contents().tensors());
        assertArrayEquals(logits(a, ids(16)), logits(b, ids(16)));
        assertEquals("4", l.meta("step"));
        assertEquals(4, Checkpoint.history(l).train.size());
    }

    @Test void resumeReproducesTheUninterruptedLossSequence() {
        Config c = cfg("mglu", 2, 0, true);
        Trainer full = new Trainer(new Transformer(c, 5), data(), opts(8), new ByteTokenizer(), null, Map.of());
        full.run(8, null);
        Trainer first = new Trainer(new Transformer(c, 5), data(), opts(8), new ByteTokenizer(), dir, Map.of());
        first.run(3, null);                                          // interrupted after step 3 (checkpoint written)
        Trainer resumed = new Trainer(new Transformer(c, 12345), data(), opts(8), new ByteTokenizer(), dir, Map.of());
        resumed.resume(Checkpoint.load(dir));
        resumed.run(8, null);
        assertEquals(losses(full.history().train), losses(resumed.history().train), "training losses, bit for bit");
        assertEquals(losses(full.history().val), losses(resumed.history().val), "validation losses");
    }

    private static List<Double> losses(List<double[]> h) {
        List<Double> out = new ArrayList<>();
        for (double[] p : h) out.add(p[1]);
        return out;
    }

    /**
     * KernelsDecoder over packed weights (bit-plane masks, one token at a time with a KV cache)
     * against the training model's full-sequence logits. F32 packing: the same numbers in a
     * different summation order, abs 1e-5 + rel 1e-4. BF16 W: each weight rounded to 8 mantissa
     * bits (relative error ≤ 2^-9 per weight), abs 0.02 + rel 0.02 on logits of size ~1.
     */
    @ParameterizedTest
    @ValueSource(strings = {"mglu", "mglu-topk", "swiglu", "gelu"})
    void packedInferenceMatchesTrainingLogits(String variant) {
        Config c = switch (variant) {
            case "mglu-topk" -> cfg("mglu", 4, 2, true);
            case "mglu" -> cfg("mglu", 4, 0, false);
            default -> cfg(variant, 0, 0, true);
        };
        Transformer m = new Transformer(c, 3);
        new Trainer(m, data(), opts(5), new ByteTokenizer(), null, Map.of()).run(5, null);   // masks away from init
        int T = 16;
        int[] ids = ids(T);
        float[] expected = logits(m, ids);                                                   // (T, V)
        double big = 0;
        for (float e : expected) big = Math.max(big, Math.abs(e));
        assertTrue(big > 1.0, "logits should be well away from 0 for the tolerances to mean something, max |logit| = " + big);
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            DecoderWeights w = Deploy.weights(c, m.stateDict(), dt);
            KernelsDecoder dec = new KernelsDecoder(new ReferenceKernels(), w, T);
            float[] got = new float[T * c.vocab()];
            for (int t = 0; t < T; t++) System.arraycopy(dec.forward(ids[t], t), 0, got, t * c.vocab(), c.vocab());
            if (dt == DType.F32) Check.close(expected, got, 1e-5, 1e-4, variant + " f32-packed decoder logits");
            else Check.close(expected, got, 0.02, 0.02, variant + " bf16-packed decoder logits");
        }
    }

    @Test void packedFileRoundTripsThroughSafetensors() {
        Config c = cfg("mglu", 4, 0, true);
        Transformer m = new Transformer(c, 3);
        Checkpoint.writeFolder(dir, c, new ByteTokenizer(), Deploy.pack(c, m.stateDict(), DType.BF16), Map.of("format", Checkpoint.PACKED));
        Checkpoint.Loaded l = Checkpoint.load(dir);
        assertTrue(l.packed());
        assertFalse(l.contents().tensors().keySet().stream().anyMatch(k -> k.contains("mask_logits")), "no logits in the packed file");
        assertEquals(jmglu.model.io.RawTensor.DT.I32, l.contents().get("layers.0.ffn.masks").dtype());
        int[] ids = ids(8);
        KernelsDecoder a = new KernelsDecoder(new ReferenceKernels(), Deploy.weights(c, l.contents().tensors(), DType.BF16), 8);
        KernelsDecoder b = new KernelsDecoder(new ReferenceKernels(), Deploy.weights(c, m.stateDict(), DType.BF16), 8);
        for (int t = 0; t < 8; t++) assertArrayEquals(b.forward(ids[t], t), a.forward(ids[t], t), "packed file = packed in memory");
    }

    @Test void nanLossStopsAndKeepsTheLastCheckpoint() {
        Config c = cfg("swiglu", 0, 0, true);
        Transformer m = new Transformer(c, 1);
        Trainer t = new Trainer(m, data(), opts(6), new ByteTokenizer(), dir, Map.of());
        t.run(2, null);                                              // checkpoint at step 2
        float[] saved = Checkpoint.load(dir).contents().get("tok_emb.weight").toFloats("t");
        m.parameters().get("layers.0.attn.wq.weight").value().data()[0] = Float.NaN;
        var e = assertThrows(Trainer.Diverged.class, () -> t.run(6, null));
        assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("NaN") && e.getMessage().contains("intact"), e.getMessage());
        Checkpoint.Loaded l = Checkpoint.load(dir);
        assertEquals("2", l.meta("step"));
        assertArrayEquals(saved, l.contents().get("tok_emb.weight").toFloats("t"));
    }
}
