package jmglu.model.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reading one component of a Hugging Face tokenizer.json strictly: every key must be one we know,
 * every value of the expected kind, and a regex must mean in Java what it means in Oniguruma (the
 * engine tokenizers uses); anything else is one IllegalArgumentException naming the file and the
 * unsupported thing, never an approximation.
 */
final class HfJson {
    private HfJson() {}

    /** Sequences may nest; a hostile file cannot make us recurse deeper than this. */
    static final int MAX_DEPTH = 16;

    static IllegalArgumentException refuse(String where, String what) {
        return new IllegalArgumentException(where + ": unsupported tokenizer.json: " + what);
    }

    static JsonObject obj(JsonElement e, String where, String what) {
        if (e == null || !e.isJsonObject()) throw refuse(where, what + " is not a JSON object");
        return e.getAsJsonObject();
    }

    /** o's keys must all be in allowed (plus "type"). */
    static void keys(JsonObject o, String where, String what, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String k : o.keySet())
            if (!k.equals("type") && !ok.contains(k)) throw refuse(where, what + " has the field '" + k + "', which jmglu does not implement");
    }

    static String type(JsonObject o, String where, String what) {
        JsonElement t = o.get("type");
        if (t == null || !t.isJsonPrimitive() || !t.getAsJsonPrimitive().isString()) throw refuse(where, what + " has no \"type\"");
        return t.getAsString();
    }

    static String str(JsonObject o, String key, String where, String what) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) throw refuse(where, what + "." + key + " must be a string");
        return e.getAsString();
    }

    /** A string field that may be absent or null. */
    static String optStr(JsonObject o, String key, String where, String what) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) return null;
        return str(o, key, where, what);
    }

    static boolean bool(JsonObject o, String key, boolean dflt, String where, String what) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) return dflt;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) throw refuse(where, what + "." + key + " must be true or false");
        return e.getAsBoolean();
    }

    static int nat(JsonObject o, String key, int max, String where, String what) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw refuse(where, what + "." + key + " must be a number");
        double d = e.getAsDouble();
        if (d != Math.rint(d) || d < 0 || d > max) throw refuse(where, what + "." + key + " = " + e + " is not an integer in 0.." + max);
        return (int) d;
    }

    /** A single character (one code point) field, as Rust's char. */
    static String ch(JsonObject o, String key, String where, String what) {
        String s = str(o, key, where, what);
        if (s.codePointCount(0, s.length()) != 1) throw refuse(where, what + "." + key + " = '" + s + "' is not one character");
        return s;
    }

    /** {"String": s} (matched literally) or {"Regex": r}, as a Java pattern. */
    static Pattern pattern(JsonElement e, String where, String what) {
        JsonObject p = obj(e, where, what + ".pattern");
        if (p.size() != 1) throw refuse(where, what + ".pattern must be {\"String\": …} or {\"Regex\": …}");
        if (p.has("String")) {
            String s = str(p, "String", where, what + ".pattern");
            if (s.isEmpty()) throw refuse(where, what + ".pattern is the empty string");
            return Pattern.compile(Pattern.quote(s));
        }
        if (p.has("Regex")) return regex(str(p, "Regex", where, what + ".pattern"), where, what);
        throw refuse(where, what + ".pattern must be {\"String\": …} or {\"Regex\": …}");
    }

    /**
     * An Oniguruma (Ruby syntax) regex as a Java one with Unicode classes (\s, \w, \d, \p{L} mean the
     * same in both; Java matches code points, so surrogate pairs are one character). Constructs whose
     * meaning differs are refused: ^ and $ (line anchors in Ruby), \h (hex digit in Ruby), \v, \R, \X,
     * \K, \G, \A, \z, \Z, \b, \B, back-references, POSIX brackets and named/unknown groups.
     */
    static Pattern regex(String src, String where, String what) {
        int cls = 0;
        for (int i = 0; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\\') {
                if (i + 1 >= src.length()) throw refuse(where, what + ": regex '" + src + "' ends with a backslash");
                char n = src.charAt(++i);
                if (Character.isLetterOrDigit(n) && "sSdDwWpPrntfxu".indexOf(n) < 0)
                    throw refuse(where, what + ": regex '" + src + "' uses \\" + n + ", whose Oniguruma meaning jmglu does not reproduce");
            } else if (c == '[') {
                if (src.startsWith("[:", i)) throw refuse(where, what + ": regex '" + src + "' uses a POSIX bracket");
                cls++;
                if (i + 1 < src.length() && src.charAt(i + 1) == '^') i++;
                if (i + 1 < src.length() && src.charAt(i + 1) == ']') i++;       // a leading ] is literal
            } else if (c == ']' && cls > 0) cls--;
            else if (cls == 0 && (c == '^' || c == '$')) throw refuse(where, what + ": regex '" + src + "' uses " + c + " (a line anchor in Oniguruma)");
            else if (cls == 0 && c == '(' && src.startsWith("(?", i)) {
                String rest = src.substring(i);
                if (!(rest.startsWith("(?:") || rest.startsWith("(?=") || rest.startsWith("(?!") || rest.startsWith("(?<=")
                        || rest.startsWith("(?<!") || rest.startsWith("(?>") || rest.startsWith("(?i:") || rest.startsWith("(?i)")))
                    throw refuse(where, what + ": regex '" + src + "' uses the group " + rest.substring(0, Math.min(4, rest.length())) + "…");
            }
        }
        try {
            return Pattern.compile(src, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException ex) {
            throw refuse(where, what + ": regex '" + src + "' (" + ex.getDescription() + ")");
        }
    }
}
