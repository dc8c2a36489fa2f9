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
}
