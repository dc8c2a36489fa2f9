package jmglu.model;

import static org.junit.jupiter.api.Assertions.*;

import jmglu.engine.Act;
import jmglu.engine.Rope;
import org.junit.jupiter.api.Test;

/** Config: head size and RoPE in the record and in config.json (old folders load unchanged), sizes and errors. */
class ConfigTest {

    static Config llama() {
        return new Config(1000, 64, 2, 4, 2, 24, 128, 32, Config.FfnKind.GLU, 0, Act.SILU, 0, false,
                Rope.halves(500000f, new Rope.Scaling.Llama3(8f, 1f, 4f, 8192)), 1e-5f);
    }

    @Test void ofKeepsJmglusDefaults() {
        Config c = Config.of(256, 32, 2, 4, 48, 12, Config.FfnKind.GLU, 0, Act.SILU, 0, true);
        assertEquals(8, c.headDim());
        assertEquals(32, c.qDim());
        assertEquals(32, c.kvDim());
        assertEquals(Rope.interleaved(10000f), c.rope());
    }

    @Test void headDimOtherThanDimOverHeads() {
        Config c = llama();
        assertEquals(96, c.qDim());
        assertEquals(48, c.kvDim());
        // per layer: 2 norms (2C) + Wq (qDim·C) + Wk, Wv (2·kvDim·C) + Wo (C·qDim) + SwiGLU (3·d·C); untied: 2·V·C; final norm C
        long layer = 2 * 64 + 96 * 64 + 2 * 48 * 64 + 64 * 96 + 3 * 128 * 64;
        assertEquals(2L * 1000 * 64 + 64 + 2 * layer, c.weightCount());
        assertEquals(c.weightCount(), new Transformer(c, 1).parameters().values().stream().mapToLong(v -> v.value().size()).sum(),
                "weightCount is what the model allocates");
    }

    @Test void jsonRoundTrips() {
        for (Config c : new Config[] {Config.of(256, 32, 2, 4, 48, 12, Config.FfnKind.MGLU, 3, Act.SILU, 0, true), llama(),
                llama().withRope(Rope.halves(10000f, new Rope.Scaling.Linear(4f))), llama().withRope(Rope.interleaved(1e6f))})
            assertEquals(c, Config.fromJson(c.toJson(), "test"), c.toJson());
        String j = llama().toJson();
        assertTrue(j.contains("\"ropeStyle\": \"halves\"") && j.contains("\"headDim\": 24") && j.contains("\"type\": \"llama3\"")
                && j.contains("\"originalMaxPositions\": 8192"), j);
    }

    /** A config.json written before headDim and the RoPE style existed: interleaved pairs, dim/nHeads. */
    @Test void oldFoldersLoadUnchanged() {
        String old = """
                {"vocab": 256, "dim": 32, "nLayers": 1, "nHeads": 4, "nKvHeads": 2, "hidden": 48, "seqLen": 16, "ffn": "swiglu",
                 "nm": 0, "act": "swish", "topK": 0, "tiedEmbeddings": true, "ropeTheta": 500000.0, "normEps": 1e-5}""";
        Config c = Config.fromJson(old, "old");
        assertEquals(8, c.headDim());
        assertEquals(Rope.interleaved(500000f), c.rope());
    }

    @Test void badRopeAndHeadFieldsAreNamed() {
        String ok = llama().toJson();
        String[][] cases = {
                {"\"ropeStyle\": \"halves\"", "\"ropeStyle\": \"neox\"", "'ropeStyle' must be \"interleaved\" or \"halves\""},
                {"\"ropeStyle\": \"halves\"", "\"ropeStyle\": 2", "'ropeStyle' must be a string"},
                {"\"type\": \"llama3\"", "\"type\": \"yarn\"", "type must be \"linear\" or \"llama3\""},
                {"\"lowFreqFactor\"", "\"low_freq_factor\"", "no field 'low_freq_factor'"},
                {"\"highFreqFactor\": 4.0", "\"highFreqFactor\": 0.5", "lowFreqFactor < highFreqFactor"},
                {"\"headDim\": 24", "\"headDim\": 7", "headDim = 7 must be positive and even"},
                {"\"ropeTheta\": 500000.0", "\"ropeTheta\": -1", "theta must be finite and > 0"},
        };
        for (String[] c : cases) {
            assertTrue(ok.contains(c[0]), c[0] + " in " + ok);
            var e = assertThrows(IllegalArgumentException.class, () -> Config.fromJson(ok.replace(c[0], c[1]), "cfg.json"));
            assertTrue(e.getMessage().startsWith("cfg.json: ") && e.getMessage().contains(c[2]), e.getMessage());
        }
        String noHead = ok.replace("\"headDim\": 24,", "").replace("\"nHeads\": 4", "\"nHeads\": 5");
        var e = assertThrows(IllegalArgumentException.class, () -> Config.fromJson(noHead, "cfg.json"));
        assertTrue(e.getMessage().contains("not divisible by nHeads 5 (give headDim)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> llama().withRope(null));
    }
}
