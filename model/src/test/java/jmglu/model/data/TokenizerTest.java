package jmglu.model.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenizers round-trip any text; BPE learns merges, shortens its training text and survives save/load; corpus errors are clear. */
class TokenizerTest {
    @TempDir Path dir;

    static final String TEXT = "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // Grüße, 数据 ✓\n".repeat(50);

    @Test void byteTokenizerRoundTrips() {
        ByteTokenizer t = new ByteTokenizer();
        int[] ids = t.encode(TEXT);
        assertEquals(TEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ids.length);
        assertEquals(TEXT, t.decode(ids));
    }

    @Test void bpeLearnsMergesAndRoundTrips() throws Exception {
        BpeTokenizer t = BpeTokenizer.train(TEXT, 300);
        assertEquals(300, t.vocabSize());
        int[] ids = t.encode(TEXT);
        assertTrue(ids.length < TEXT.length() / 2, "BPE should compress its training text: " + ids.length + " tokens for " + TEXT.length() + " chars");
        assertEquals(TEXT, t.decode(ids));
        String other = "unseen text: ∑ xyz";
        assertEquals(other, t.decode(t.encode(other)));
        Files.writeString(dir.resolve("tokenizer.json"), t.toJson().toString());
        Tokenizer back = Tokenizer.load(dir, 300);
        assertEquals("bpe:300", back.describe());
        assertArrayEquals(ids, back.encode(TEXT));
    }

    @Test void hostileTokenizerFilesAreBounded() throws Exception {
        // 41 self-doubling merges would define a token of 2^41 bytes: refused before anything is built
        StringBuilder m = new StringBuilder("{\"type\":\"bpe\",\"merges\":[[97,97]");
        for (int i = 0; i < 40; i++) m.append(",[").append(256 + i).append(',').append(256 + i).append(']');
        Files.writeString(dir.resolve("tokenizer.json"), m.append("]}").toString());
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir, 4096));
        assertTrue(e.getMessage().contains("bytes; at most " + BpeTokenizer.MAX_TOKEN_BYTES), e.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), "{\"type\":\"bpe\",\"merges\":[[97,98.5]]}");
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir, 4096));
        assertTrue(e.getMessage().contains("non-integer"), e.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), BpeTokenizer.train(TEXT, 300).toJson().toString());
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir, 280));
        assertTrue(e.getMessage().contains("300 symbols but the model's vocabulary is 280"), e.getMessage());
    }

    @Test void aDataFileIsReadWithABound() {
        var e = assertThrows(IllegalArgumentException.class, () -> Corpus.fromFile(Path.of("/dev/zero")));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test void bpeStopsWhenNothingRepeats() {
        BpeTokenizer t = BpeTokenizer.train("abcdefg", 400);
        assertEquals(256, t.vocabSize());
    }

    @Test void tokenizerSpecErrors() {
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.create("bpe:100", TEXT));
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.create("bpe:x", TEXT));
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.create("words", TEXT));
        assertTrue(e.getMessage().contains("unknown tokenizer"));
    }

    @Test void corpusErrorsAreClear() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> Corpus.fromJdk(dir.resolve("no-src.zip")));
        assertTrue(e.getMessage().contains("--data FILE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Corpus.fromFile(dir.resolve("missing.txt")));
        assertTrue(e.getMessage().contains("no such data file"), e.getMessage());
        Path bad = dir.resolve("latin1.txt");
        Files.write(bad, new byte[] {'a', (byte) 0xE9, 'b'});
        e = assertThrows(IllegalArgumentException.class, () -> Corpus.fromFile(bad));
        assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
    }

    @Test void datasetBatchesDependOnlyOnSeedAndStep() {
        Dataset d = new Dataset(new ByteTokenizer().encode(TEXT), 0.1);
        var a = d.trainBatch(3, 17, 4, 8);
        var b = d.trainBatch(3, 17, 4, 8);
        assertArrayEquals(a.x(), b.x());
        for (int i = 0; i + 1 < a.x().length; i++) if ((i + 1) % 8 != 0) assertEquals(a.x()[i + 1], a.y()[i], "targets are inputs shifted by one");
        assertFalse(java.util.Arrays.equals(a.x(), d.trainBatch(3, 18, 4, 8).x()));
    }
}
