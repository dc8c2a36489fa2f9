package jmglu.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import jmglu.engine.Tensor;

/**
 * One safetensors file, memory-mapped read-only: its tensors are views of the mapping (no copy, no
 * heap), so opening a multi-GB checkpoint costs the header's size in heap.
 *
 * <pre>
 *   bytes [0, 8)          N, the header length, unsigned 64-bit little-endian, 2 ≤ N ≤ 100 MB
 *   bytes [8, 8 + N)      the header, UTF-8 JSON (validated by HeaderParser), padded with spaces
 *   bytes [8 + N, EOF)    the data buffer: every tensor, row-major little-endian, tiling it exactly
 * </pre>
 *
 * <p><b>Lifetime.</b> The mapping belongs to this object: {@link #close()} unmaps it, and every
 * tensor from {@link #tensors()} becomes unusable (reading one throws IllegalStateException; copy
 * what must outlive the file with {@link Tensor#copy()}). close is idempotent. The tensors are
 * read-only; any number of threads may read them (the mapping belongs to a shared arena), but not
 * while another thread closes the file. The file must not be truncated or rewritten in place while it is mapped (the JVM
 * would fault on a vanished page); jmglu's writers never do that: they rename a new file over the
 * old one, and the mapping keeps reading the old one.
 *
 * <p><b>Checksum.</b> Files written by jmglu carry {@value HeaderParser#CHECKSUM_KEY}, a CRC-32C
 * of the whole file except its own 8 hex digits, as the first key of {@code __metadata__} (other
 * tools ignore it). {@link #open} checks structure only (fast, lazy); {@link #verify()} reads
 * every byte and compares. The key is not part of {@link #metadata()}.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** How a jmglu-written header starts; the checksum's 8 hex digits follow at byte 8 + its length. */
    static final String CHECKSUM_PREFIX = "{\"__metadata__\":{\"" + HeaderParser.CHECKSUM_KEY + "\":\"";
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapped;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final String checksum;
    private boolean closed;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapped, Map<String, Tensor> tensors,
                            Map<String, String> metadata, String checksum) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.checksum = checksum;
    }

    /** Maps and validates file; see {@link Safetensors#open}. */
    static SafetensorsFile open(Path file) {
        if (java.nio.file.Files.isDirectory(file)) throw new FormatException(file + ": is a folder, not a safetensors file");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment m;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8)
                    throw FormatException.safetensors(file, "truncated file: " + size + " bytes, a safetensors file starts with an 8-byte header length");
                m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            long size = m.byteSize(), n = m.get(LE_LONG, 0);
            if (n < 2 || n > Safetensors.MAX_HEADER)          // n < 0: an unsigned length of 2^63 or more
                throw FormatException.safetensors(file, "header length " + Long.toUnsignedString(n) + " is not in 2.." + Safetensors.MAX_HEADER + " bytes");
            if (n > size - 8)
                throw FormatException.safetensors(file, "header length " + n + " is larger than the rest of the file (" + (size - 8) + " bytes): truncated file?");
            HeaderParser.Header h = HeaderParser.parse(file, m.asSlice(8, n), size - 8 - n);
            Map<String, Tensor> ts = new LinkedHashMap<>();
            for (HeaderParser.Entry e : h.entries())
                ts.put(e.name(), Tensor.wrap(e.dtype(), m.asSlice(8 + n + e.begin(), e.bytes()), e.shape()));
            return new SafetensorsFile(file, arena, m, ts, h.metadata(), h.checksum());
        } catch (NoSuchFileException e) {
            arena.close();
            throw new FormatException(file + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() { return path; }

    /** Every tensor, in the order of its bytes in the file (a jmglu-written file: the order given to write). */
    public Map<String, Tensor> tensors() { return tensors; }

    /** The tensor called name; an IllegalArgumentException naming the file if there is none. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(path + ": no tensor " + StrictJson.show(name) + " (the file has " + tensors.size() + ")");
        return t;
    }

    /** The {@code __metadata__} strings, in file order, without jmglu's checksum key. */
    public Map<String, String> metadata() { return metadata; }

    /** Whether the file carries a jmglu checksum ({@link #verify()} can check it). */
    public boolean hasChecksum() { return checksum != null; }

    /**
     * Reads every byte and checks jmglu's CRC-32C: a FormatException if the file has none (written
     * by another tool) or if it does not match (a corrupt file: a flipped bit anywhere, in the
     * header, a name, the metadata or the data, is caught).
     */
    public void verify() {
        if (checksum == null)
            throw new FormatException(path + ": cannot verify: the file carries no " + HeaderParser.CHECKSUM_KEY + " checksum (not written by jmglu)");
        byte[] prefix = CHECKSUM_PREFIX.getBytes(StandardCharsets.UTF_8);
        long at = 8 + prefix.length;
        byte[] start = new byte[prefix.length];
        MemorySegment.copy(segment(), ValueLayout.JAVA_BYTE, 8, start, 0, start.length);
        if (!java.util.Arrays.equals(start, prefix) || !checksum.matches("[0-9a-f]{8}"))
            throw FormatException.safetensors(path, "the " + HeaderParser.CHECKSUM_KEY + " checksum is not where and how jmglu writes it");
        CRC32C crc = new CRC32C();
        update(crc, mapped, 0, at);
        update(crc, mapped, at + 8, mapped.byteSize());
        String actual = String.format("%08x", crc.getValue());
        if (!actual.equals(checksum))
            throw FormatException.safetensors(path, "checksum mismatch (the file says " + checksum + ", its bytes give " + actual + "): the file is corrupt");
    }

    /** Adds bytes [from, to) of seg to crc, in chunks that fit a ByteBuffer. */
    static void update(CRC32C crc, MemorySegment seg, long from, long to) {
        for (long p = from; p < to; p += 1 << 30) crc.update(seg.asSlice(p, Math.min(1L << 30, to - p)).asByteBuffer());
    }

    private MemorySegment segment() {
        synchronized (this) {
            if (closed) throw new IllegalStateException(path + " is closed");
        }
        return mapped;
    }

    /** Unmaps the file: every tensor of this file becomes unusable. Idempotent. */
    @Override public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        arena.close();
    }

    @Override public String toString() { return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]"; }
}
