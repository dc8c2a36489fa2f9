package jmglu.model.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format (so weights move between jmglu and PyTorch):
 * <pre>
 *   bytes [0, 8)          N, the header length, unsigned 64-bit little-endian
 *   bytes [8, 8 + N)      a UTF-8 JSON object: name → {"dtype": "F32", "shape": [d, h],
 *                         "data_offsets": [begin, end]}, plus an optional "__metadata__" object
 *                         of string → string
 *   bytes [8 + N, EOF)    the data buffer; each tensor is row-major little-endian at
 *                         [begin, end) relative to the start of the buffer
 * </pre>
 * The reader validates everything before allocating tensor memory and rejects a malformed file
 * with one {@link FormatException} naming the file and the problem: never an OutOfMemoryError or
 * a hang. The writer writes a temporary file in the same folder and moves it into place
 * atomically, so a crash leaves the previous file intact.
 */
public final class Safetensors {
    private Safetensors() {}

    /** Largest header accepted (the format's reference implementation uses 100 MB). */
    public static final long MAX_HEADER = 100L * 1024 * 1024;

    /** A malformed or unreadable safetensors file (a user error: the CLI prints the message). */
    public static final class FormatException extends IllegalArgumentException {
        public FormatException(String msg) { super(msg); }
    }

    /** A file's tensors (in file order) and metadata. */
    public record Contents(Map<String, RawTensor> tensors, Map<String, String> metadata) {
        public RawTensor get(String name) { return tensors.get(name); }
    }

    // ---------------------------------------------------------------- reading

