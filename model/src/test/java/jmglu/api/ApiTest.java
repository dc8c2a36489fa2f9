package jmglu.api;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.data.ByteTokenizer;
import jmglu.model.train.Checkpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding API as an application uses it: load a packed folder, stream, stop, cancel, share a model between threads. */
class ApiTest {
    @TempDir Path dir;
    static final Config C = Config.of(256, 32, 2, 4, 64, 32, Config.FfnKind.MGLU, 4, Act.SILU, 0, true);

    @BeforeEach void writeModel() {
        try (var lock = ModelFolder.lock(dir)) {
            Checkpoint.writeFolder(dir, lock, C, new ByteTokenizer(), new Transformer(C, 7).pack(DType.BF16), Map.of("format", Checkpoint.PACKED));
        }
    }

    @Test void streamedPiecesMakeTheTextAndTheBudgetHolds() {
        try (Model m = Model.load(dir); Session s = m.newSession()) {
            StringBuilder streamed = new StringBuilder();
            Session.Generation g = s.generate("int x", GenerateOptions.defaults().withMaxTokens(20).withSeed(3), (t, id) -> streamed.append(t));
            assertEquals(g.text(), streamed.toString());
            assertEquals(20, g.tokens().length);
            assertEquals("max_tokens", g.stopReason());
            assertEquals(g.text(), new String(m.tokenizer().decodeBytes(g.tokens()), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test void aStopStringEndsTheTextBeforeIt() {
        try (Model m = Model.load(dir); Session s = m.newSession()) {
            Session.Generation free = s.generate("a", GenerateOptions.defaults().withMaxTokens(40).withTemperature(0f), null);
            assertTrue(free.text().length() >= 3, "greedy text: " + free.text());
            String stop = free.text().substring(2, 3);                             // a character the greedy text reaches at index ≥ 2
            int first = free.text().indexOf(stop);
            Session.Generation g = s.generate("a", GenerateOptions.defaults().withMaxTokens(40).withTemperature(0f).withStop(stop), null);
            assertEquals("stop", g.stopReason());
            assertEquals(free.text().substring(0, first), g.text(), "the text up to (not including) the first stop string");
        }
    }

    @Test void cancelFromTheListenerEndsAfterTheCurrentToken() {
        try (Model m = Model.load(dir); Session s = m.newSession()) {
            int[] seen = {0};
            Session.Generation g = s.generate("a", GenerateOptions.defaults().withMaxTokens(100), (t, id) -> { if (++seen[0] == 3) s.cancel(); });
            assertEquals("cancelled", g.stopReason());
            assertTrue(g.tokens().length <= 4, "stopped within a token of the cancel: " + g.tokens().length);
        }
    }

    @Test void oneModelServesSessionsOnSeveralThreads() throws Exception {
        try (Model m = Model.load(dir)) {
            GenerateOptions o = GenerateOptions.defaults().withMaxTokens(30).withSeed(9);
            String alone;
            try (Session s = m.newSession()) { alone = s.generate("for (", o, null).text(); }
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                Future<String>[] fs = new Future[3];
                for (int i = 0; i < 3; i++) fs[i] = pool.submit(() -> { try (Session s = m.newSession()) { return s.generate("for (", o, null).text(); } });
                for (Future<String> f : fs) assertEquals(alone, f.get(), "concurrent sessions give the sequential answer");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test void theLibraryPullsInNoCliPlotOrProgressBarLibrary() {
        for (String c : new String[] {"picocli.CommandLine", "me.tongfei.progressbar.ProgressBar", "org.knowm.xchart.XYChart"})
            assertThrows(ClassNotFoundException.class, () -> Class.forName(c), c + " must not be on the model module's class path");
    }

    @Test void badOptionsAreRefusedBeforeAnyWork() {
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.defaults().withMaxTokens(-1));
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.defaults().withMaxTokens(Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.defaults().withTemperature(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.defaults().withStop(""));
    }
}
