package jmglu.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import jmglu.api.Model;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.io.Safetensors;
import jmglu.engine.io.SafetensorsFile;
import jmglu.model.DecodeState;
import jmglu.model.infer.Sampler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * jmglu's exports in PyTorch: three small jmglu models (SwiGLU with GQA and interleaved RoPE, SwiMGLU
 * nm=3, GeMGLU nm=4 top-2; trained a few steps here) were exported with `jmglu export --format hf`
 * (src/test/resources/hf/export), and on the GPU machine lab/hf/check_export.py loaded them with
 * transformers' LlamaForCausalLM (SwiGLU) or the exported jmglu_mglu.py (MGLU) and saved the ids its
 * tokenizers library encoded, the logits and, for Llama, a greedy continuation (hf/export-torch).
 * jmglu, on the default backend, must give the same: logits within 1e-4 relative + 1e-4 absolute.
 */
class HfExportParityTest {
    static final Path EXPORT = Path.of("src/test/resources/hf/export"), TORCH = Path.of("src/test/resources/hf/export-torch");

    @ParameterizedTest
    @ValueSource(strings = {"swiglu", "mglu", "mglu-topk"})
    void pytorchGivesJmglusLogits(String name) {
        try (SafetensorsFile exp = Safetensors.open(TORCH.resolve(name + ".safetensors")); Backend be = Backends.open(null);
             Model m = Model.load(EXPORT.resolve(name), be)) {
            int[] ids = exp.get("ids").toInts();
            assertArrayEquals(ids, m.tokenizer().encode("The MGLU kernel reads W once: x (B, h) -> y.", true), "jmglu's tokenizer.json as the tokenizers library reads it");
            float[] want = exp.get("logits").toArray();
            int V = m.config().vocab();
            try (DecodeState s = m.transformer().newState(1, ids.length + 8)) {
                float[] l = null;
                for (int p = 0; p < ids.length; p++) {
                    l = m.transformer().decode(s, new int[] {ids[p]}, new int[] {p});
                    for (int v = 0; v < V; v++) assertEquals(want[p * V + v], l[v], 1e-4 * (1 + Math.abs(want[p * V + v])), name + " position " + p);
                }
                if (exp.tensors().containsKey("greedy")) {
                    int[] greedy = exp.get("greedy").toInts();
                    for (int g = 0; g < greedy.length; g++) {
                        int next = Sampler.argmax(l, V);
                        assertEquals(greedy[g], next, name + ": greedy token " + g);
                        l = m.transformer().decode(s, new int[] {next}, new int[] {ids.length + g});
                    }
                }
            }
        }
        assertTrue(Files.exists(EXPORT.resolve(name).resolve("tokenizer.json")));
    }
}
