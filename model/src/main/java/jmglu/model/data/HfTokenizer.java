package jmglu.model.data;

import static jmglu.model.data.HfJson.*;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import jmglu.model.Config;

/**
 * A Hugging Face tokenizer.json, encoded and decoded exactly as the Rust `tokenizers` library (0.23)
 * does. encode(text) is tokenizers' encode(text, add_special_tokens=False):
 * <pre>
 *   text ─ split on added tokens that are not "normalized" (longest match first)
 *        ─ each other piece: normalizer, then split on the "normalized" added tokens
 *        ─ each other piece: pre_tokenizer → words ─ BPE model → ids
 *        ─ (add_special_tokens) post_processor: TemplateProcessing adds e.g. BOS
 * </pre>
 * decode(ids, skipSpecial) maps ids to token strings (added tokens first) and runs the decoder chain.
 * Components are in HfNormalizers, HfPreTokenizers, HfBpe and HfDecoders; any component or value
 * jmglu does not reproduce exactly is refused when the file is read.
 */
public final class HfTokenizer implements Tokenizer {

    /** One entry of "added_tokens", with the id tokenizers gives it and the text it is matched as. */
    record Added(String content, int id, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special, String match) {}

    private final JsonObject json;
    private final String where;
    private final HfBpe bpe;
    private final UnaryOperator<HfText> normalizer;
    private final UnaryOperator<List<HfText>> preTokenizer;
    private final HfDecoders.Decoder decoder;
    private final List<int[]> template;                        // single template: special ids, or null for the sequence
    private final Map<Integer, Added> addedById = new HashMap<>();
    private final Map<String, Integer> addedByContent = new HashMap<>();
    private final Set<String> specialContents = new HashSet<>();
    private final AddedMatcher rawMatcher, normalizedMatcher;
    private final int vocabSize;
    private final String flavor;

    private HfTokenizer(JsonObject o, String where) {
        this.json = o;
        this.where = where;
        keys(o, where, "tokenizer.json", "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "model", "decoder", "post_processor");
        if (o.has("version") && !(o.get("version").isJsonPrimitive() && o.get("version").getAsString().equals("1.0")))
            throw refuse(where, "version " + o.get("version") + " (only \"1.0\")");
        for (String k : new String[] {"truncation", "padding"})
            if (o.has(k) && !o.get(k).isJsonNull()) throw refuse(where, k + " (only null: jmglu encodes without truncating or padding)");
        bpe = HfBpe.parse(o.get("model"), where);
        normalizer = HfNormalizers.parse(o.get("normalizer"), where, 0);
        boolean[] pre = new boolean[2];
        preTokenizer = HfPreTokenizers.parse(o.get("pre_tokenizer"), where, 0, pre);
        decoder = HfDecoders.parse(o.get("decoder"), where, 0);
        template = new ArrayList<>();
        template.add(null);
        parsePostProcessor(o.get("post_processor"), 0);
        addTokens(o.get("added_tokens"));
        rawMatcher = new AddedMatcher(addedById.values().stream().filter(a -> !a.normalized()).toList(), where);
        normalizedMatcher = new AddedMatcher(addedById.values().stream().filter(Added::normalized).toList(), where);
        int max = bpe.idToToken.length - 1;
        for (int id : addedById.keySet()) max = Math.max(max, id);
        vocabSize = max + 1;
        String dec = o.has("decoder") ? o.get("decoder").toString() : "";
        flavor = pre[0] || dec.contains("\"ByteLevel\"") ? "byte-level"
                : pre[1] || dec.contains("\"Metaspace\"") || dec.contains("\"ByteFallback\"") ? "sentencepiece" : "plain";
    }

    /** Reads a parsed tokenizer.json (one with a top-level "model" object); where names the file in errors. */
    public static HfTokenizer fromJson(JsonObject o, String where) {
        try {
            return new HfTokenizer(o, where);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": malformed tokenizer.json (" + e + ")", e);
        }
    }

