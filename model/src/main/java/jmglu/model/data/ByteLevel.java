package jmglu.model.data;

import java.util.regex.Pattern;

/**
 * GPT-2's byte-level alphabet: each of the 256 byte values is shown as one printable character, so
 * that BPE over bytes can be written as BPE over text. The printable bytes '!'..'~', '¡'..'¬' and
 * '®'..'ÿ' stand for themselves; the other 68 (controls, space, soft hyphen…) become U+0100 + n in
 * byte order. Also GPT-2's pre-tokenizing regex.
 */
final class ByteLevel {
    private ByteLevel() {}

    /** byte b (0..255) → its character. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** character c (< 0x144) → its byte, or -1. */
    static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : 256 + n++);
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    /** GPT-2's split: contractions, letters, numbers, other symbols, each with an optional leading space; runs of whitespace. */
    static final Pattern GPT2 = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The bytes a token string stands for, or null if one of its chars is not in the alphabet. */
    static byte[] toBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) return null;
            out[i] = (byte) CHAR_TO_BYTE[c];
        }
        return out;
    }

    /**
     * A Hugging Face tokenizer.json that encodes like a BPE over bytes whose id i stands for tokens[i]
     * and whose merge r joins (left[r], right[r]) into id 256 + r, applied in rank order over the whole
     * text (no pre-tokenizer split: ByteLevel with use_regex false only maps bytes to characters);
     * null when two ids stand for the same bytes (tokenizer.json's vocabulary maps strings to ids).
     */
    static com.google.gson.JsonObject hfJson(byte[][] tokens, int[] left, int[] right) {
        com.google.gson.JsonObject vocab = new com.google.gson.JsonObject();
        String[] str = new String[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            StringBuilder sb = new StringBuilder(tokens[i].length);
            for (byte b : tokens[i]) sb.append(BYTE_TO_CHAR[b & 0xFF]);
            str[i] = sb.toString();
            if (vocab.has(str[i])) return null;
            vocab.addProperty(str[i], i);
        }
        com.google.gson.JsonArray merges = new com.google.gson.JsonArray();
        for (int r = 0; r < left.length; r++) {
            com.google.gson.JsonArray m = new com.google.gson.JsonArray();
            m.add(str[left[r]]);
            m.add(str[right[r]]);
            merges.add(m);
        }
        String json = """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
                 "post_processor": null,
                 "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
                           "fuse_unk": false, "byte_fallback": false, "ignore_merges": false}}""";
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        o.getAsJsonObject("model").add("vocab", vocab);
        o.getAsJsonObject("model").add("merges", merges);
        return o;
    }
}
