package jmglu.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import jmglu.engine.Act;
import jmglu.engine.Rope;
import jmglu.model.Config;
import org.junit.jupiter.api.Test;

/** config.json as transformers writes it (both forms) → jmglu's Config, and what is refused. */
class HfConfigTest {
    static JsonObject json(String s) { return JsonParser.parseString(s).getAsJsonObject(); }

    static final String BASE = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 96,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256,
             "rms_norm_eps": 1e-05, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": [2, 7], "hidden_act": "silu" %s}""";

    static HfConfig.Parsed parse(String extra) { return HfConfig.parse(json(BASE.formatted(extra)), "config.json"); }

    @Test void oldAndNewFormsGiveTheSameConfig() {
        HfConfig.Parsed a = parse(", \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}");
        HfConfig.Parsed b = parse(", \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}");
        assertEquals(a.config(), b.config());
        Config c = a.config();
        assertEquals(new Rope(500000f, true, new Rope.Scaling.Llama3(8f, 1f, 4f, 8192)), c.rope());
        assertEquals(2, c.nKvHeads());
        assertEquals(16, c.headDim());
        assertEquals(Config.FfnKind.GLU, c.ffn());
        assertEquals(Act.SILU, c.act());
        assertEquals(1, a.bosId());
        assertArrayEquals(new int[] {2, 7}, a.eosIds());
    }

    @Test void defaultsWhereTransformersHasThem() {
        Config c = parse(", \"head_dim\": null").config();
        assertEquals(new Rope(10000f, true, new Rope.Scaling.None()), c.rope());
        assertEquals(16, c.headDim());
        assertEquals(256, c.seqLen());
    }

    @Test void slidingWindowBoundsTheContext() {
        assertEquals(100, parse(", \"sliding_window\": 100").config().seqLen());
    }

    @Test void theFixturesParse() {
        Config c = jmglu.model.train.Checkpoint.load(Path.of("src/test/resources/hf/models/headdim-f16-linearrope")).config();
        assertEquals(16, c.headDim());
        assertEquals(48, c.dim());
        assertEquals(new Rope(500f, true, new Rope.Scaling.Linear(2f)), c.rope());
    }

    @Test void refusesWhatItCannotRunExactly() {
        String[][] bad = {
                {", \"attention_bias\": true", "attention_bias"},
                {", \"mlp_bias\": true", "mlp_bias"},
                {", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}", "yarn"},
                {", \"hidden_act\": \"gelu\"", "hidden_act 'gelu'"},
                {", \"num_key_value_heads\": \"two\"", "num_key_value_heads"},
                {", \"head_dim\": 7", "even"},
        };
        for (String[] b : bad) {
            var e = assertThrows(IllegalArgumentException.class, () -> parse(b[0]), b[0]);
            assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
            assertTrue(e.getMessage().contains(b[1]), b[1] + " not named in: " + e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> HfConfig.parse(json("{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\"}"), "c"));
        assertTrue(e.getMessage().contains("Qwen2ForCausalLM is not supported"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HfConfig.parse(json("{\"model_type\": \"llama\", \"hidden_size\": 64}"), "c"));
        assertTrue(e.getMessage().contains("num_attention_heads"), e.getMessage());
    }

    @Test void exportedJsonReadsBack() {
        Config c = parse("").config();
        String j = HfConfig.toJson(c, 1, new int[] {2}, "float32");
        HfConfig.Parsed p = HfConfig.parse(json(j), "exported");
        assertEquals(c, p.config());
        assertArrayEquals(new int[] {2}, p.eosIds());
    }
}
