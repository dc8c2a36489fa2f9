package jmglu.model.data;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Text ↔ token ids. Both tokenizers work on the UTF-8 bytes of the text, so any input can be
 * encoded and decoding never loses bytes: {@link ByteTokenizer} (256 symbols, the default) and
 * {@link BpeTokenizer} (byte-pair merges learned from the corpus). Saved as tokenizer.json beside
 * the checkpoint. A Hugging Face tokenizer.json (one with a top-level "model" object) is read as an
 * {@link HfTokenizer}, which encodes and decodes exactly as the Rust tokenizers library does.
 */
public interface Tokenizer {

    int vocabSize();

    int[] encode(String text);

    /** With addSpecial, the ids the tokenizer's post-processor adds (e.g. BOS); jmglu's own tokenizers add none. */
    default int[] encode(String text, boolean addSpecial) { return encode(text); }

    /** The UTF-8 bytes of the ids (a partial character decodes as U+FFFD). */
    byte[] decodeBytes(int[] ids);

    default String decode(int[] ids) {
        return new String(decodeBytes(ids), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Decoded text, leaving out special tokens if skipSpecial (jmglu's own tokenizers have none). */
    default String decode(int[] ids, boolean skipSpecial) { return decode(ids); }

    /** The id of a token given as its vocabulary string (e.g. "<|eot_id|>"), if there is one. */
    default java.util.OptionalInt tokenId(String token) { return java.util.OptionalInt.empty(); }

    /** Whether id is a special token (BOS, EOS…), which decode(ids, true) leaves out. */
    default boolean isSpecial(int id) { return false; }

    /** "byte", "bpe:512", "hf-bpe:byte-level 128256". */
    String describe();

    JsonObject toJson();

    /**
     * This tokenizer as a Hugging Face tokenizer.json that encodes the same ids (what `jmglu export`
     * writes for transformers' AutoTokenizer), or null when it cannot be written as one.
     */
    default JsonObject toHfJson() { return null; }

    /** "byte" or "bpe:N": the tokenizer to build for a corpus (BPE trains on it). */
    static Tokenizer create(String spec, String corpus) {
        if (spec.equals("byte")) return new ByteTokenizer();
        if (spec.startsWith("bpe:")) {
            int n;
            try { n = Integer.parseInt(spec.substring(4)); } catch (NumberFormatException e) { n = -1; }
            if (n <= 256 || n > BpeTokenizer.MAX_VOCAB) throw new IllegalArgumentException("--tokenizer bpe:N needs 256 < N <= " + BpeTokenizer.MAX_VOCAB + ", got '" + spec + "'");
            return BpeTokenizer.train(corpus, n);
        }
        throw new IllegalArgumentException("unknown tokenizer '" + spec + "' (expected byte or bpe:N, e.g. bpe:512)");
    }

    static Tokenizer fromJson(JsonObject o, String where) {
        if (o.has("model") && o.get("model").isJsonObject()) return HfTokenizer.fromJson(o, where);
        String type = o.has("type") ? o.get("type").getAsString() : "";
        return switch (type) {
            case "byte" -> new ByteTokenizer();
            case "bpe" -> BpeTokenizer.fromJson(o, where);
            default -> throw new IllegalArgumentException(where + ": unknown tokenizer type '" + type + "'");
        };
    }

    /**
     * tokenizer.json in dir (at most 64 MB), checked against the model's vocabulary; without the file,
     * the byte tokenizer, which only fits a model of 256 symbols.
     */
    static Tokenizer load(Path dir, int modelVocab) {
        Path f = dir.resolve("tokenizer.json");
        Tokenizer t;
        try {
            if (Files.size(f) > 64L << 20) throw new IllegalArgumentException(f + ": " + Files.size(f) + " bytes is too large for a tokenizer (limit 64 MB)");
            var root = JsonParser.parseString(Files.readString(f));
            if (!root.isJsonObject()) throw new IllegalArgumentException(f + ": not a JSON object");
            t = fromJson(root.getAsJsonObject(), f.toString());
        } catch (NoSuchFileException e) {
            if (modelVocab != 256)
                throw new IllegalArgumentException(dir + ": the model has a vocabulary of " + modelVocab + " but its folder has no tokenizer.json "
                        + "(only the byte tokenizer, 256 symbols, may be left out)");
            return new ByteTokenizer();
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) throw iae;
            throw new IllegalArgumentException(f + ": cannot read tokenizer (" + e.getMessage() + ")");
        }
        if (t.vocabSize() > modelVocab)
            throw new IllegalArgumentException(dir + ": tokenizer has " + t.vocabSize() + " symbols but the model's vocabulary is " + modelVocab);
        return t;
    }
}
