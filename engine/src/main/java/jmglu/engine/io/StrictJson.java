package jmglu.engine.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Helpers for reading checkpoint JSON (safetensors headers, shard indexes) with Gson's streaming
 * {@link JsonReader} in strict mode (RFC 8259: no comments, no single quotes, no NaN, one value).
 * Streaming means a header costs memory for what it describes, never a second copy of its text.
 *
 * <p>What strict JSON still allows and a checkpoint must not, these helpers reject: invalid UTF-8
 * (the decoder reports instead of substituting U+FFFD), unpaired surrogate escapes such as
 * {@code "\ud800"} (a name that would not survive being written back), numbers that are not plain
 * non-negative integers ({@code -1}, {@code 2.0}, {@code 1e3}, more than 18 digits). Duplicate
 * keys are the callers' to reject (Gson's tree model would keep the last one silently).
 * Every problem is a {@link Problem} whose message the caller prefixes with the file.
 */
final class StrictJson {
    private StrictJson() {}

    /** A problem in the JSON; the caller turns it into a {@link FormatException} naming the file. */
    static final class Problem extends RuntimeException {
        Problem(String message) { super(message, null, false, false); }
    }

    /** A strict reader over UTF-8 bytes; malformed UTF-8 surfaces as a CharacterCodingException. */
    static JsonReader reader(InputStream in) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        JsonReader r = new JsonReader(new InputStreamReader(in, decoder));
        r.setStrictness(Strictness.STRICT);
        r.setNestingLimit(64);
        return r;
    }

    /** The message for an exception thrown by Gson or the decoder while reading. */
    static String describe(Exception e) {
        if (e instanceof CharacterCodingException) return "not valid UTF-8";
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return "not valid JSON (" + (nl < 0 ? m : m.substring(0, nl)) + ")";
    }

    /** The next object key, which must be valid UTF-16 text. */
    static String name(JsonReader r) throws IOException {
        return checked(r.nextName());
    }

    /** The next value, which must be a string; what names it in the error. */
    static String string(JsonReader r, String what) throws IOException {
        if (r.peek() != JsonToken.STRING) throw new Problem(what + " is not a string");
        return checked(r.nextString());
    }

    /** The next value, which must be a plain non-negative integer below 10^18. */
    static long nonNegative(JsonReader r, String what) throws IOException {
        if (r.peek() != JsonToken.NUMBER) throw new Problem(what + " is not a number");
        String lit = r.nextString();                       // the literal text, e.g. "12", "-1", "2.5e3"
        String shown = lit.length() <= 30 ? lit : lit.substring(0, 27) + "...";
        if (lit.startsWith("-")) throw new Problem(what + " is negative (" + shown + ")");
        for (int i = 0; i < lit.length(); i++)
            if (lit.charAt(i) < '0' || lit.charAt(i) > '9') throw new Problem(what + " is not an integer (" + shown + ")");
        if (lit.isEmpty() || lit.length() > 18) throw new Problem(what + " is out of range (" + shown + ")");
        return Long.parseLong(lit);
    }

    /** s, if it has no unpaired surrogate (a code unit sequence that is not Unicode text). */
    static String checked(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) throw new Problem("the string " + show(s) + " holds an unpaired surrogate \\u" + Integer.toHexString(c));
        }
        return s;
    }

    /** s quoted for a message, cut to 60 characters (a file may hold a name of megabytes). */
    static String show(String s) {
        return "'" + (s.length() <= 60 ? s : s.substring(0, 57) + "...") + "'";
    }

    /** An InputStream over a segment's bytes (a mapped header: no copy into the heap). */
    static InputStream input(MemorySegment seg) {
        return new InputStream() {
            long pos;
            @Override public int read() { return pos < seg.byteSize() ? seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, pos++) & 0xFF : -1; }
            @Override public int read(byte[] b, int off, int len) {
                if (len == 0) return 0;
                long left = seg.byteSize() - pos;
                if (left <= 0) return -1;
                int n = (int) Math.min(len, left);
                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }
}
