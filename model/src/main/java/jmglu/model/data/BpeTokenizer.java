package jmglu.model.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Byte-level byte-pair encoding (Sennrich et al.; GPT-2 without the regex pre-split): ids 0..255
 * are the bytes, id 256 + r is merge r, which joins the adjacent pair (left[r], right[r]).
 * Training repeatedly merges the most frequent adjacent pair of the training text (ties go to the
 * smallest (left, right), so training is deterministic); encoding applies the merges in the order
 * they were learned. Training reads at most {@link #TRAIN_BYTES} bytes of the corpus.
 */
public final class BpeTokenizer implements Tokenizer {
    public static final int MAX_VOCAB = 4096;
    public static final int TRAIN_BYTES = 1 << 20;
    /** Longest token a tokenizer file may define (merges can double a token's length each time). */
    public static final int MAX_TOKEN_BYTES = 4096;

    private final int[] left, right;        // merge r joins (left[r], right[r]) into 256 + r
    private final byte[][] bytesOf;          // id → its bytes

    private BpeTokenizer(int[] left, int[] right) {
        this.left = left;
        this.right = right;
        bytesOf = new byte[256 + left.length][];
        for (int i = 0; i < 256; i++) bytesOf[i] = new byte[] {(byte) i};
        for (int r = 0; r < left.length; r++) {
            byte[] a = bytesOf[left[r]], b = bytesOf[right[r]];
            byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            bytesOf[256 + r] = c;
        }
    }

    /** Learns vocab − 256 merges (fewer if no pair occurs twice) from the first TRAIN_BYTES of text. */
    public static BpeTokenizer train(String text, int vocab) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(raw.length, TRAIN_BYTES);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = raw[i] & 0xFF;
        int merges = vocab - 256;
        int[] l = new int[merges], r = new int[merges];
        int[] counts = new int[vocab * vocab];                        // pair (a, b) at a·vocab + b
        int done = 0;
        for (; done < merges; done++) {
            Arrays.fill(counts, 0);
            for (int i = 0; i + 1 < n; i++) counts[ids[i] * vocab + ids[i + 1]]++;
            int best = 0;
            for (int p = 1; p < counts.length; p++) if (counts[p] > counts[best]) best = p;
            if (counts[best] < 2) break;
            int a = best / vocab, b = best % vocab, id = 256 + done;
            l[done] = a; r[done] = b;
            n = replace(ids, n, a, b, id);
        }
        return new BpeTokenizer(Arrays.copyOf(l, done), Arrays.copyOf(r, done));
    }

    /** Replaces every non-overlapping (a, b), left to right, by id; returns the new length. */
    private static int replace(int[] ids, int n, int a, int b, int id) {
        int w = 0;
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && ids[i] == a && ids[i + 1] == b) { ids[w++] = id; i++; }
            else ids[w++] = ids[i];
        }
        return w;
    }

    @Override public int vocabSize() { return 256 + left.length; }

    @Override public int[] encode(String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[raw.length];
        for (int i = 0; i < raw.length; i++) ids[i] = raw[i] & 0xFF;
        int n = ids.length;
        for (int m = 0; m < left.length; m++) n = replace(ids, n, left[m], right[m], 256 + m);
        return Arrays.copyOf(ids, n);
    }

    @Override public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= bytesOf.length) throw new IllegalArgumentException("bpe tokenizer: id " + id + " outside 0.." + (bytesOf.length - 1));
            out.writeBytes(bytesOf[id]);
        }
        return out.toByteArray();
    }

    @Override public String describe() { return "bpe:" + vocabSize(); }

    @Override public JsonObject toHfJson() { return ByteLevel.hfJson(bytesOf, left, right); }

    @Override public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("type", "bpe");
        JsonArray m = new JsonArray();
        for (int i = 0; i < left.length; i++) {
            JsonArray p = new JsonArray();
            p.add(left[i]);
            p.add(right[i]);
            m.add(p);
        }
        o.add("merges", m);
        return o;
    }

    static BpeTokenizer fromJson(JsonObject o, String where) {
        try {
            JsonArray m = o.getAsJsonArray("merges");
            if (m.size() > MAX_VOCAB - 256) throw new IllegalArgumentException(where + ": " + m.size() + " merges; at most " + (MAX_VOCAB - 256) + " are allowed");
            int[] l = new int[m.size()], r = new int[m.size()];
            long[] len = new long[256 + l.length];                     // bytes per token, checked before any is built
            Arrays.fill(len, 0, 256, 1);
            for (int i = 0; i < l.length; i++) {
                JsonArray pair = m.get(i).getAsJsonArray();
                if (pair.size() != 2) throw new IllegalArgumentException(where + ": merge " + i + " is not a pair of ids");
                l[i] = pair.get(0).getAsInt();
                r[i] = pair.get(1).getAsInt();
                if (pair.get(0).getAsDouble() != l[i] || pair.get(1).getAsDouble() != r[i])
                    throw new IllegalArgumentException(where + ": merge " + i + " holds a non-integer id");
                if (l[i] < 0 || r[i] < 0 || l[i] >= 256 + i || r[i] >= 256 + i)
                    throw new IllegalArgumentException(where + ": merge " + i + " refers to an id not yet defined");
                len[256 + i] = len[l[i]] + len[r[i]];
                if (len[256 + i] > MAX_TOKEN_BYTES)
                    throw new IllegalArgumentException(where + ": merge " + i + " makes a token of " + len[256 + i] + " bytes; at most " + MAX_TOKEN_BYTES + " are allowed");
            }
            return new BpeTokenizer(l, r);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage().startsWith(where)) throw iae;
            throw new IllegalArgumentException(where + ": malformed BPE merges (" + e.getMessage() + ")");
        }
    }
}
