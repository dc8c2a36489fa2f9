package jmglu.model.infer;

import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.model.Config;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;
import org.junit.jupiter.api.Test;

/** Sampling rules and generation past the KV-cache size. */
class GenerationTest {

    @Test void greedyAndTopOneAreArgmax() {
        float[] l = {0.1f, 2.5f, -1f, 2.4f};
        assertEquals(1, new Sampler(0f, 0, 1).next(l, l.length));
        assertEquals(1, new Sampler(1.5f, 1, 1).next(l, l.length));
    }

    @Test void topKNeverLeavesTheKBest() {
        float[] l = {0f, 1f, 5f, 4.9f, -3f, 4.8f};
        Sampler s = new Sampler(5f, 3, 42);
        int[] seen = new int[l.length];
        for (int i = 0; i < 3000; i++) seen[s.next(l, l.length)]++;
        assertEquals(0, seen[0] + seen[1] + seen[4], "only ids 2, 3, 5 are in the top 3");
        assertTrue(seen[2] > 700 && seen[3] > 700 && seen[5] > 700, "high temperature spreads over the top 3: " + java.util.Arrays.toString(seen));
    }

    @Test void sameSeedSameDraws() {
        float[] l = {0.3f, 0.1f, 0.2f, 0.4f, 0f};
        Sampler a = new Sampler(1f, 0, 9), b = new Sampler(1f, 0, 9);
        for (int i = 0; i < 50; i++) assertEquals(a.next(l, l.length), b.next(l, l.length));
    }

    @Test void badSamplingArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1f, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, -2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Float.NaN, 0, 1));
    }

    @Test void nanLogitsAreNeverSampled() {
        float[] l = {0.1f, Float.NaN, 0.3f};
        var e = assertThrows(IllegalArgumentException.class, () -> new Sampler(0f, 0, 1).next(l, 3));
        assertTrue(e.getMessage().contains("non-finite logit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, 0, 1).next(new float[] {Float.POSITIVE_INFINITY, 0f}, 2));
        assertEquals(1, new Sampler(0f, 0, 1).next(new float[] {Float.NEGATIVE_INFINITY, 0f}, 2), "-Inf is a masked token, not an error");
    }

    @Test void generatesPastTheCacheWithASlidingWindow() {
        Config c = Config.of(256, 16, 1, 2, 32, 8, Config.FfnKind.MGLU, 2, Act.SILU, 0, true);
        try (Backend be = Backends.open(null)) {
            Transformer m = Transformer.forInference(c, new Transformer(c, 1).pack(DType.BF16), be);
            int[] prompt = {65, 66, 67};
            Generator.Result r1, r2;
            try (DecodeState s = m.newState(1, c.seqLen())) { r1 = Generator.generate(m, s, prompt, 30, new Sampler(1f, 10, 5), null); }
            try (DecodeState s = m.newState(1, c.seqLen())) { r2 = Generator.generate(m, s, prompt, 30, new Sampler(1f, 10, 5), null); }
            assertEquals(33, r1.tokens().length);
            assertTrue(r1.slides() > 0, "30 tokens after a 3-token prompt outgrow a cache of 8: the window slid " + r1.slides() + " times");
            assertArrayEquals(r1.tokens(), r2.tokens(), "deterministic for a seed");
            assertArrayEquals(prompt, java.util.Arrays.copyOf(r1.tokens(), 3));
            try (DecodeState s = m.newState(1, 8)) {
                assertThrows(IllegalArgumentException.class, () -> Generator.generate(m, s, new int[0], 3, new Sampler(0, 0, 1), null));
                var stopped = Generator.generate(m, s, prompt, 10, new Sampler(0, 0, 1), id -> false);
                assertEquals(1, stopped.generated(), "a listener that says stop ends after the first token");
            }
        }
    }

    @Test void unknownDeviceIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("quantum"));
        assertTrue(e.getMessage().contains("backend 'quantum'"), e.getMessage());
    }
}
