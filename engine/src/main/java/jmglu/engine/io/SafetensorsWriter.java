package jmglu.engine.io;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import jmglu.engine.Tensor;

/**
 * Streams tensors into a safetensors file (layout: see {@link SafetensorsFile}) without gathering
 * them in the heap: the header is built first (the offsets follow from the shapes), then each
 * tensor's bytes go from its segment to the channel in chunks of at most 8 MiB — straight from
 * off-heap, mapped and byte[] segments through {@code asByteBuffer()}, and through one 1 MiB bounce
 * buffer from float[]/short[]/int[] heap arrays (which no ByteBuffer can view as bytes).
 *
 * <p>The header is {@code {"__metadata__":{"jmglu.crc32c":"xxxxxxxx", <metadata>}, <tensors>}}
 * padded with spaces so that the data buffer starts 64-byte aligned (a cache line: a tensor whose bytes are a
 * multiple of 64, as model weights are, then never has a 64-byte vector load straddle two lines when the CPU
 * backend reads it mapped; lab/simd/README.md measured straddling loads 1.1–1.7× slower). The CRC-32C
 * of every other byte of the file is computed while writing and patched into the 8 hex digits at the
 * end. Tensors are written in map order, one after the other (they tile the data buffer).
 */
final class SafetensorsWriter {
    private SafetensorsWriter() {}

