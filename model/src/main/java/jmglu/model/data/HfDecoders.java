package jmglu.model.data;

import static jmglu.model.data.HfJson.*;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * tokenizer.json "decoder": token strings back to text, as tokenizers' decode_chain. Supported:
 * ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace and Sequence; anything else is refused.
 * The chain works on the UTF-8 bytes of each token. Two modes: exact (tokenizers' strings: ByteLevel
 * decodes its bytes lossily, ByteFallback turns an invalid run of &lt;0xNN&gt; into one U+FFFD per byte)
 * and raw (those bytes are kept as they are, so a character split over several tokens survives
 * streaming; the result is the same whenever the exact one has no U+FFFD of its own making).
 */
final class HfDecoders {
    private HfDecoders() {}

    interface Decoder { List<byte[]> decode(List<byte[]> tokens, boolean raw); }

    static final byte[] FFFD = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    /** null for no decoder. */
    static Decoder parse(JsonElement e, String where, int depth) {
        if (e == null || e.isJsonNull()) return null;
        if (depth > MAX_DEPTH) throw refuse(where, "decoders nested deeper than " + MAX_DEPTH);
        JsonObject o = obj(e, where, "decoder");
        String type = type(o, where, "decoder");
        String what = "decoder " + type;
        switch (type) {
            case "Sequence" -> {
                keys(o, where, what, "decoders");
                if (o.get("decoders") == null || !o.get("decoders").isJsonArray()) throw refuse(where, what + ".decoders must be an array");
                List<Decoder> seq = new ArrayList<>();
                for (JsonElement x : o.getAsJsonArray("decoders")) {
                    Decoder d = parse(x, where, depth + 1);
                    if (d == null) throw refuse(where, what + " holds a null decoder");
                    seq.add(d);
                }
                return (t, raw) -> { for (Decoder d : seq) t = d.decode(t, raw); return t; };
            }
            case "ByteLevel" -> {
                keys(o, where, what, "add_prefix_space", "trim_offsets", "use_regex");
                return HfDecoders::byteLevel;
            }
            case "ByteFallback" -> {
                keys(o, where, what);
                return HfDecoders::byteFallback;
            }
            case "Fuse" -> {
                keys(o, where, what);
                return (t, raw) -> List.of(concat(t, new byte[0]));
            }
            case "Strip" -> {
                keys(o, where, what, "content", "start", "stop");
                byte[] c = ch(o, "content", where, what).getBytes(StandardCharsets.UTF_8);
                int start = nat(o, "start", 1 << 20, where, what), stop = nat(o, "stop", 1 << 20, where, what);
                return (t, raw) -> { List<byte[]> out = new ArrayList<>(); for (byte[] x : t) out.add(strip(x, c, start, stop)); return out; };
            }
            case "Replace" -> {
                keys(o, where, what, "pattern", "content");
                JsonObject p = obj(o.get("pattern"), where, what + ".pattern");
                byte[] content = str(o, "content", where, what).getBytes(StandardCharsets.UTF_8);
                if (p.has("String") && p.size() == 1) {
                    HfJson.pattern(p, where, what);                                  // checks it is a non-empty string
                    byte[] lit = p.get("String").getAsString().getBytes(StandardCharsets.UTF_8);
                    return (t, raw) -> { List<byte[]> out = new ArrayList<>(); for (byte[] x : t) out.add(replace(x, lit, content)); return out; };
                }
                Pattern re = HfJson.pattern(p, where, what);                          // a regex works on the text (lossily decoded)
                String cs = java.util.regex.Matcher.quoteReplacement(new String(content, StandardCharsets.UTF_8));
                return (t, raw) -> {
                    List<byte[]> out = new ArrayList<>();
                    for (byte[] x : t) out.add(re.matcher(new String(x, StandardCharsets.UTF_8)).replaceAll(cs).getBytes(StandardCharsets.UTF_8));
                    return out;
                };
            }
            case "Metaspace" -> {
                keys(o, where, what, "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep");
                var m = HfPreTokenizers.Metaspace.parse(o, where, what);
                byte[] rep = m.replacement().getBytes(StandardCharsets.UTF_8);
                boolean dropFirst = !m.scheme().equals("never");
                return (t, raw) -> {
                    List<byte[]> out = new ArrayList<>();
                    for (int i = 0; i < t.size(); i++) out.add(replace(t.get(i), rep, i == 0 && dropFirst ? new byte[0] : new byte[] {' '}));
                    return out;
                };
            }
            default -> throw refuse(where, "decoder type '" + type + "'");
        }
    }