    public static Contents read(Path file) {
        String f = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(f, "truncated file: " + size + " bytes, a safetensors file starts with an 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, f);
            long n = lenBuf.getLong(0);
            if (n < 2 || n > MAX_HEADER) throw bad(f, "header length " + Long.toUnsignedString(n) + " is not in 2.." + MAX_HEADER + " bytes");
            if (n > size - 8) throw bad(f, "header length " + n + " is larger than the file (" + size + " bytes): truncated file?");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8, f);
            String json = new String(hb.array(), StandardCharsets.UTF_8);
            JsonElement root;
            try {
                root = JsonParser.parseString(json);
            } catch (JsonParseException | IllegalStateException e) {
                throw bad(f, "header is not valid JSON (" + firstLine(e.getMessage()) + ")");
            }
            if (root == null || !root.isJsonObject()) throw bad(f, "header JSON is not an object");
            long dataLen = size - 8 - n;
            List<Entry> entries = new ArrayList<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().entrySet()) {
                if (e.getKey().equals("__metadata__")) { readMetadata(f, e.getValue(), meta); continue; }
                entries.add(parseEntry(f, e.getKey(), e.getValue(), dataLen));
            }
            checkOverlaps(f, entries);
            Map<String, RawTensor> tensors = new LinkedHashMap<>();
            for (Entry en : entries) {
                ByteBuffer buf = ByteBuffer.allocate((int) (en.end - en.begin));
                readFully(ch, buf, 8 + n + en.begin, f);
                tensors.put(en.name, new RawTensor(en.dtype, en.shape, buf.array()));
            }
            return new Contents(tensors, meta);
        } catch (NoSuchFileException e) {
            throw new FormatException(f + ": no such file");
        } catch (IOException e) {
            throw new FormatException(f + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private record Entry(String name, RawTensor.DT dtype, int[] shape, long begin, long end) {}

    private static Entry parseEntry(String f, String name, JsonElement v, long dataLen) {
        String where = "tensor '" + name + "'";
        if (!v.isJsonObject()) throw bad(f, where + " is not a JSON object");
        JsonObject o = v.getAsJsonObject();
        JsonElement dt = o.get("dtype"), sh = o.get("shape"), off = o.get("data_offsets");
        if (dt == null || !dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) throw bad(f, where + " has no string \"dtype\"");
        RawTensor.DT dtype = RawTensor.DT.parse(dt.getAsString());
        if (dtype == null) throw bad(f, where + " has unknown dtype '" + dt.getAsString() + "' (supported: F32, BF16, F16, I32, U8)");
        if (sh == null || !sh.isJsonArray()) throw bad(f, where + " has no \"shape\" array");
        JsonArray sa = sh.getAsJsonArray();
        int[] shape = new int[sa.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = longValue(sa.get(i));
            if (d < 0 || d > Integer.MAX_VALUE) throw bad(f, where + " has a bad shape " + sa);
            shape[i] = (int) d;
            count *= Math.max(d, 1);
            if (count > Integer.MAX_VALUE) throw bad(f, where + " has shape " + sa + " with more than 2^31 elements");
        }
        if (Arrays.stream(shape).anyMatch(d -> d == 0)) count = 0;
        if (off == null || !off.isJsonArray() || off.getAsJsonArray().size() != 2) throw bad(f, where + " has no \"data_offsets\" [begin, end]");
        long begin = longValue(off.getAsJsonArray().get(0)), end = longValue(off.getAsJsonArray().get(1));
        if (begin < 0 || end < begin || end > dataLen)
            throw bad(f, where + " has data_offsets [" + begin + ", " + end + "] outside the data buffer of " + dataLen + " bytes");
        if (end - begin != count * dtype.bytes)
            throw bad(f, where + ": shape " + sa + " of " + dtype + " needs " + count * dtype.bytes + " bytes but data_offsets span " + (end - begin));
        if (end - begin > Integer.MAX_VALUE - 8) throw bad(f, where + " is larger than 2 GiB");
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long longValue(JsonElement e) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) return -1;
        double d = e.getAsDouble();
        long l = e.getAsLong();
        return d == l ? l : -1;
    }

    private static void readMetadata(String f, JsonElement v, Map<String, String> meta) {
        if (!v.isJsonObject()) throw bad(f, "\"__metadata__\" is not an object of strings");
        for (Map.Entry<String, JsonElement> m : v.getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString())
                throw bad(f, "\"__metadata__\" value of '" + m.getKey() + "' is not a string");
            meta.put(m.getKey(), m.getValue().getAsString());
        }
    }

    /** Tensors may not share bytes (the format forbids overlaps; holes are tolerated). */
    private static void checkOverlaps(String f, List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> Long.compare(a.begin, b.begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry p = sorted.get(i - 1), c = sorted.get(i);
            if (c.begin < p.end && c.end > c.begin)
                throw bad(f, "tensors '" + p.name + "' [" + p.begin + ", " + p.end + ") and '" + c.name + "' [" + c.begin + ", " + c.end + ") overlap");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, String f) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw bad(f, "truncated file");
        }
    }

    private static FormatException bad(String f, String msg) { return new FormatException(f + ": not a valid safetensors file: " + msg); }

    private static String firstLine(String s) { return s == null ? "?" : s.lines().findFirst().orElse("?"); }

    // ---------------------------------------------------------------- writing

    /** Writes tensors (in map order) and metadata; atomically replaces an existing file. */
    public static void write(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", metadata);
        long off = 0;
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            RawTensor t = e.getValue();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("dtype", t.dtype().name());
            o.put("shape", t.shape());
            o.put("data_offsets", new long[] {off, off + t.data().length});
            header.put(e.getKey(), o);
            off += t.data().length;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;                       // keep the data buffer 8-byte aligned
        byte[] hdr = Arrays.copyOf(json, json.length + pad);
        Arrays.fill(hdr, json.length, hdr.length, (byte) ' ');
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, hdr.length);
        atomicWrite(file, ch -> {
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(hdr));
            for (RawTensor t : tensors.values()) writeFully(ch, ByteBuffer.wrap(t.data()));
        });
    }

    /** Something that writes a file's bytes to a channel. */
    public interface Body { void write(FileChannel ch) throws IOException; }

    /** Writes to a temporary file in the same folder, forces it to disk, then moves it over file atomically. */
    public static void atomicWrite(Path file, Body body) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* best effort */ }
        }
    }

    /** Atomically writes a UTF-8 text file (config and tokenizer JSON). */
    public static void atomicWriteString(Path file, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        atomicWrite(file, ch -> writeFully(ch, ByteBuffer.wrap(b)));
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
