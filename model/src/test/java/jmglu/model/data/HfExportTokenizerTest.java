package jmglu.model.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** jmglu's byte and BPE tokenizers written as tokenizer.json (for export) encode and decode the same ids when read back. */
class HfExportTokenizerTest {
    static final String[] TEXTS = {"public static void main(String[] args) {", "  runs of   spaces\t\ttabs\n\n", "naïve café 日本語 😀🎉",
            "aaaaaaaaab abababab", "", "x"};

    static void sameAnswers(Tokenizer t) {
        HfTokenizer h = HfTokenizer.fromJson(t.toHfJson(), "converted");
        assertEquals(t.vocabSize(), h.vocabSize());
        for (String s : TEXTS) {
            int[] ids = t.encode(s);
            assertArrayEquals(ids, h.encode(s), "'" + s + "'");
            assertArrayEquals(ids, h.encode(s, true), "no special tokens to add: '" + s + "'");
            assertArrayEquals(t.decodeBytes(ids), h.decodeBytes(ids), "'" + s + "'");
        }
    }

    @Test void byteTokenizer() { sameAnswers(new ByteTokenizer()); }

    @Test void bpeTrainedHere() {
        String corpus = String.join("\n", TEXTS).repeat(30) + "the quick brown fox jumps over the lazy dog ".repeat(50);
        sameAnswers(BpeTokenizer.train(corpus, 420));
    }
}