    /** tokenizers' AddedVocabulary::add_tokens over the file's list: ids come from the vocabulary, not from the file's "id". */
    private void addTokens(JsonElement e) {
        if (e == null || e.isJsonNull()) return;
        if (!e.isJsonArray()) throw refuse(where, "added_tokens must be an array");
        if (e.getAsJsonArray().size() > Config.MAX_VOCAB) throw refuse(where, "added_tokens has more than " + Config.MAX_VOCAB + " entries");
        int nextId = bpe.vocabEntries();
        Map<Integer, String> normalizedForm = new HashMap<>();
        for (JsonElement x : e.getAsJsonArray()) {
            JsonObject t = obj(x, where, "added_tokens[]");
            String what = "added token";
            keys(t, where, what, "id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
            for (String k : new String[] {"single_word", "lstrip", "rstrip", "normalized", "special"})
                if (!t.has(k)) throw refuse(where, what + " " + t.get("content") + " has no \"" + k + "\"");
            nat(t, "id", Config.MAX_VOCAB - 1, where, what);
            String content = str(t, "content", where, what);
            boolean normalized = bool(t, "normalized", true, where, what);
            Added a = new Added(content, 0, bool(t, "single_word", false, where, what), bool(t, "lstrip", false, where, what),
                    bool(t, "rstrip", false, where, what), normalized, bool(t, "special", false, where, what), content);
            if (content.isEmpty()) continue;
            Integer old = addedByContent.get(content);
            if (old != null && sameFlags(addedById.get(old), a)) continue;
            int id = old != null ? old : bpe.vocab.containsKey(content) ? bpe.vocab.get(content) : nextId++;
            if (id >= Config.MAX_VOCAB) throw refuse(where, "added token '" + content + "' would get id " + id + " ≥ " + Config.MAX_VOCAB);
            if (normalized && normalizer != null) {
                String n = normalizer.apply(HfText.original(content, 0, content.length())).s;
                if (!n.equals(content)) normalizedForm.put(id, n);
            }
            addedByContent.put(content, id);
            if (a.special()) specialContents.add(content);
            addedById.put(id, a);
        }
        for (var en : new ArrayList<>(addedById.entrySet())) {
            Added a = en.getValue();
            String match = a.normalized() ? normalizedForm.getOrDefault(en.getKey(), a.content()) : a.content();
            addedById.put(en.getKey(), new Added(a.content(), en.getKey(), a.singleWord(), a.lstrip(), a.rstrip(), a.normalized(), a.special(), match));
        }
    }

    private static boolean sameFlags(Added a, Added b) {
        return a.content().equals(b.content()) && a.singleWord() == b.singleWord() && a.lstrip() == b.lstrip() && a.rstrip() == b.rstrip()
                && a.normalized() == b.normalized() && a.special() == b.special();
    }

    /** null, ByteLevel (ids unchanged), TemplateProcessing (single template) and Sequence of these; the result is in template. */
    private void parsePostProcessor(JsonElement e, int depth) {
        if (e == null || e.isJsonNull()) return;
        if (depth > MAX_DEPTH) throw refuse(where, "post_processors nested deeper than " + MAX_DEPTH);
        JsonObject o = obj(e, where, "post_processor");
        String type = type(o, where, "post_processor");
        String what = "post_processor " + type;
        switch (type) {
            case "ByteLevel" -> keys(o, where, what, "add_prefix_space", "trim_offsets", "use_regex");
            case "Sequence" -> {
                keys(o, where, what, "processors");
                if (o.get("processors") == null || !o.get("processors").isJsonArray()) throw refuse(where, what + ".processors must be an array");
                for (JsonElement x : o.getAsJsonArray("processors")) parsePostProcessor(x, depth + 1);
            }
            case "TemplateProcessing" -> {
                keys(o, where, what, "single", "pair", "special_tokens");
                JsonObject specials = obj(o.get("special_tokens"), where, what + ".special_tokens");
                if (o.get("single") == null || !o.get("single").isJsonArray()) throw refuse(where, what + ".single must be an array of pieces");
                List<int[]> t = new ArrayList<>();
                for (JsonElement pe : o.getAsJsonArray("single")) {
                    JsonObject p = obj(pe, where, what + ".single[]");
                    if (p.size() == 1 && p.has("Sequence")) {
                        JsonObject s = obj(p.get("Sequence"), where, what + " piece");
                        if (!str(s, "id", where, what + " Sequence").equals("A")) throw refuse(where, what + ".single uses sequence " + s.get("id") + " (only A)");
                        t.add(null);
                    } else if (p.size() == 1 && p.has("SpecialToken")) {
                        String name = str(obj(p.get("SpecialToken"), where, what + " piece"), "id", where, what + " SpecialToken");
                        JsonObject st = obj(specials.get(name), where, what + ".special_tokens['" + name + "']");
                        if (st.get("ids") == null || !st.get("ids").isJsonArray()) throw refuse(where, what + ".special_tokens['" + name + "'].ids must be an array");
                        int[] ids = new int[st.getAsJsonArray("ids").size()];
                        for (int i = 0; i < ids.length; i++) {
                            JsonElement x = st.getAsJsonArray("ids").get(i);
                            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() != Math.rint(x.getAsDouble()) || x.getAsDouble() < 0 || x.getAsDouble() >= Config.MAX_VOCAB)
                                throw refuse(where, what + ".special_tokens['" + name + "'].ids holds " + x);
                            ids[i] = x.getAsInt();
                        }
                        t.add(ids);
                    } else throw refuse(where, what + ".single holds " + p + " (only SpecialToken and Sequence pieces)");
                }
                if (t.stream().filter(x -> x == null).count() != 1) throw refuse(where, what + ".single must hold sequence A exactly once");
                List<int[]> composed = new ArrayList<>();                  // this template applied after the ones before
                for (int[] piece : t) if (piece == null) composed.addAll(template); else composed.add(piece);
                template.clear();
                template.addAll(composed);
            }
            default -> throw refuse(where, "post_processor type '" + type + "'");
        }
    }

