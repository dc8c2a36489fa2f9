package jmglu.model.data;

import static jmglu.model.data.HfJson.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import jmglu.model.Config;

/**
 * tokenizer.json "model" of type BPE, as tokenizers' BPE::tokenize: a word is split into its
 * characters (each looked up in the vocabulary; if absent, byte_fallback gives its UTF-8 bytes as
 * &lt;0xNN&gt; tokens, else unk_token, fused with a previous unk if fuse_unk, else it is dropped), then
 * the adjacent pair with the lowest merge rank (leftmost on ties) is merged until none applies.
 * With ignore_merges a word that is itself in the vocabulary is one token. Refused: dropout,
 * continuing_subword_prefix, end_of_word_suffix.
 */
final class HfBpe {
    final Map<String, Integer> vocab;
    final String[] idToToken;                 // id → token string (null where no token has that id)
    private final Map<Long, Integer> rankOf;  // (left id, right id) → merge rank (the last listing of a pair wins)
    private final int[] newIdOf;              // merge rank → id of the merged token
    private final boolean byteFallback, fuseUnk, ignoreMerges;
    private final int unkId;                  // -1 without unk_token
    private final int[] byteIds;              // byte b → id of "<0xNN>", or -1

    private HfBpe(Map<String, Integer> vocab, String[] idToToken, Map<Long, Integer> rankOf, int[] newIdOf,
                  boolean byteFallback, boolean fuseUnk, boolean ignoreMerges, int unkId) {
        this.vocab = vocab; this.idToToken = idToToken; this.rankOf = rankOf; this.newIdOf = newIdOf;
        this.byteFallback = byteFallback; this.fuseUnk = fuseUnk; this.ignoreMerges = ignoreMerges; this.unkId = unkId;
        byteIds = new int[256];
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    static long pair(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

    static HfBpe parse(JsonElement e, String where) {
        JsonObject o = obj(e, where, "model");
        String type = o.has("type") ? type(o, where, "model") : "BPE";
        if (!type.equals("BPE")) throw refuse(where, "model type '" + type + "' (only BPE is supported)");
        String what = "model BPE";
        keys(o, where, what, "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges");
        if (o.has("dropout") && !o.get("dropout").isJsonNull()) throw refuse(where, what + ".dropout = " + o.get("dropout") + " (only null: encoding must be deterministic)");
        for (String k : new String[] {"continuing_subword_prefix", "end_of_word_suffix"})
            if (optStr(o, k, where, what) != null) throw refuse(where, what + "." + k + " = " + o.get(k) + " (only null)");
        JsonObject v = obj(o.get("vocab"), where, what + ".vocab");
        if (v.size() > Config.MAX_VOCAB) throw refuse(where, what + ".vocab has " + v.size() + " tokens; at most " + Config.MAX_VOCAB);
        Map<String, Integer> vocab = new HashMap<>(2 * v.size());
        int maxId = -1;
        for (var en : v.entrySet()) {
            JsonElement x = en.getValue();
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() != Math.rint(x.getAsDouble())
                    || x.getAsDouble() < 0 || x.getAsDouble() >= Config.MAX_VOCAB)
                throw refuse(where, what + ".vocab['" + en.getKey() + "'] = " + x + " is not an id in 0.." + (Config.MAX_VOCAB - 1));
            int id = x.getAsInt();
            vocab.put(en.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        String[] idToToken = new String[maxId + 1];
        for (var en : vocab.entrySet()) {
            if (idToToken[en.getValue()] != null)
                throw refuse(where, what + ".vocab gives id " + en.getValue() + " to both '" + idToToken[en.getValue()] + "' and '" + en.getKey() + "'");
            idToToken[en.getValue()] = en.getKey();
        }
        JsonElement me = o.get("merges");
        if (me == null || !me.isJsonArray()) throw refuse(where, what + ".merges must be an array");
        JsonArray m = me.getAsJsonArray();
        if (m.size() > Config.MAX_VOCAB) throw refuse(where, what + ".merges has " + m.size() + " entries; at most " + Config.MAX_VOCAB);
        Map<Long, Integer> rankOf = new HashMap<>(2 * m.size());
        int[] newIdOf = new int[m.size()];
        int rank = 0;
        for (int i = 0; i < m.size(); i++) {
            JsonElement x = m.get(i);
            String a, b;
            if (x.isJsonPrimitive() && x.getAsJsonPrimitive().isString()) {        // "a b"
                String line = x.getAsString();
                if (line.startsWith("#version")) continue;
                String[] parts = line.split(" ", -1);
                if (parts.length != 2) throw refuse(where, what + ".merges[" + i + "] = '" + line + "' is not two tokens separated by one space");
                a = parts[0]; b = parts[1];
            } else if (x.isJsonArray() && x.getAsJsonArray().size() == 2 && x.getAsJsonArray().get(0).isJsonPrimitive() && x.getAsJsonArray().get(1).isJsonPrimitive()
                    && x.getAsJsonArray().get(0).getAsJsonPrimitive().isString() && x.getAsJsonArray().get(1).getAsJsonPrimitive().isString()) {
                a = x.getAsJsonArray().get(0).getAsString(); b = x.getAsJsonArray().get(1).getAsString();
            } else throw refuse(where, what + ".merges[" + i + "] is neither \"a b\" nor [\"a\", \"b\"]");
            Integer ia = vocab.get(a), ib = vocab.get(b), in = vocab.get(a + b);
            if (ia == null || ib == null || in == null)
                throw refuse(where, what + ".merges[" + i + "] (" + a + " " + b + ") uses a token that is not in the vocabulary");
            rankOf.put(pair(ia, ib), rank);
            newIdOf[rank++] = in;
        }
        String unk = optStr(o, "unk_token", where, what);
        int unkId = -1;
        if (unk != null) {
            if (!vocab.containsKey(unk)) throw refuse(where, what + ".unk_token '" + unk + "' is not in the vocabulary");
            unkId = vocab.get(unk);
        }
        return new HfBpe(vocab, idToToken, rankOf, Arrays.copyOf(newIdOf, rank), bool(o, "byte_fallback", false, where, what),
                bool(o, "fuse_unk", false, where, what), bool(o, "ignore_merges", false, where, what), unkId);
    }

    int vocabEntries() { return vocab.size(); }

    /** Words (of at most CACHED_CHARS chars) already tokenized, as tokenizers' BPE cache (10,000 words): a word's ids never change. */
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_WORDS = 10_000, CACHED_CHARS = 256;

    /** The ids of one pre-tokenized word, appended to out. */
    void tokenize(String w, IntList out) {
        if (w.isEmpty()) return;
        if (w.length() > CACHED_CHARS) { tokenizeWord(w, out); return; }
        int[] ids = cache.get(w);
        if (ids == null) {
            IntList one = new IntList();
            tokenizeWord(w, one);
            ids = one.toArray();
            if (cache.size() < CACHE_WORDS) cache.put(w, ids);
        }
        for (int id : ids) out.add(id);
    }

    private void tokenizeWord(String w, IntList out) {
        if (ignoreMerges) {
            Integer id = vocab.get(w);
            if (id != null) { out.add(id); return; }
        }
        // the word's symbols: one per character, or per byte with byte_fallback
        IntList sym = new IntList();
        int unk = -1;                                             // a pending unk (fused while fuse_unk)
        for (int i = 0; i < w.length(); ) {
            int cp = w.codePointAt(i), e = i + Character.charCount(cp);
            String s = w.substring(i, e);
            i = e;
            Integer id = vocab.get(s);
            if (id != null) {
                if (unk >= 0) { sym.add(unk); unk = -1; }
                sym.add(id);
                continue;
            }
            if (byteFallback) {
                byte[] u = s.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : u) all &= byteIds[b & 0xFF] >= 0;
                if (all) {
                    for (byte b : u) sym.add(byteIds[b & 0xFF]);     // a pending unk stays pending, as in tokenizers
                    continue;
                }
            }
            if (unkId >= 0) {
                if (unk >= 0 && !fuseUnk) sym.add(unk);
                unk = unkId;
            }
        }
        if (unk >= 0) sym.add(unk);
        mergeAll(sym, out);
    }

    /** tokenizers' Word::merge_all: a min-heap of (rank, position) over live adjacent pairs. */
    private void mergeAll(IntList sym, IntList out) {
        int n = sym.size;
        int[] c = Arrays.copyOf(sym.a, n), prev = new int[n], next = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        LongHeap q = new LongHeap();
        for (int i = 0; i + 1 < n; i++) push(q, c[i], c[i + 1], i);
        while (q.size > 0) {
            long top = q.pop();
            int rank = (int) (top >>> 32), pos = (int) top;
            if (gone[pos] || next[pos] == -1) continue;
            int right = next[pos];
            Integer r = rankOf.get(pair(c[pos], c[right]));
            if (r == null || newIdOf[r] != newIdOf[rank]) continue;         // a stale entry
            c[pos] = newIdOf[rank];
            gone[right] = true;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) push(q, c[prev[pos]], c[pos], prev[pos]);
            if (next[pos] >= 0) push(q, c[pos], c[next[pos]], pos);
        }
        for (int i = 0; i < n; i++) if (!gone[i]) out.add(c[i]);
    }

    private void push(LongHeap q, int a, int b, int pos) {
        Integer r = rankOf.get(pair(a, b));
        if (r != null) q.push(((long) r << 32) | pos);
    }

    /** A growable int array. */
    static final class IntList {
        int[] a = new int[16];
        int size;
        void add(int x) { if (size == a.length) a = Arrays.copyOf(a, 2 * size); a[size++] = x; }
        int[] toArray() { return Arrays.copyOf(a, size); }
    }

    /** A binary min-heap of longs (rank in the high half, position in the low half: lowest rank, then leftmost). */
    static final class LongHeap {
        long[] h = new long[16];
        int size;
        void push(long x) {
            if (size == h.length) h = Arrays.copyOf(h, 2 * size);
            int i = size++;
            while (i > 0 && h[(i - 1) / 2] > x) { h[i] = h[(i - 1) / 2]; i = (i - 1) / 2; }
            h[i] = x;
        }
        long pop() {
            long top = h[0], x = h[--size];
            int i = 0;
            while (2 * i + 1 < size) {
                int k = 2 * i + 1;
                if (k + 1 < size && h[k + 1] < h[k]) k++;
                if (h[k] >= x) break;
                h[i] = h[k]; i = k;
            }
            h[i] = x;
            return top;
        }
    }
}
