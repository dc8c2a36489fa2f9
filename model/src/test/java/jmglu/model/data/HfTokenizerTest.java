package jmglu.model.data;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HfTokenizer against the Rust tokenizers library: fixtures made with tokenizers (lab/hf/make_fixtures.py)
 * give, per text, the ids without and with special tokens and both decodings; every id must match.
 * Then hand-made files for the parts the fixtures do not reach, and files that must be refused.
 */
class HfTokenizerTest {
    @TempDir Path dir;

    static String resource(String path) throws IOException {
        try (InputStream in = HfTokenizerTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing test resource " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int[] ints(JsonArray a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).getAsInt();
        return r;
    }

    /** Every fixture folder: the four made from real models' tokenizer types, and the variants of lab/hf/make_tokenizer_variants.py. */
    static List<String> fixtures() throws Exception {
        try (var s = Files.list(Path.of(HfTokenizerTest.class.getResource("/hf/tokenizers").toURI()))) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertTrue(names.containsAll(List.of("gpt2-bytelevel", "llama3-bytelevel", "llama2-sentencepiece", "metaspace-sentencepiece")), names.toString());
            return names;
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void matchesTokenizersOnEveryFixtureCase(String name) throws IOException {
        String base = "/hf/tokenizers/" + name + "/";
        Files.writeString(dir.resolve("tokenizer.json"), resource(base + "tokenizer.json"));
        Tokenizer t = Tokenizer.load(dir, 1 << 16);
        assertInstanceOf(HfTokenizer.class, t);
        JsonArray cases = JsonParser.parseString(resource(base + "cases.json")).getAsJsonArray();
        List<String> failures = new ArrayList<>();
        int pass = 0;
        for (var ce : cases) {
            JsonObject c = ce.getAsJsonObject();
            String text = c.get("text").getAsString();
            int[] ids = ints(c.getAsJsonArray("ids")), idsSpecial = ints(c.getAsJsonArray("ids_special"));
            int[] got = t.encode(text), gotSpecial = t.encode(text, true);
            String dec = t.decode(ids, false), decSkip = t.decode(idsSpecial, true);
            boolean ok = Arrays.equals(ids, got) && Arrays.equals(idsSpecial, gotSpecial)
                    && dec.equals(c.get("decoded").getAsString()) && decSkip.equals(c.get("decoded_skip").getAsString());
            // decodeBytes keeps byte tokens as bytes: the same as the exact decoding unless that holds a U+FFFD
            if (!dec.contains("\uFFFD")) ok &= Arrays.equals(dec.getBytes(StandardCharsets.UTF_8), t.decodeBytes(ids));
            if (ok) pass++;
            else failures.add(String.format("%s %s%n  ids      %s%n  got      %s%n  special  %s%n  got      %s%n  decoded  %s%n  got      %s%n  skip     %s%n  got      %s",
                    name, new com.google.gson.JsonPrimitive(text), Arrays.toString(ids), Arrays.toString(got),
                    Arrays.toString(idsSpecial), Arrays.toString(gotSpecial), c.get("decoded"), new com.google.gson.JsonPrimitive(dec), c.get("decoded_skip"),
                    new com.google.gson.JsonPrimitive(decSkip)));
        }
        if (HfTokenizerTest.class.getResource(base + "decodes.json") != null)            // id lists aimed at the decoders' corners
            for (var de : JsonParser.parseString(resource(base + "decodes.json")).getAsJsonArray()) {
                JsonObject d = de.getAsJsonObject();
                int[] ids = ints(d.getAsJsonArray("ids"));
                String dec = t.decode(ids, false), decSkip = t.decode(ids, true);
                if (!dec.equals(d.get("decoded").getAsString()) || !decSkip.equals(d.get("decoded_skip").getAsString()))
                    failures.add(name + " decode " + Arrays.toString(ids) + "\n  decoded " + d.get("decoded") + "\n  got     " + new com.google.gson.JsonPrimitive(dec)
                            + "\n  skip    " + d.get("decoded_skip") + "\n  got     " + new com.google.gson.JsonPrimitive(decSkip));
            }
        System.out.println("HfTokenizerTest " + name + ": " + pass + "/" + cases.size() + " cases match tokenizers (" + t.describe() + ")");
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases differ:\n" + String.join("\n", failures));
    }
}
