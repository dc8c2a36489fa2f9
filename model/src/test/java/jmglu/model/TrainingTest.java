package jmglu.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.data.Dataset;
import jmglu.model.train.History;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import org.junit.jupiter.api.Test;

/** The model learns: a tiny model overfits a short text; an MGLU model's loss falls. */
class TrainingTest {

    static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(40);

    static Config tiny(String ffn, int nm) {
        return new Config(256, 32, 1, 2, 64, 16, ffn, nm, "swish", 0, true, 10000f, 1e-5f);
    }

    static History train(Config c, int steps, float lr) {
        Dataset data = new Dataset(new ByteTokenizer().encode(TEXT), 0.1);
        TrainOptions o = new TrainOptions(steps, 8, lr, lr / 10, 10, 0.0f, 1.0f, steps, 2, 0, 1);
        Trainer t = new Trainer(new Transformer(c, 1), data, o, new ByteTokenizer(), null, Map.of());
        long t0 = System.nanoTime();
        t.run(steps, null);
        System.out.printf("%s: %d steps in %.1f s, first loss %.3f, last %.3f, val %.3f%n", c.label(), steps, (System.nanoTime() - t0) * 1e-9,
                t.history().train.get(0)[1], t.history().lastTrain(), t.history().lastVal());
        return t.history();
    }

    @Test void tinyModelOverfitsShortText() {
        History h = train(tiny("swiglu", 0), 150, 1e-2f);
        // the text repeats one 45-byte sentence: a model that memorised it predicts almost every byte
        assertTrue(h.lastTrain() < 0.3, "final training loss " + h.lastTrain() + " should be below 0.3 (start ≈ ln 256 = 5.5)");
    }

    @Test void mgluLossFalls() {
        History h = train(tiny("mglu", 4), 60, 1e-2f);
        double first = h.train.get(0)[1], last = h.lastTrain();
        assertTrue(first > 5.0, "initial loss " + first + " should be near ln 256 = 5.55");
        assertTrue(last < 2.5, "MGLU loss should fall from " + first + " below 2.5, got " + last);
    }
}
