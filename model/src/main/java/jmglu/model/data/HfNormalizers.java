package jmglu.model.data;

import static jmglu.model.data.HfJson.*;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * tokenizer.json "normalizer": what happens to the text (between added tokens) before it is split.
 * Supported: null, Sequence, Prepend, Replace (String or Regex pattern), NFC, NFD, NFKC, NFKD and
 * Lowercase; anything else is refused.
 */
final class HfNormalizers {
    private HfNormalizers() {}

    /** null for no normalizer. */
    static UnaryOperator<HfText> parse(JsonElement e, String where, int depth) {
        if (e == null || e.isJsonNull()) return null;
        if (depth > MAX_DEPTH) throw refuse(where, "normalizers nested deeper than " + MAX_DEPTH);
        JsonObject o = obj(e, where, "normalizer");
        String type = type(o, where, "normalizer");
        String what = "normalizer " + type;
        switch (type) {
            case "Sequence" -> {
                keys(o, where, what, "normalizers");
                if (o.get("normalizers") == null || !o.get("normalizers").isJsonArray()) throw refuse(where, what + ".normalizers must be an array");
                List<UnaryOperator<HfText>> seq = new ArrayList<>();
                for (JsonElement x : o.getAsJsonArray("normalizers")) seq.add(parse(x, where, depth + 1));
                return t -> { for (var n : seq) if (n != null) t = n.apply(t); return t; };
            }
            case "Prepend" -> {
                keys(o, where, what, "prepend");
                String p = str(o, "prepend", where, what);
                return t -> t.prepend(p);
            }
            case "Replace" -> {
                keys(o, where, what, "pattern", "content");
                Pattern re = pattern(o.get("pattern"), where, what);
                String content = str(o, "content", where, what);
                return t -> t.replace(re, content);
            }
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                keys(o, where, what);
                Normalizer.Form form = Normalizer.Form.valueOf(type);
                return t -> unicode(t, form);
            }
            case "Lowercase" -> {
                keys(o, where, what);
                // Rust's char::to_lowercase, one code point at a time (no final-sigma rule); Java's
                // String.toLowerCase of a single code point gives the same full mapping (İ → i̇).
                return t -> t.mapCodePoints(cp -> new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            }
            default -> throw refuse(where, "normalizer type '" + type + "'");
        }
    }

    /**
     * Unicode normalization. Offsets: when the text changes, each output char is aligned with the input
     * code point whose own normalization produced it, walking both in step (exact for decompositions;
     * a composed char aligns with its first input code point).
     */
    static HfText unicode(HfText t, Normalizer.Form form) {
        if (Normalizer.isNormalized(t.s, form)) return t;
        String out = Normalizer.normalize(t.s, form);
        int[] o = new int[out.length()];
        int j = 0;
        for (int i = 0; i < t.s.length() && j < o.length; ) {
            int cp = t.s.codePointAt(i);
            int len = Math.max(1, Normalizer.normalize(new String(Character.toChars(cp)), form).length());
            for (int k = 0; k < len && j < o.length; k++) o[j++] = t.orig[i];
            i += Character.charCount(cp);
        }
        int lastOrig = t.orig.length > 0 ? t.orig[t.orig.length - 1] : 0;
        while (j < o.length) o[j++] = lastOrig;
        return new HfText(out, o);
    }
}