    // ---- encoding ----

    @Override public int[] encode(String text) { return encode(text, false); }

    /** tokenizers' encode(text, add_special_tokens).ids. */
    @Override public int[] encode(String text, boolean addSpecial) {
        HfBpe.IntList ids = new HfBpe.IntList();
        for (Object seg : rawMatcher.split(HfText.original(text, 0, text.length()))) {
            if (seg instanceof Integer id) { ids.add(id); continue; }
            HfText t = normalizer == null ? (HfText) seg : normalizer.apply((HfText) seg);
            List<HfText> words = new ArrayList<>();
            for (Object s2 : normalizedMatcher.split(t)) {
                if (s2 instanceof Integer id) {
                    flush(words, ids);
                    ids.add(id);
                } else words.add((HfText) s2);
            }
            flush(words, ids);
        }
        if (!addSpecial) return ids.toArray();
        HfBpe.IntList out = new HfBpe.IntList();
        for (int[] piece : template)
            if (piece == null) for (int i = 0; i < ids.size; i++) out.add(ids.a[i]);
            else for (int x : piece) out.add(x);
        return out.toArray();
    }

    /** Pre-tokenizes the pieces seen since the last added token, then BPE on each word. */
    private void flush(List<HfText> pieces, HfBpe.IntList ids) {
        if (pieces.isEmpty()) return;
        List<HfText> words = preTokenizer == null ? pieces : preTokenizer.apply(new ArrayList<>(pieces));
        for (HfText w : words) bpe.tokenize(w.s, ids);
        pieces.clear();
    }

    // ---- decoding ----

    /** The token string of id (an added token as it is matched, i.e. normalized), or null if no token has it. */
    private String token(int id) {
        Added a = addedById.get(id);
        if (a != null) return a.match();
        return id >= 0 && id < bpe.idToToken.length ? bpe.idToToken[id] : null;
    }

