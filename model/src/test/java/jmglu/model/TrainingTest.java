package jmglu.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.Rope;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.data.Dataset;
import jmglu.model.train.History;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import org.junit.jupiter.api.Test;

/** The model learns on the default backend (simd): a tiny model overfits a short text; an MGLU model's loss falls; runs repeat bit for bit. */
class TrainingTest {

    static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(40);

    static Config tiny(Config.FfnKind ffn, int nm) {
        return Config.of(256, 32, 1, 2, 64, 16, ffn, nm, Act.SILU, 0, true);
    }

    static History train(Backend be, Config c, int steps, float lr) {
        Dataset data = new Dataset(new ByteTokenizer().encode(TEXT), 0.1);
        TrainOptions o = new TrainOptions(steps, 8, lr, lr / 10, 10, 0.0f, 1.0f, steps, 2, 0, 1);
        try (Trainer t = new Trainer(be, new Transformer(c, 1), data, o, new ByteTokenizer(), null, Map.of())) {
            long t0 = System.nanoTime();
            t.run(steps, null);
            System.out.printf("%s on %s: %d steps in %.1f s, first loss %.3f, last %.3f, val %.3f%n", c.label(), be.name(), steps,
                    (System.nanoTime() - t0) * 1e-9, t.history().train.get(0)[1], t.history().lastTrain(), t.history().lastVal());
            return t.history();
        }
    }

    @Test void testsRunOnTheDefaultSimdBackend() {
        try (Backend be = Backends.open(null)) {
            assertEquals("simd", be.name(), "the model tests have simd-backend on their class path and must exercise it");
        }
    }

    @Test void tinyModelOverfitsShortText() {
        try (Backend be = Backends.open(null)) {
            History h = train(be, tiny(Config.FfnKind.GLU, 0), 150, 1e-2f);
            // the text repeats one 45-byte sentence: a model that memorised it predicts almost every byte
            assertTrue(h.lastTrain() < 0.3, "final training loss " + h.lastTrain() + " should be below 0.3 (start ≈ ln 256 = 5.5)");
        }
    }

    @Test void mgluLossFallsAndRepeatsBitForBit() {
        try (Backend be = Backends.open(null)) {
            History h = train(be, tiny(Config.FfnKind.MGLU, 4), 60, 1e-2f);
            double first = h.train.get(0)[1], last = h.lastTrain();
            assertTrue(first > 5.0, "initial loss " + first + " should be near ln 256 = 5.55");
            assertTrue(last < 2.5, "MGLU loss should fall from " + first + " below 2.5, got " + last);
            History again = train(be, tiny(Config.FfnKind.MGLU, 4), 60, 1e-2f);
            for (int i = 0; i < h.train.size(); i++)
                assertEquals(h.train.get(i)[1], again.train.get(i)[1], "step " + (i + 1) + ": the same run twice gives the same loss, bit for bit");
        }
    }

    /** Grouped-query attention (4 query heads over 2 key/value heads), head size 12 ≠ dim/nHeads, halves RoPE with llama3 scaling. */
    @Test void groupedQueryAttentionTrains() {
        Config c = new Config(256, 32, 1, 4, 2, 12, 64, 16, Config.FfnKind.GLU, 0, Act.SILU, 0, true,
                Rope.halves(10000f, new Rope.Scaling.Llama3(4f, 1f, 4f, 8)), 1e-5f);
        try (Backend be = Backends.open(null)) {
            History h = train(be, c, 60, 1e-2f);
            double first = h.train.get(0)[1], last = h.lastTrain();
            assertTrue(first > 5.0, "initial loss " + first + " should be near ln 256 = 5.55");
            assertTrue(last < 2.5, "GQA loss should fall from " + first + " below 2.5, got " + last);
        }
    }

    @Test void anInferenceModelIsNotTrained() {
        Backend inferenceOnly = new jmglu.engine.HostBackend(new jmglu.engine.ReferenceKernels(), "test");
        Dataset data = new Dataset(new ByteTokenizer().encode(TEXT), 0.1);
        TrainOptions o = new TrainOptions(1, 1, 1e-3f, 1e-4f, 0, 0f, 1f, 1, 1, 0, 1);
        Transformer packedModel = Transformer.forInference(tiny(Config.FfnKind.GLU, 0), new Transformer(tiny(Config.FfnKind.GLU, 0), 1).pack(jmglu.engine.DType.BF16), inferenceOnly);
        var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(inferenceOnly, packedModel, data, o, new ByteTokenizer(), null, Map.of()));
        assertTrue(e.getMessage().contains("inference form"), e.getMessage());
    }
}
