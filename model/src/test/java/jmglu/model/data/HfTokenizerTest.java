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

    // ---- hand-made files ----

    static final String MODEL = "{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,\"<s>\":3},\"merges\":[\"a b\"]}";

    /** A minimal HF tokenizer.json with one extra top-level field (or none). */
    static String file(String extra) {
        return "{\"version\":\"1.0\",\"model\":" + MODEL + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    Tokenizer load(String json, int modelVocab) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), json);
        return Tokenizer.load(dir, modelVocab);
    }

    void refused(String json, String... expected) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), json);
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir, 1 << 20));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), "the message names the file: " + e.getMessage());
        for (String x : expected) assertTrue(e.getMessage().contains(x), "expected '" + x + "' in: " + e.getMessage());
    }

    @Test void aMinimalFileEncodesAndTheApiAnswers() throws IOException {
        Tokenizer t = load(file("\"added_tokens\":[{\"id\":3,\"content\":\"<s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}],\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[3],\"tokens\":[\"<s>\"]}}}"), 4);
        assertArrayEquals(new int[] {2, 0, 3, 1}, t.encode("aba<s>b"));
        assertArrayEquals(new int[] {3, 2, 0}, t.encode("aba", true));
        assertArrayEquals(new int[] {}, t.encode("xyz"), "no unk_token and no byte_fallback: unknown characters are dropped");
        assertEquals("ab a <s> b", t.decode(new int[] {2, 0, 3, 1}), "without a decoder tokens are joined by spaces");
        assertEquals("ab a b", t.decode(new int[] {2, 0, 3, 1}, true));
        assertEquals("ab", t.decode(new int[] {2, 99}), "ids no token has are dropped");
        assertEquals(java.util.OptionalInt.of(3), t.tokenId("<s>"));
        assertEquals(java.util.OptionalInt.empty(), t.tokenId("zz"));
        assertTrue(t.isSpecial(3));
        assertFalse(t.isSpecial(2));
        assertEquals(4, t.vocabSize());
        assertEquals("hf-bpe:plain 4", t.describe());
        Tokenizer back = load(t.toJson().toString(), 4);                        // saved beside a checkpoint and read again
        assertArrayEquals(t.encode("aba<s>b", true), back.encode("aba<s>b", true));
        var e = assertThrows(IllegalArgumentException.class, () -> load(file(""), 3));
        assertTrue(e.getMessage().contains("tokenizer has 4 symbols but the model's vocabulary is 3"), e.getMessage());
    }

    @Test void jmglusOwnTokenizersKeepTheirAnswers() {
        Tokenizer b = new ByteTokenizer();
        assertArrayEquals(b.encode("hé"), b.encode("hé", true));
        assertEquals("hé", b.decode(b.encode("hé"), true));
        assertFalse(b.isSpecial(0));
        assertTrue(b.tokenId("a").isEmpty());
    }

    @Test void decodeBytesKeepsAPartialCharacterThatDecodeReplaces() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), resource("/hf/tokenizers/gpt2-bytelevel/tokenizer.json"));
        Tokenizer t = Tokenizer.load(dir, 1 << 16);
        int[] ids = t.encode("€");                                              // E2 82 AC
        byte[] whole = t.decodeBytes(ids);
        assertArrayEquals("€".getBytes(StandardCharsets.UTF_8), whole);
        int[] first = {t.tokenId(String.valueOf(ByteLevel.BYTE_TO_CHAR[0xE2])).orElseThrow()};
        assertArrayEquals(new byte[] {(byte) 0xE2}, t.decodeBytes(first), "a streaming decoder gets the byte itself");
        assertEquals("\uFFFD", t.decode(first), "tokenizers' decode: String::from_utf8_lossy");
    }

    @Test void theByteAlphabetIsGpt2s() {
        assertEquals('Ġ', ByteLevel.BYTE_TO_CHAR[' ']);
        assertEquals('Ċ', ByteLevel.BYTE_TO_CHAR['\n']);
        assertEquals('!', ByteLevel.BYTE_TO_CHAR['!']);
        assertEquals('ł', ByteLevel.BYTE_TO_CHAR[0xA0]);
        assertEquals('Ń', ByteLevel.BYTE_TO_CHAR[0xAD]);
        for (int b = 0; b < 256; b++) assertEquals(b, ByteLevel.CHAR_TO_BYTE[ByteLevel.BYTE_TO_CHAR[b]]);
    }

    @Test void splitBehavioursFollowTokenizers() {
        // tokenizers' own example: "the-final--countdown" split on '-'
        HfText t = HfText.original("the-final--countdown", 0, 20);
        String[][] expect = {
                {"the", "final", "countdown"},                                   // Removed
                {"the", "-", "final", "-", "-", "countdown"},                    // Isolated
                {"the-", "final-", "-", "countdown"},                            // MergedWithPrevious
                {"the", "-final", "-", "-countdown"},                            // MergedWithNext
                {"the", "-", "final", "--", "countdown"}};                       // Contiguous
        HfText.Behavior[] bs = {HfText.Behavior.REMOVED, HfText.Behavior.ISOLATED, HfText.Behavior.MERGED_WITH_PREVIOUS,
                HfText.Behavior.MERGED_WITH_NEXT, HfText.Behavior.CONTIGUOUS};
        for (int i = 0; i < bs.length; i++) {
            List<HfText> out = new ArrayList<>();
            t.split(HfText.matches(t.s, cp -> cp == '-'), bs[i], false, out);
            assertEquals(List.of(expect[i]), out.stream().map(x -> x.s).toList(), bs[i].toString());
        }
    }

    @Test void stripDecoderCutsBothEnds() {
        byte[] sp = {' '};
        assertEquals(" a", new String(HfDecoders.strip("   a  ".getBytes(StandardCharsets.UTF_8), sp, 2, 5), StandardCharsets.UTF_8));
        assertEquals("", new String(HfDecoders.strip("  ".getBytes(StandardCharsets.UTF_8), sp, 1, 1), StandardCharsets.UTF_8));
    }

    @Test void unsupportedComponentsAreRefusedByName() throws IOException {
        refused("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", "model type 'WordPiece'");
        refused("{\"model\":{\"type\":\"BPE\",\"dropout\":0.1,\"vocab\":{},\"merges\":[]}}", "dropout");
        refused("{\"model\":{\"type\":\"BPE\",\"continuing_subword_prefix\":\"##\",\"vocab\":{},\"merges\":[]}}", "continuing_subword_prefix");
        refused("{\"model\":{\"type\":\"BPE\",\"end_of_word_suffix\":\"</w>\",\"vocab\":{},\"merges\":[]}}", "end_of_word_suffix");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[],\"cache_capacity\":5}}", "'cache_capacity'");
        refused(file("\"normalizer\":{\"type\":\"BertNormalizer\"}"), "normalizer type 'BertNormalizer'");
        refused(file("\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"\"}]}"), "'Precompiled'");
        refused(file("\"pre_tokenizer\":{\"type\":\"Whitespace\"}"), "pre_tokenizer type 'Whitespace'");
        refused(file("\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"_\",\"prepend_scheme\":\"sometimes\"}"), "prepend_scheme 'sometimes'");
        refused(file("\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"^a\"},\"behavior\":\"Isolated\",\"invert\":false}"), "line anchor");
        refused(file("\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\h+\"},\"behavior\":\"Isolated\",\"invert\":false}"), "\\h");
        refused(file("\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(a\"},\"behavior\":\"Isolated\",\"invert\":false}"), "regex '(a'");
        refused(file("\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"Sideways\",\"invert\":false}"), "behavior 'Sideways'");
        refused(file("\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\"}"), "decoder type 'WordPiece'");
        refused(file("\"post_processor\":{\"type\":\"BertProcessing\"}"), "post_processor type 'BertProcessing'");
        refused(file("\"truncation\":{\"max_length\":8}"), "truncation");
        refused(file("\"padding\":{\"length\":8}"), "padding");
        refused(file("\"decoder\":{\"type\":\"ByteLevel\",\"shiny\":true}"), "'shiny'");
        refused(file("\"version\":\"2.0\""), "version");
    }

    @Test void malformedAndOversizedFilesAreRefused() throws IOException {
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a b\"]}}", "not in the vocabulary");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a a a\"]}}", "not two tokens");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[[\"a\"]]}}", "neither");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":2097152},\"merges\":[]}}", "not an id in 0..2097151");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":1.5},\"merges\":[]}}", "not an id");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}", "gives id 0 to both");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":[],\"merges\":[]}}", "vocab is not a JSON object");
        refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[],\"unk_token\":\"<unk>\"}}", "unk_token '<unk>' is not in the vocabulary");
        refused(file("\"added_tokens\":[{\"id\":9,\"content\":\"x\"}]"), "has no \"single_word\"");
        refused(file("\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<bos>\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"special_tokens\":{}}"), "special_tokens['<bos>']");
        StringBuilder deep = new StringBuilder("{\"type\":\"NFC\"}");
        for (int i = 0; i < 20; i++) deep.insert(0, "{\"type\":\"Sequence\",\"normalizers\":[").append("]}");
        refused(file("\"normalizer\":" + deep), "nested deeper");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {");
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir, 1 << 20));
        try (var f = new java.io.RandomAccessFile(dir.resolve("tokenizer.json").toFile(), "rw")) { f.setLength((64L << 20) + 1); }
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir, 1 << 20));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }
}
