package jmglu.model.infer;

import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.DType;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.decode.KernelsDecoder;
import jmglu.model.Config;
import jmglu.model.Transformer;
import org.junit.jupiter.api.Test;

/** Sampling rules and generation past the KV-cache size. */
class GenerationTest {

    @Test void greedyAndTopOneAreArgmax() {
        float[] l = {0.1f, 2.5f, -1f, 2.4f};
        assertEquals(1, new Sampler(0f, 0, 1).next(l));
        assertEquals(1, new Sampler(1.5f, 1, 1).next(l));
    }

    @Test void topKNeverLeavesTheKBest() {
        float[] l = {0f, 1f, 5f, 4.9f, -3f, 4.8f};
        Sampler s = new Sampler(5f, 3, 42);
        int[] seen = new int[l.length];
        for (int i = 0; i < 3000; i++) seen[s.next(l)]++;
        assertEquals(0, seen[0] + seen[1] + seen[4], "only ids 2, 3, 5 are in the top 3");
        assertTrue(seen[2] > 700 && seen[3] > 700 && seen[5] > 700, "high temperature spreads over the top 3: " + java.util.Arrays.toString(seen));
    }

    @Test void sameSeedSameDraws() {
        float[] l = {0.3f, 0.1f, 0.2f, 0.4f, 0f};
        Sampler a = new Sampler(1f, 0, 9), b = new Sampler(1f, 0, 9);
        for (int i = 0; i < 50; i++) assertEquals(a.next(l), b.next(l));
    }

    @Test void badSamplingArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1f, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, -2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Float.NaN, 0, 1));
    }

    @Test void generatesPastTheCacheWithASlidingWindow() {
        Config c = new Config(256, 16, 1, 2, 32, 8, "mglu", 2, "swish", 0, true, 10000f, 1e-5f);
        var w = Deploy.weights(c, new Transformer(c, 1).stateDict(), DType.BF16);
        int[] prompt = {65, 66, 67};
        var r1 = Generator.generate(new KernelsDecoder(new ReferenceKernels(), w, c.seqLen()), prompt, 30, new Sampler(1f, 10, 5));
        var r2 = Generator.generate(new KernelsDecoder(new ReferenceKernels(), w, c.seqLen()), prompt, 30, new Sampler(1f, 10, 5));
        assertEquals(33, r1.tokens().length);
        assertArrayEquals(r1.tokens(), r2.tokens(), "deterministic for a seed");
        assertArrayEquals(prompt, java.util.Arrays.copyOf(r1.tokens(), 3));
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(new KernelsDecoder(new ReferenceKernels(), w, 8), new int[0], 3, new Sampler(0, 0, 1)));
    }

    @Test void unknownDeviceIsAClearError() {
        Config c = new Config(256, 16, 1, 2, 32, 8, "mglu", 2, "swish", 0, true, 10000f, 1e-5f);
        var w = Deploy.weights(c, new Transformer(c, 1).stateDict(), DType.BF16);
        var e = assertThrows(IllegalArgumentException.class, () -> Generator.open(w, 8, "quantum"));
        assertTrue(e.getMessage().contains("no decoder for --device quantum"), e.getMessage());
    }
}
