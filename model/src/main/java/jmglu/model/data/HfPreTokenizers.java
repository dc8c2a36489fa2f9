package jmglu.model.data;

import static jmglu.model.data.HfJson.*;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * tokenizer.json "pre_tokenizer": how normalized text is cut into words before BPE sees them.
 * Supported: null, ByteLevel, Split, Metaspace, Digits and Sequence of these; anything else is refused.
 * Each step maps the list of pieces to a new list; empty pieces are dropped at every step.
 */
final class HfPreTokenizers {
    private HfPreTokenizers() {}

    /** null for no pre-tokenizer; flavor[0] / flavor[1] are set when a step is ByteLevel / Metaspace. */
    static UnaryOperator<List<HfText>> parse(JsonElement e, String where, int depth, boolean[] flavor) {
        if (e == null || e.isJsonNull()) return null;
        if (depth > MAX_DEPTH) throw refuse(where, "pre_tokenizers nested deeper than " + MAX_DEPTH);
        JsonObject o = obj(e, where, "pre_tokenizer");
        String type = type(o, where, "pre_tokenizer");
        String what = "pre_tokenizer " + type;
        switch (type) {
            case "Sequence" -> {
                keys(o, where, what, "pretokenizers");
                if (o.get("pretokenizers") == null || !o.get("pretokenizers").isJsonArray()) throw refuse(where, what + ".pretokenizers must be an array");
                List<UnaryOperator<List<HfText>>> seq = new ArrayList<>();
                for (JsonElement x : o.getAsJsonArray("pretokenizers")) seq.add(parse(x, where, depth + 1, flavor));
                return pieces -> { for (var p : seq) if (p != null) pieces = p.apply(pieces); return pieces; };
            }
            case "ByteLevel" -> {
                keys(o, where, what, "add_prefix_space", "trim_offsets", "use_regex");
                boolean prefix = bool(o, "add_prefix_space", true, where, what), useRegex = bool(o, "use_regex", true, where, what);
                bool(o, "trim_offsets", true, where, what);                    // offsets only
                flavor[0] = true;
                return pieces -> byteLevel(pieces, prefix, useRegex);
            }
            case "Split" -> {
                keys(o, where, what, "pattern", "behavior", "invert");
                Pattern re = pattern(o.get("pattern"), where, what);
                HfText.Behavior b = behavior(str(o, "behavior", where, what), where, what);
                if (!o.has("invert")) throw refuse(where, what + " has no \"invert\"");
                boolean invert = bool(o, "invert", false, where, what);
                return each((t, out) -> t.split(HfText.matches(t.s, re), b, invert, out));
            }
            case "Metaspace" -> {
                keys(o, where, what, "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep");
                Metaspace m = Metaspace.parse(o, where, what);
                flavor[1] = true;
                return each(m::preTokenize);
            }
            case "Digits" -> {
                keys(o, where, what, "individual_digits");
                boolean individual = bool(o, "individual_digits", false, where, what);
                HfText.Behavior b = individual ? HfText.Behavior.ISOLATED : HfText.Behavior.CONTIGUOUS;
                return each((t, out) -> t.split(HfText.matches(t.s, HfPreTokenizers::isNumeric), b, false, out));
            }
            default -> throw refuse(where, "pre_tokenizer type '" + type + "'");
        }
    }

    /** Rust's char::is_numeric: general category Nd, Nl or No. */
    static boolean isNumeric(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    static HfText.Behavior behavior(String s, String where, String what) {
        return switch (s) {
            case "Removed" -> HfText.Behavior.REMOVED;
            case "Isolated" -> HfText.Behavior.ISOLATED;
            case "MergedWithPrevious" -> HfText.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> HfText.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> HfText.Behavior.CONTIGUOUS;
            default -> throw refuse(where, what + ".behavior '" + s + "'");
        };
    }

    interface Splitter { void split(HfText t, List<HfText> out); }

    static UnaryOperator<List<HfText>> each(Splitter s) {
        return pieces -> {
            List<HfText> out = new ArrayList<>();
            for (HfText t : pieces) s.split(t, out);
            out.removeIf(HfText::isEmpty);
            return out;
        };
    }

    /** Optional leading space, GPT-2's regex (isolated), then every piece rewritten in the byte alphabet. */
    static List<HfText> byteLevel(List<HfText> pieces, boolean prefix, boolean useRegex) {
        List<HfText> split = each((t, out) -> {
            if (prefix && !t.s.startsWith(" ")) t = t.prepend(" ");
            if (useRegex) t.split(HfText.matches(t.s, ByteLevel.GPT2), HfText.Behavior.ISOLATED, false, out);
            else out.add(t);
        }).apply(pieces);
        List<HfText> out = new ArrayList<>(split.size());
        for (HfText t : split)
            out.add(t.mapCodePoints(HfPreTokenizers::byteChars));
        return out;
    }

    /** ASCII code point c in the byte alphabet (one char): precomputed, since most text is ASCII. */
    private static final String[] ASCII_CHARS = new String[128];
    static { for (int c = 0; c < 128; c++) ASCII_CHARS[c] = String.valueOf(ByteLevel.BYTE_TO_CHAR[c]); }

    /** Code point cp as its UTF-8 bytes, each written as its byte-alphabet character. */
    private static String byteChars(int cp) {
        if (cp < 128) return ASCII_CHARS[cp];
        byte[] u = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(u.length);
        for (byte x : u) b.append(ByteLevel.BYTE_TO_CHAR[x & 0xFF]);
        return b.toString();
    }

    /** SentencePiece's word marker: spaces become the replacement (▁), optionally one is prepended, words start at it. */
    record Metaspace(String replacement, String scheme, boolean split) {
        static Metaspace parse(JsonObject o, String where, String what) {
            String rep = ch(o, "replacement", where, what);
            String scheme = o.has("prepend_scheme") ? str(o, "prepend_scheme", where, what) : "always";
            if (!scheme.equals("always") && !scheme.equals("first") && !scheme.equals("never")) throw refuse(where, what + ".prepend_scheme '" + scheme + "'");
            if (o.has("add_prefix_space") && !bool(o, "add_prefix_space", true, where, what)) {
                if (!scheme.equals("never")) throw refuse(where, what + ": add_prefix_space false contradicts prepend_scheme '" + scheme + "'");
            }
            return new Metaspace(rep, scheme, bool(o, "split", true, where, what));
        }

        void preTokenize(HfText t, List<HfText> out) {
            t = t.replace(Pattern.compile(" ", Pattern.LITERAL), replacement);
            boolean starts = t.s.startsWith(replacement);
            if (scheme.equals("always") && !starts) t = t.prepend(replacement);
            else if (scheme.equals("first") && !starts && t.orig.length > 0 && t.orig[0] == 0) t = t.prepend(replacement);
            if (split) {
                int r = replacement.codePointAt(0);
                t.split(HfText.matches(t.s, cp -> cp == r), HfText.Behavior.MERGED_WITH_NEXT, false, out);
            } else out.add(t);
        }
    }
}
