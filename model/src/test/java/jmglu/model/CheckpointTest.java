package jmglu.model;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jmglu.autograd.Autograd;
import jmglu.autograd.F;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.data.Dataset;
import jmglu.model.train.Checkpoint;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints on the default backend: identical logits after a round trip, exact resume, packed files, NaN stop, locks. */
class CheckpointTest {
    @TempDir Path tmp;
    Path dir;
    Backend be;

    @BeforeEach void open() { be = Backends.open(null); dir = tmp.resolve("ck"); }
    @AfterEach void close() { be.close(); }

    static final String TEXT = "class Foo { int bar(int x) { return x + 1; } }\n".repeat(30);

    static Config cfg(Config.FfnKind ffn, int nm, int topK, boolean tied) {
        return Config.of(256, 32, 2, 4, 48, 16, ffn, nm, Act.SILU, topK, tied);
    }

    static Dataset data() { return new Dataset(new ByteTokenizer().encode(TEXT), 0.1); }

    static TrainOptions opts(int steps) { return new TrainOptions(steps, 4, 1e-2f, 1e-3f, 2, 0.1f, 1.0f, 3, 2, 0, 7); }

    float[] logits(Transformer m, int[] ids) {
        F f = new F(be.kernels());
        return Autograd.noGrad(() -> m.forward(f, ids, 1, ids.length)).value().toArray();
    }

    static int[] ids(int T) {
        int[] all = new ByteTokenizer().encode(TEXT);
        return java.util.Arrays.copyOfRange(all, 5, 5 + T);
    }

    Trainer trainer(Transformer m, int steps, Path out) {
        return new Trainer(be, m, data(), opts(steps), new ByteTokenizer(), out, Map.of());
    }

    @Test void roundTripGivesIdenticalLogits() {
        Config c = cfg(Config.FfnKind.MGLU, 3, 0, false);
        Transformer a = new Transformer(c, 1);
        try (Trainer t = trainer(a, 4, dir)) { t.run(4, null); }          // trained weights, checkpoint at the end
        try (Checkpoint.Loaded l = Checkpoint.load(dir)) {
            assertEquals(c, l.config());
            Transformer b = Transformer.forTraining(l.config(), l.tensors());
            assertArrayEquals(logits(a, ids(16)), logits(b, ids(16)));
            assertEquals(4, Checkpoint.step(l));
            assertEquals(4, Checkpoint.history(l).train.size());
            assertTrue(l.tensors().get("tok_emb.weight").isReadOnly(), "loaded weights are a read-only mapping of the file, not a heap copy");
        }
    }

    @Test void resumeReproducesTheUninterruptedLossSequence() {
        Config c = cfg(Config.FfnKind.MGLU, 2, 0, true);
        List<Double> full, resumed;
        try (Trainer t = trainer(new Transformer(c, 5), 8, null)) { t.run(8, null); full = losses(t.history().train); }
        try (Trainer t = trainer(new Transformer(c, 5), 8, dir)) { t.run(3, null); }     // interrupted after step 3 (checkpoint written)
        try (Checkpoint.Loaded l = Checkpoint.load(dir);
             Trainer t = trainer(Transformer.forTraining(l.config(), l.tensors()), 8, dir)) {
            t.resume(l);
            t.run(8, null);
            resumed = losses(t.history().train);
        }
        assertEquals(full, resumed, "training losses, bit for bit");
    }

    private static List<Double> losses(List<double[]> h) {
        List<Double> out = new ArrayList<>();
        for (double[] p : h) out.add(p[1]);
        return out;
    }

    @Test void packedFolderRoundTripsAndDecodesLikeTheInMemoryPack() {
        Config c = cfg(Config.FfnKind.MGLU, 4, 0, true);
        Transformer m = new Transformer(c, 3);
        var packed = m.pack(DType.BF16);
        try (var lock = jmglu.engine.io.ModelFolder.lock(dir)) {
            Checkpoint.writeFolder(dir, lock, c, new ByteTokenizer(), packed, Map.of("format", Checkpoint.PACKED));
        }
        try (Checkpoint.Loaded l = Checkpoint.load(dir)) {
            assertTrue(l.packed());
            assertFalse(l.tensors().keySet().stream().anyMatch(k -> k.contains("mask_logits")), "no logits in the packed file");
            assertEquals(DType.I32, l.tensors().get("layers.0.ffn.masks").dtype());
            assertEquals(DType.BF16, l.tensors().get("layers.0.ffn.w").dtype());
            Transformer a = Transformer.forInference(c, l.tensors(), be), b = Transformer.forInference(c, packed, be);
            int[] ids = ids(8);
            try (DecodeState sa = a.newState(1, 8); DecodeState sb = b.newState(1, 8)) {
                for (int t = 0; t < 8; t++)
                    assertArrayEquals(b.decode(sb, new int[] {ids[t]}, new int[] {t}).clone(), a.decode(sa, new int[] {ids[t]}, new int[] {t}),
                            "mapped packed file = packed in memory");
            }
        }
    }

    @Test void nanStopsTrainingAndKeepsTheLastCheckpoint() {
        Config c = cfg(Config.FfnKind.GLU, 0, 0, true);
        Transformer m = new Transformer(c, 1);
        try (Trainer t = trainer(m, 6, dir)) {
            t.run(2, null);                                              // checkpoint at step 2
            float[] saved;
            try (Checkpoint.Loaded l = Checkpoint.load(dir)) { saved = l.tensors().get("tok_emb.weight").toArray(); }
            m.parameters().get("layers.0.attn.wq.weight").value().data()[0] = Float.NaN;
            var e = assertThrows(Trainer.Diverged.class, () -> t.run(6, null));
            assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("NaN") && e.getMessage().contains("intact"), e.getMessage());
            try (Checkpoint.Loaded l = Checkpoint.load(dir)) {
                assertEquals(2, Checkpoint.step(l));
                assertArrayEquals(saved, l.tensors().get("tok_emb.weight").toArray());
            }
        }
    }

    @Test void aSecondWriterIsRefusedAtOnceNamingTheHolder() {
        Config c = cfg(Config.FfnKind.GLU, 0, 0, true);
        try (Trainer first = trainer(new Transformer(c, 1), 2, dir)) {
            var e = assertThrows(RuntimeException.class, () -> trainer(new Transformer(c, 2), 2, dir));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            first.run(2, null);
        }
        try (Trainer again = trainer(new Transformer(c, 2), 2, dir)) { assertNotNull(again); }      // released on close
    }

    @Test void aFolderWithoutItsTokenizerIsRefusedWhenTheVocabularyIsNotBytes() throws Exception {
        Config c = cfg(Config.FfnKind.GLU, 0, 0, true).withVocab(300);
        try (var lock = jmglu.engine.io.ModelFolder.lock(dir)) {
            Checkpoint.writeFolder(dir, lock, c, new ByteTokenizer(), new Transformer(c, 1).pack(DType.BF16), Map.of("format", Checkpoint.PACKED));
        }
        Files.delete(dir.resolve(Checkpoint.TOKENIZER));
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("no tokenizer.json"), e.getMessage());
    }
}
