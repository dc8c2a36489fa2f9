package jmglu.engine.io;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jmglu.engine.DType;
import jmglu.engine.io.StrictJson.Problem;

/**
 * Parses and validates a safetensors header completely, before any tensor is made.
 *
 * <pre>
 *   { "__metadata__": { "format": "pt", ... },                     optional, string → string
 *     "name": { "dtype": "F32", "shape": [d, h], "data_offsets": [begin, end] }, ... }
 * </pre>
 * begin and end are byte offsets into the data buffer (which follows the header). The rules, in
 * the order they are checked:
 * <ol>
 *   <li>strict UTF-8 JSON object, nothing after it but spaces; no key twice at any level;</li>
 *   <li>each entry has exactly the keys dtype (one of F32, BF16, F16, I32), shape (at most 64 plain
 *       non-negative integers, each and their product below 2^31) and data_offsets (two plain
 *       integers, begin ≤ end ≤ data length) with end − begin = elements · bytes per element;</li>
 *   <li>layout: sorted by (begin, end), the tensors tile the data buffer exactly: each begins where
 *       the previous one ended, the first at 0, the last ends at the end of the file. So no two tensors
 *       share a byte, and there are no holes (unowned bytes) — as the format's reference implementation
 *       requires. Comparing each tensor only with its sorted neighbour would let an empty tensor placed
 *       inside another hide the overlap of its neighbours; tiling has no such gap;</li>
 *   <li>representable in jmglu: no scalar (shape [], jmglu has no rank-0 tensors) and no empty tensor
 *       (a 0 in the shape). Checked last, so that a scalar never hides a layout error.</li>
 * </ol>
 */
final class HeaderParser {
    private HeaderParser() {}

