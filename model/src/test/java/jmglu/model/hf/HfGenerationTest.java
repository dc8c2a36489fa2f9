package jmglu.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import jmglu.api.GenerateOptions;
import jmglu.api.Model;
import jmglu.api.Session;
import jmglu.engine.io.Safetensors;
import jmglu.engine.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation from a Hugging Face folder through the API: BOS added, the text streamed whole, stopping at eos_token_id. */
class HfGenerationTest {
    static final Path TRAINED = Path.of("src/test/resources/hf/models/trained-llama3tok");
    @TempDir Path dir;

    @Test void greedyTextAsTransformersAndStopsAtEos() throws Exception {
        int[] greedy;
        try (SafetensorsFile exp = Safetensors.open(TRAINED.resolve("expected.safetensors"))) { greedy = exp.get("greedy").toInts(); }
        String prompt = "public static void main(String[] args) {";
        GenerateOptions greedy24 = new GenerateOptions(24, 0f, 0, 1, null);
        try (Model m = Model.load(TRAINED); Session s = m.newSession()) {
            StringBuilder streamed = new StringBuilder();
            Session.Generation g = s.generate(prompt, greedy24, (text, id) -> streamed.append(text));
            assertArrayEquals(greedy, g.tokens(), "the greedy ids transformers generated (after its BOS + prompt ids)");
            assertEquals(m.tokenizer().decode(greedy), g.text());
            assertEquals(g.text(), streamed.toString());
            assertEquals("max_tokens", g.stopReason());
        }
        // the same folder with eos_token_id = the 6th greedy token: generation ends before it
        Path copy = dir.resolve("m");
        Files.createDirectories(copy);
        for (String f : new String[] {"model.safetensors", "tokenizer.json"}) Files.copy(TRAINED.resolve(f), copy.resolve(f));
        String cfg = Files.readString(TRAINED.resolve("config.json")).replaceAll("\"eos_token_id\": \\d+", "\"eos_token_id\": [" + greedy[5] + "]");
        Files.writeString(copy.resolve("config.json"), cfg);
        try (Model m = Model.load(copy); Session s = m.newSession()) {
            Session.Generation g = s.generate(prompt, greedy24, null);
            assertEquals("eos", g.stopReason());
            assertEquals(5, g.tokens().length);
            assertEquals(m.tokenizer().decode(java.util.Arrays.copyOf(greedy, 5)), g.text());
        }
    }
}