    static final int CHUNK = 8 << 20, BOUNCE = 1 << 20;

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        checkArguments(file, tensors, metadata);
        checkFinite(file, tensors);
        writeChecked(file, tensors, metadata);
    }

    /** Tensors in shards of at most maxShardBytes (a larger tensor gets a shard of its own), then the index. */
    static void writeSharded(Path dir, Map<String, Tensor> tensors, Map<String, String> metadata, long maxShardBytes) {
        Path index = dir.resolve(Safetensors.INDEX);
        if (maxShardBytes <= 0) throw new IllegalArgumentException(index + ": maxShardBytes must be positive, got " + maxShardBytes);
        checkArguments(index, tensors, metadata);
        checkFinite(index, tensors);
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> cur = new LinkedHashMap<>();
        long curBytes = 0, total = 0;
        for (var e : tensors.entrySet()) {
            long b = e.getValue().byteSize();
            if (!cur.isEmpty() && curBytes + b > maxShardBytes) { shards.add(cur); cur = new LinkedHashMap<>(); curBytes = 0; }
            cur.put(e.getKey(), e.getValue());
            curBytes += b;
            total += b;
        }
        if (!cur.isEmpty() || shards.isEmpty()) shards.add(cur);
        int n = shards.size();
        if (n > 99_999) throw new IllegalArgumentException(index + ": " + n + " shards; at most 99999 (raise maxShardBytes)");
        StringWriter text = new StringWriter();
        try {
            JsonWriter w = new JsonWriter(text);
            w.setIndent("  ");
            w.beginObject().name("metadata").beginObject().name("total_size").value(total);
            for (var m : metadata.entrySet()) if (!m.getKey().equals("total_size")) w.name(m.getKey()).value(m.getValue());
            w.endObject().name("weight_map").beginObject();
            for (int k = 0; k < n; k++) {
                String shard = String.format("model-%05d-of-%05d.safetensors", k + 1, n);
                writeChecked(dir.resolve(shard), shards.get(k), metadata);
                for (String name : shards.get(k).keySet()) w.name(name).value(shard);
            }
            w.endObject().endObject().flush();
            byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
            Durable.writeAtomically(index, ch -> Durable.writeFully(ch, ByteBuffer.wrap(bytes)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + index + ": " + e.getMessage(), e);
        }
    }

    private static void checkArguments(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (tensors == null || metadata == null) throw new IllegalArgumentException(file + ": tensors and metadata must not be null");
        try {
            for (var e : tensors.entrySet()) {
                String name = e.getKey();
                if (name == null || e.getValue() == null) throw new IllegalArgumentException(file + ": a null tensor name or tensor");
                StrictJson.checked(name);
                if (name.equals("__metadata__")) throw new IllegalArgumentException(file + ": '__metadata__' cannot name a tensor");
                if (!e.getValue().isHost())
                    throw new IllegalArgumentException(file + ": tensor " + StrictJson.show(name) + " is on a device; read it back to the host first");
            }
            for (var m : metadata.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) throw new IllegalArgumentException(file + ": a null metadata key or value");
                StrictJson.checked(m.getKey());
                StrictJson.checked(m.getValue());
                if (m.getKey().equals(HeaderParser.CHECKSUM_KEY))
                    throw new IllegalArgumentException(file + ": the metadata key '" + HeaderParser.CHECKSUM_KEY + "' is reserved for jmglu's checksum");
            }
        } catch (StrictJson.Problem p) {
            throw new IllegalArgumentException(file + ": " + p.getMessage());
        }
    }

    /** No NaN is saved: a non-finite float anywhere refuses the whole write, before a byte is written. */
    private static void checkFinite(Path file, Map<String, Tensor> tensors) {
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long i = t.firstNonFinite();
            if (i < 0) continue;
            float v = t.getFlat(i);
            int[] shape = t.shape(), idx = new int[shape.length];
            long r = i;
            for (int d = shape.length - 1; d >= 0; d--) { idx[d] = (int) (r % shape[d]); r /= shape[d]; }
            throw new IllegalArgumentException(file + ": not written: tensor " + StrictJson.show(e.getKey()) + " holds " + v + " at element " + i
                    + " (index " + Arrays.toString(idx) + "); no NaN is saved");
        }
    }

    private static void writeChecked(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] header = header(file, tensors, metadata);
        try {
            Durable.writeAtomically(file, ch -> body(ch, header, tensors));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The header JSON, with "00000000" in place of the checksum, padded so that the data buffer starts 64-byte aligned. */
    private static byte[] header(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringWriter text = new StringWriter();
        try {
            JsonWriter w = new JsonWriter(text);
            w.beginObject().name("__metadata__").beginObject().name(HeaderParser.CHECKSUM_KEY).value("00000000");
            for (var m : metadata.entrySet()) w.name(m.getKey()).value(m.getValue());
            w.endObject();
            long off = 0;
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                w.name(e.getKey()).beginObject().name("dtype").value(t.dtype().name()).name("shape").beginArray();
                for (int d : t.shape()) w.value(d);
                w.endArray().name("data_offsets").beginArray().value(off).value(off + t.byteSize()).endArray().endObject();
                off += t.byteSize();
            }
            w.endObject().flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);                  // a StringWriter does not fail
        }
        byte[] json = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = ((8 + json.length + 63) & ~63) - 8;          // the data buffer starts on a 64-byte line
        if (padded > Safetensors.MAX_HEADER)
            throw new IllegalArgumentException(file + ": the header would be " + padded + " bytes, more than the format's " + Safetensors.MAX_HEADER);
        byte[] h = Arrays.copyOf(json, padded);
        Arrays.fill(h, json.length, padded, (byte) ' ');
        return h;
    }

    private static void body(FileChannel ch, byte[] header, Map<String, Tensor> tensors) throws IOException {
        int p = SafetensorsFile.CHECKSUM_PREFIX.length();          // ASCII: chars = bytes
        CRC32C crc = new CRC32C();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
        crc.update(len.array());
        crc.update(header, 0, p);
        crc.update(header, p + 8, header.length - p - 8);
        Durable.writeFully(ch, len);
        Durable.writeFully(ch, ByteBuffer.wrap(header));
        ByteBuffer bounce = null;
        MemorySegment bounceSeg = null;                             // the bounce buffer's bytes, whatever its position
        for (Tensor t : tensors.values()) {
            MemorySegment s = t.segment();
            boolean direct = s.isNative() || s.heapBase().map(o -> o instanceof byte[]).orElse(false);
            if (!direct && bounce == null) bounceSeg = MemorySegment.ofBuffer(bounce = ByteBuffer.allocateDirect(BOUNCE));
            int step = direct ? CHUNK : BOUNCE;
            for (long off = 0; off < s.byteSize(); off += step) {
                int n = (int) Math.min(step, s.byteSize() - off);
                ByteBuffer b;
                if (direct) b = s.asSlice(off, n).asByteBuffer();
                else {
                    MemorySegment.copy(s, off, bounceSeg, 0, n);
                    b = bounce.clear().limit(n);
                }
                crc.update(b.duplicate());
                Durable.writeFully(ch, b);
            }
        }
        byte[] hex = String.format("%08x", crc.getValue()).getBytes(StandardCharsets.US_ASCII);
        Durable.writeFully(ch, ByteBuffer.wrap(hex), 8 + p);
    }
}