    /** Every token mapped back through the byte alphabet (a token with a char outside it stays as its UTF-8), all joined into one. */
    static List<byte[]> byteLevel(List<byte[]> tokens, boolean raw) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] t : tokens) {
            byte[] x = ByteLevel.toBytes(new String(t, StandardCharsets.UTF_8));
            b.writeBytes(x != null ? x : t);
        }
        byte[] all = b.toByteArray();
        return List.of(raw ? all : new String(all, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));   // from_utf8_lossy
    }

    /** Runs of &lt;0xNN&gt; tokens become their bytes (one U+FFFD per byte if the run is not UTF-8, unless raw). */
    static List<byte[]> byteFallback(List<byte[]> tokens, boolean raw) {
        List<byte[]> out = new ArrayList<>();
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (byte[] t : tokens) {
            int v = byteToken(t);
            if (v >= 0) { run.write(v); continue; }
            flush(run, out, raw);
            out.add(t);
        }
        flush(run, out, raw);
        return out;
    }

    private static void flush(ByteArrayOutputStream run, List<byte[]> out, boolean raw) {
        if (run.size() == 0) return;
        byte[] r = run.toByteArray();
        run.reset();
        if (validUtf8(r)) out.add(r);
        else for (byte x : r) out.add(raw ? new byte[] {x} : FFFD);
    }

    /** The byte of "&lt;0xNN&gt;" (6 bytes; NN read as Rust's u8::from_str_radix(_, 16), which allows a leading '+'), else -1. */
    static int byteToken(byte[] t) {
        if (t.length != 6 || t[0] != '<' || t[1] != '0' || t[2] != 'x' || t[5] != '>') return -1;
        int hi = Character.digit(t[3], 16), lo = Character.digit(t[4], 16);
        if (t[3] == '+' && lo >= 0) return lo;
        if (hi < 0 || lo < 0 || t[3] > 0x7F || t[4] > 0x7F) return -1;
        return hi * 16 + lo;
    }

    static boolean validUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Up to start leading and stop trailing copies of the character c removed. */
    static byte[] strip(byte[] x, byte[] c, int start, int stop) {
        int a = 0, z = x.length;
        for (int k = 0; k < start && startsAt(x, a, c); k++) a += c.length;
        for (int k = 0; k < stop && z - c.length >= 0 && startsAt(x, z - c.length, c); k++) z -= c.length;
        return z <= a ? new byte[0] : Arrays.copyOfRange(x, a, z);
    }

    private static boolean startsAt(byte[] x, int at, byte[] c) {
        if (at < 0 || at + c.length > x.length) return false;
        for (int i = 0; i < c.length; i++) if (x[at + i] != c[i]) return false;
        return true;
    }

    /** Every non-overlapping occurrence of lit (left to right) replaced by content. */
    static byte[] replace(byte[] x, byte[] lit, byte[] content) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(x.length);
        for (int i = 0; i < x.length; ) {
            if (startsAt(x, i, lit)) { b.writeBytes(content); i += lit.length; }
            else b.write(x[i++]);
        }
        return b.toByteArray();
    }

    static byte[] concat(List<byte[]> parts, byte[] sep) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) b.writeBytes(sep);
            b.writeBytes(parts.get(i));
        }
        return b.toByteArray();
    }
}