    /** The metadata key under which jmglu stores its checksum (see {@link Safetensors}). */
    static final String CHECKSUM_KEY = "jmglu.crc32c";
    static final int MAX_RANK = 64;
    /** Elements per tensor (jmglu's Tensor sizes are ints; the same bound as Tensor.checkedSize). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** One tensor as the header describes it; begin and end are relative to the data buffer. */
    record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        long bytes() { return end - begin; }
        String where() { return StrictJson.show(name) + " (bytes [" + begin + ", " + end + "))"; }
    }

    /** The header: entries in data order, metadata without the checksum key, the checksum or null. */
    record Header(List<Entry> entries, Map<String, String> metadata, String checksum) {}

    /** Parses header (the N bytes after the length) of file, whose data buffer holds dataLength bytes. */
    static Header parse(Path file, MemorySegment header, long dataLength) {
        try {
            if (header.get(ValueLayout.JAVA_BYTE, 0) != '{') throw new Problem("the header does not start with '{'");
            List<Entry> entries = new ArrayList<>();
            Map<String, String> meta = new LinkedHashMap<>();
            JsonReader r = StrictJson.reader(StrictJson.input(header));
            Set<String> seen = new HashSet<>();
            r.beginObject();
            while (r.hasNext()) {
                String name = StrictJson.name(r);
                if (!seen.add(name)) throw new Problem("the name " + StrictJson.show(name) + " appears twice in the header");
                if (name.equals("__metadata__")) readMetadata(r, meta);
                else entries.add(readEntry(r, name, dataLength));
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) throw new Problem("text after the header's JSON object");
            entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            checkTiling(entries, dataLength);
            for (Entry e : entries) {
                if (e.shape.length == 0)
                    throw new Problem("tensor " + StrictJson.show(e.name) + " is a scalar (shape []); jmglu has no rank-0 tensors");
                if (Arrays.stream(e.shape).anyMatch(d -> d == 0))
                    throw new Problem("tensor " + StrictJson.show(e.name) + " has no elements (shape " + Arrays.toString(e.shape) + "); jmglu has no empty tensors");
            }
            String sum = meta.remove(CHECKSUM_KEY);
            return new Header(List.copyOf(entries), meta, sum);
        } catch (Problem p) {
            throw FormatException.safetensors(file, p.getMessage());
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw FormatException.safetensors(file, "the header is " + StrictJson.describe(e));
        }
    }

    private static void readMetadata(JsonReader r, Map<String, String> meta) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) throw new Problem("\"__metadata__\" is not an object of strings");
        r.beginObject();
        while (r.hasNext()) {
            String k = StrictJson.name(r);
            String v = StrictJson.string(r, "the \"__metadata__\" value of " + StrictJson.show(k));
            if (meta.putIfAbsent(k, v) != null) throw new Problem("the \"__metadata__\" key " + StrictJson.show(k) + " appears twice");
        }
        r.endObject();
    }

    private static Entry readEntry(JsonReader r, String name, long dataLength) throws IOException {
        String t = "tensor " + StrictJson.show(name);
        if (r.peek() != JsonToken.BEGIN_OBJECT) throw new Problem(t + " is not a JSON object");
        String dtypeName = null;
        long[] shape = null, offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String k = StrictJson.name(r);
            switch (k) {
                case "dtype" -> {
                    if (dtypeName != null) throw new Problem(t + " has \"dtype\" twice");
                    dtypeName = StrictJson.string(r, "the \"dtype\" of " + t);
                }
                case "shape" -> {
                    if (shape != null) throw new Problem(t + " has \"shape\" twice");
                    shape = integers(r, t + " \"shape\"", MAX_RANK);
                }
                case "data_offsets" -> {
                    if (offsets != null) throw new Problem(t + " has \"data_offsets\" twice");
                    offsets = integers(r, t + " \"data_offsets\"", 2);
                }
                default -> throw new Problem(t + " has an unknown key " + StrictJson.show(k) + " (expected dtype, shape, data_offsets)");
            }
        }
        r.endObject();
        if (dtypeName == null) throw new Problem(t + " has no \"dtype\"");
        if (shape == null) throw new Problem(t + " has no \"shape\"");
        if (offsets == null || offsets.length != 2) throw new Problem(t + " has no \"data_offsets\" [begin, end]");
        DType dtype = dtype(t, dtypeName);
        long elements = 1;
        int[] dims = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > MAX_ELEMENTS) throw new Problem(t + " has shape " + Arrays.toString(shape) + " with a dimension of 2^31 or more");
            dims[i] = (int) shape[i];
        }
        for (long d : shape) elements = Math.min(elements * d, MAX_ELEMENTS + 1);   // both ≤ 2^31: no overflow
        if (elements > MAX_ELEMENTS) throw new Problem(t + " has shape " + Arrays.toString(shape) + " with more than 2^31 elements (jmglu's limit per tensor)");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw new Problem(t + " has data_offsets [" + begin + ", " + end + "] that end before they begin");
        if (end > dataLength)
            throw new Problem(t + " has data_offsets [" + begin + ", " + end + "] outside the data buffer of " + dataLength + " bytes (truncated file?)");
        long need = elements * dtype.bytes;
        if (end - begin != need)
            throw new Problem(t + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + need + " bytes but data_offsets span " + (end - begin));
        return new Entry(name, dtype, dims, begin, end);
    }

    /** A JSON array of at most max plain non-negative integers. */
    private static long[] integers(JsonReader r, String what, int max) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) throw new Problem(what + " is not an array");
        long[] out = new long[max];
        int n = 0;
        r.beginArray();
        while (r.hasNext()) {
            if (n == max) throw new Problem(what + " has more than " + max + " values");
            out[n] = StrictJson.nonNegative(r, what + " value " + n);
            n++;
        }
        r.endArray();
        return Arrays.copyOf(out, n);
    }

    private static DType dtype(String t, String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "BF16" -> DType.BF16;
            case "F16" -> DType.F16;
            case "I32" -> DType.I32;
            default -> throw new Problem(t + " has dtype " + StrictJson.show(name) + ", which is not supported (supported: F32, BF16, F16, I32)");
        };
    }

    /** Sorted entries must tile [0, dataLength): see the class comment. */
    private static void checkTiling(List<Entry> sorted, long dataLength) {
        long cursor = 0;
        Entry last = null;                                   // the entry that ends at cursor
        for (Entry e : sorted) {
            if (e.begin < cursor)
                throw new Problem(e.begin == e.end ? "the empty tensor " + e.where() + " lies inside " + last.where()
                                                   : "tensors " + last.where() + " and " + e.where() + " overlap");
            if (e.begin > cursor)
                throw new Problem("bytes [" + cursor + ", " + e.begin + ") of the data buffer belong to no tensor (a hole before " + e.where() + ")");
            last = e;
            cursor = e.end;
        }
        if (cursor != dataLength)
            throw new Problem("bytes [" + cursor + ", " + dataLength + ") at the end of the data buffer belong to no tensor");
    }
}
