package jmglu.model.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A piece of text on its way through normalization and pre-tokenization (tokenizers'
 * NormalizedString, reduced to what changes the ids): the chars and, per char, the offset in the
 * original text of the character it came from. Only one decision reads those offsets — Metaspace's
 * prepend_scheme "first" prepends ▁ only to a piece that starts at original offset 0 — but they are
 * kept as tokenizers keeps them: inserted chars take the offset of the char they were inserted for.
 * Offsets are in UTF-16 chars (both halves of a surrogate pair carry the same offset).
 */
final class HfText {
    final String s;
    final int[] orig;

    HfText(String s, int[] orig) { this.s = s; this.orig = orig; }

    /** text[from, to) of an original text: its chars come from themselves. */
    static HfText original(String text, int from, int to) {
        int[] o = new int[to - from];
        for (int i = 0; i < o.length; i++) o[i] = from + i;
        return new HfText(text.substring(from, to), o);
    }

    boolean isEmpty() { return s.isEmpty(); }

    HfText slice(int a, int b) { return new HfText(s.substring(a, b), Arrays.copyOfRange(orig, a, b)); }

    /** p before the first char, aligned with it (an empty text stays empty, as in tokenizers). */
    HfText prepend(String p) {
        if (s.isEmpty()) return this;
        int[] o = new int[p.length() + orig.length];
        Arrays.fill(o, 0, p.length(), orig[0]);
        System.arraycopy(orig, 0, o, p.length(), orig.length);
        return new HfText(p + s, o);
    }

    /** Every match of re replaced by content; inserted chars align with the last char of their match. */
    HfText replace(Pattern re, String content) {
        if (re == null || s.isEmpty()) return this;
        StringBuilder b = new StringBuilder();
        int[] o = new int[16];
        int n = 0, last = 0;
        Matcher m = re.matcher(s);
        while (m.find()) {
            for (int i = last; i < m.start(); i++) { o = grow(o, n); o[n++] = orig[i]; }
            b.append(s, last, m.start());
            int align = m.end() >= 1 ? orig[m.end() - 1] : 0;
            for (int i = 0; i < content.length(); i++) { o = grow(o, n); o[n++] = align; }
            b.append(content);
            last = m.end();
        }
        for (int i = last; i < s.length(); i++) { o = grow(o, n); o[n++] = orig[i]; }
        b.append(s, last, s.length());
        return new HfText(b.toString(), Arrays.copyOf(o, n));
    }

    /** Each code point replaced by f(code point); the new chars align with the code point they came from. */
    HfText mapCodePoints(java.util.function.IntFunction<String> f) {
        StringBuilder b = new StringBuilder(s.length());
        int[] o = new int[s.length() + 8];
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String r = f.apply(cp);
            for (int k = 0; k < r.length(); k++) { o = grow(o, n); o[n++] = orig[i]; }
            b.append(r);
            i += Character.charCount(cp);
        }
        return new HfText(b.toString(), Arrays.copyOf(o, n));
    }

    private static int[] grow(int[] a, int n) { return n < a.length ? a : Arrays.copyOf(a, 2 * a.length + 8); }

    // ---- splitting (tokenizers' NormalizedString::split and Pattern::find_matches) ----

    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** (start, end, isMatch) triples covering s: regex matches and the gaps between them. */
    static List<int[]> matches(String s, Pattern re) {
        List<int[]> out = new ArrayList<>();
        if (s.isEmpty()) { out.add(new int[] {0, 0, 0}); return out; }
        int prev = 0;
        Matcher m = re.matcher(s);
        while (m.find()) {
            if (prev != m.start()) out.add(new int[] {prev, m.start(), 0});
            out.add(new int[] {m.start(), m.end(), 1});
            prev = m.end();
        }
        if (prev != s.length()) out.add(new int[] {prev, s.length(), 0});
        return out;
    }

    /** The same for a per-character test: every matching code point is a match of its own. */
    static List<int[]> matches(String s, IntPredicate isDelim) {
        List<int[]> out = new ArrayList<>();
        if (s.isEmpty()) { out.add(new int[] {0, 0, 0}); return out; }
        int last = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i), e = i + Character.charCount(cp);
            if (isDelim.test(cp)) {
                if (last < i) out.add(new int[] {last, i, 0});
                out.add(new int[] {i, e, 1});
                last = e;
            }
            i = e;
        }
        if (s.length() > last) out.add(new int[] {last, s.length(), 0});
        return out;
    }

    /** Splits this text at the matches, keeping or merging the delimiters as b says; empty pieces are dropped. */
    void split(List<int[]> matches, Behavior b, boolean invert, List<HfText> out) {
        List<int[]> keep = new ArrayList<>();                      // (start, end, remove)
        boolean prevMatch = false;
        for (int[] m0 : matches) {
            boolean isMatch = (m0[2] == 1) != invert;
            int[] last = keep.isEmpty() ? null : keep.get(keep.size() - 1);
            switch (b) {
                case ISOLATED -> keep.add(new int[] {m0[0], m0[1], 0});
                case REMOVED -> keep.add(new int[] {m0[0], m0[1], isMatch ? 1 : 0});
                case CONTIGUOUS -> {
                    if (isMatch == prevMatch && last != null) last[1] = m0[1];
                    else keep.add(new int[] {m0[0], m0[1], 0});
                }
                case MERGED_WITH_PREVIOUS -> {
                    if (isMatch && !prevMatch && last != null) last[1] = m0[1];
                    else keep.add(new int[] {m0[0], m0[1], 0});
                }
                case MERGED_WITH_NEXT -> keep.add(new int[] {m0[0], m0[1], isMatch ? 1 : 0});   // folded below
            }
            prevMatch = isMatch;
        }
        if (b == Behavior.MERGED_WITH_NEXT) {                      // right to left: a match joins the piece after it
            List<int[]> rev = new ArrayList<>();
            prevMatch = false;
            for (int i = keep.size() - 1; i >= 0; i--) {
                int[] m0 = keep.get(i);
                boolean isMatch = m0[2] == 1;
                if (isMatch && !prevMatch && !rev.isEmpty()) rev.get(rev.size() - 1)[0] = m0[0];
                else rev.add(new int[] {m0[0], m0[1], 0});
                prevMatch = isMatch;
            }
            keep.clear();
            for (int i = rev.size() - 1; i >= 0; i--) keep.add(rev.get(i));
        }
        for (int[] k : keep) if (k[2] == 0 && k[1] > k[0]) out.add(slice(k[0], k[1]));
    }
}