    private byte[] decode(int[] ids, boolean skipSpecial, boolean raw) {
        List<byte[]> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String t = token(id);                                                 // unknown ids are dropped, as in tokenizers
            if (t != null && !(skipSpecial && specialContents.contains(t))) tokens.add(t.getBytes(StandardCharsets.UTF_8));
        }
        if (decoder == null) return HfDecoders.concat(tokens, new byte[] {' '});
        return HfDecoders.concat(decoder.decode(tokens, raw), new byte[0]);
    }

    /** The bytes the ids stand for, with byte tokens kept as bytes (UTF-8 of tokenizers' decode(ids, False) when that is whole characters). */
    @Override public byte[] decodeBytes(int[] ids) { return decode(ids, false, true); }

    /** Exactly tokenizers' decode(ids, skip_special_tokens). */
    @Override public String decode(int[] ids, boolean skipSpecial) {
        return new String(decode(ids, skipSpecial, false), StandardCharsets.UTF_8);
    }

    @Override public String decode(int[] ids) { return decode(ids, false); }

    @Override public OptionalInt tokenId(String token) {
        Integer id = addedByContent.get(token);
        if (id == null) id = bpe.vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override public boolean isSpecial(int id) {
        String t = token(id);
        return t != null && specialContents.contains(t);
    }

    @Override public int vocabSize() { return vocabSize; }

    @Override public String describe() { return "hf-bpe:" + flavor + " " + vocabSize; }

    @Override public JsonObject toJson() { return json.deepCopy(); }

    @Override public JsonObject toHfJson() { return json.deepCopy(); }

    /**
     * Splits text on added tokens as tokenizers' AddedVocabulary::find_matches: leftmost-longest
     * matches, scanning on from the end of each match (also of one that is skipped because
     * single_word fails); lstrip/rstrip widen a match over the whitespace beside it.
     */
    static final class AddedMatcher {
        private static final Pattern WORD = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);
        private final Map<Character, List<Added>> byFirst = new HashMap<>();

        AddedMatcher(List<Added> tokens, String where) {
            Map<String, Added> seen = new LinkedHashMap<>();
            for (Added a : tokens) {
                if (a.match().isEmpty()) continue;
                if (seen.put(a.match(), a) != null) throw refuse(where, "two added tokens are matched as the same text '" + a.match() + "'");
                byFirst.computeIfAbsent(a.match().charAt(0), k -> new ArrayList<>()).add(a);
            }
            for (List<Added> l : byFirst.values()) l.sort((x, y) -> y.match().length() - x.match().length());
        }

        /** The pieces of t in order: HfText for text, Integer for an added token's id; empty pieces are left out. */
        List<Object> split(HfText t) {
            List<Object> out = new ArrayList<>();
            String s = t.s;
            int startOffset = 0;
            for (int p = 0; p < s.length(); ) {
                Added hit = null;
                List<Added> cands = byFirst.get(s.charAt(p));
                if (cands != null) for (Added a : cands) if (s.startsWith(a.match(), p)) { hit = a; break; }
                if (hit == null) { p++; continue; }
                int start = p, stop = p + hit.match().length();
                p = stop;
                if (hit.singleWord()) {
                    boolean startSpace = start == 0 || !endsWithWord(s, start);
                    boolean stopSpace = stop == s.length() || !startsWithWord(s, stop);
                    if (!startSpace || !stopSpace) continue;
                }
                if (hit.lstrip()) {
                    int ns = start;
                    while (ns > 0 && isWhitespace(s.codePointBefore(ns))) ns -= Character.charCount(s.codePointBefore(ns));
                    start = Math.max(ns, startOffset);
                }
                if (hit.rstrip())
                    while (stop < s.length() && isWhitespace(s.codePointAt(stop))) stop += Character.charCount(s.codePointAt(stop));
                if (startOffset < start) out.add(t.slice(startOffset, start));
                out.add(hit.id());
                startOffset = stop;
            }
            if (startOffset < s.length()) out.add(t.slice(startOffset, s.length()));
            return out;
        }

        private static boolean endsWithWord(String s, int end) { return WORD.matcher(new String(Character.toChars(s.codePointBefore(end)))).matches(); }

        private static boolean startsWithWord(String s, int at) { return WORD.matcher(new String(Character.toChars(s.codePointAt(at)))).matches(); }

        /** Rust's \s (Unicode White_Space). */
        private static boolean isWhitespace(int cp) {
            return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                    || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
        }
    }
}
