package jmglu.model.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.engine.DType;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader and writer: round trips of every dtype, and one clear error per kind of malformed file. */
class SafetensorsTest {
    @TempDir Path dir;

    @Test void roundTripEveryDtype() {
        Rng rng = new Rng(3);
        Tensor f = Tensor.randn(rng, 1, 3, 5);
        Map<String, RawTensor> t = new LinkedHashMap<>();
        t.put("a.weight", RawTensor.of(f));
        t.put("b.bf16", RawTensor.of(f.to(DType.BF16)));
        t.put("c.f16", RawTensor.of(f.to(DType.F16)));
        t.put("d.masks", RawTensor.ofInts(new int[] {1, -1, 0x80000000, 7}, 2, 2));
        t.put("e.u8", new RawTensor(RawTensor.DT.U8, new int[] {3}, new byte[] {1, (byte) 200, 3}));
        Path p = dir.resolve("x.safetensors");
        Safetensors.write(p, t, Map.of("format", "test"));
        Safetensors.Contents c = Safetensors.read(p);
        assertEquals("test", c.metadata().get("format"));
        assertEquals(t.keySet(), c.tensors().keySet());
        assertArrayEquals(f.toArray(), c.get("a.weight").toFloats("a"));
        assertArrayEquals(f.to(DType.BF16).toArray(), c.get("b.bf16").toFloats("b"));
        assertEquals(DType.BF16, c.get("b.bf16").toTensor("b").dtype());
        assertArrayEquals(f.to(DType.F16).toArray(), c.get("c.f16").toFloats("c"));
        assertArrayEquals(new int[] {1, -1, 0x80000000, 7}, c.get("d.masks").toInts("d"));
        assertArrayEquals(new int[] {1, 200, 3}, c.get("e.u8").toInts("e"));
        assertArrayEquals(new int[] {2, 2}, c.get("d.masks").shape());
        // the data buffer starts 8-byte aligned and no temporary file is left behind
        assertEquals(0, littleEndianLong(p) % 8);
        try (var s = Files.list(dir)) { assertEquals(1, s.count()); } catch (IOException e) { throw new RuntimeException(e); }
    }

    // ---------------------------------------------------------------- malformed files

    @Test void truncatedBeforeHeaderLength() { expect(new byte[5], "truncated file"); }

    @Test void headerLengthLargerThanFile() { expect(file(1000, "{}", 0), "larger than the file"); }

    @Test void headerLengthAboveCap() { expect(file(1L << 40, "{}", 0), "is not in 2.."); }

    @Test void negativeHeaderLength() { expect(file(-5, "{}", 0), "is not in 2.."); }

    @Test void headerNotJson() { expect(file(-1, "{\"a\": [1, 2", 0), "not valid JSON"); }

    @Test void headerNotAnObject() { expect(file(-1, "[1, 2, 3]", 0), "not an object"); }

    @Test void offsetsOutOfRange() {
        expect(file(-1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "outside the data buffer");
    }

    @Test void truncatedData() {
        // a valid file cut short: the last tensor's end lies beyond the remaining bytes
        Path p = dir.resolve("ok.safetensors");
        Safetensors.write(p, Map.of("w", RawTensor.ofFloats(new float[64], 8, 8)), Map.of());
        try {
            byte[] all = Files.readAllBytes(p);
            expect(java.util.Arrays.copyOf(all, all.length - 10), "outside the data buffer");
        } catch (IOException e) { throw new RuntimeException(e); }
    }

    @Test void overlappingTensors() {
        expect(file(-1, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
    }

    @Test void unknownDtype() {
        expect(file(-1, "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "unknown dtype 'F64'");
    }

    @Test void shapeSizeMismatch() {
        expect(file(-1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3, 3],\"data_offsets\":[0,16]}}", 16), "needs 36 bytes");
    }

    @Test void hugeShapeIsRejectedWithoutAllocating() {
        expect(file(-1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[100000, 100000],\"data_offsets\":[0,16]}}", 16), "more than 2^31");
    }

    @Test void badShapeAndMissingFields() {
        expect(file(-1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "bad shape");
        expect(file(-1, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "no \"shape\"");
        expect(file(-1, "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "no string \"dtype\"");
        expect(file(-1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "data_offsets");
        expect(file(-1, "{\"w\":3}", 4), "is not a JSON object");
        expect(file(-1, "{\"__metadata__\":{\"k\":[1]}}", 0), "not a string");
    }

    @Test void missingFile() {
        var e = assertThrows(Safetensors.FormatException.class, () -> Safetensors.read(dir.resolve("nope.safetensors")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    /** Random corruptions of a valid file: the reader returns or throws FormatException, never anything else. */
    @Test void randomCorruptionsGiveOnlyFormatErrors() throws IOException {
        Path p = dir.resolve("base.safetensors");
        Map<String, RawTensor> t = new LinkedHashMap<>();
        t.put("a", RawTensor.ofFloats(new float[6], 2, 3));
        t.put("b", RawTensor.ofInts(new int[4], 4));
        Safetensors.write(p, t, Map.of("k", "v"));
        byte[] good = Files.readAllBytes(p);
        Rng rng = new Rng(11);
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = good.clone();
            int flips = 1 + rng.nextInt(4);
            for (int f = 0; f < flips; f++) b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
            if (rng.nextInt(4) == 0) b = java.util.Arrays.copyOf(b, rng.nextInt(b.length));
            Path q = dir.resolve("c" + trial);
            Files.write(q, b);
            try {
                Safetensors.read(q);
            } catch (Safetensors.FormatException ok) {
                assertTrue(ok.getMessage().startsWith(q.toString()), ok.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Header length (given, or the JSON's length when -1), the JSON, then dataBytes zero bytes. */
    private byte[] file(long headerLen, String json, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen == -1 ? j.length : headerLen).put(j);
        return b.array();
    }

    private void expect(byte[] content, String fragment) {
        Path p = dir.resolve("bad.safetensors");
        try { Files.write(p, content); } catch (IOException e) { throw new RuntimeException(e); }
        var e = assertThrows(Safetensors.FormatException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
    }

    private static long littleEndianLong(Path p) {
        try {
            return ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (IOException e) { throw new RuntimeException(e); }
    }
}
