package jmglu.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offsets are longs: a file of 2.4 GB whose second tensor starts past 2^31 bytes (sparse: it takes no disk). */
class SafetensorsLargeTest {
    @TempDir Path dir;

    @Test void tensorsPastTwoGiB() throws IOException {
        long bigElems = 600_000_000L, bigBytes = bigElems * 4;            // 2.4e9 bytes > 2^31
        String json = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + bigElems + "],\"data_offsets\":[0," + bigBytes + "]},"
                + "\"tail\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[" + bigBytes + "," + (bigBytes + 16) + "]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        int n = (h.length + 7) & ~7;
        long data = 8 + n;
        Path p = dir.resolve("large.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
            f.write(h);
            for (int i = h.length; i < n; i++) f.write(' ');
            f.setLength(data + bigBytes + 16);
            f.seek(data + 590_000_000L * 4);
            f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(3.25f).array());
            f.seek(data + bigBytes + 8);
            f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(-77).array());
        }
        assertTrue(Files.size(p) > (1L << 31) + 1000);
        try (SafetensorsModel m = Safetensors.openModel(p)) {
            Tensor big = m.get("big"), tail = m.get("tail");
            assertEquals(bigBytes, big.byteSize());
            assertEquals(DType.F32, big.dtype());
            assertEquals(3.25f, big.getFlat(590_000_000L));
            assertEquals(0f, big.getFlat(589_999_999L));
            assertEquals(0f, big.getFlat(bigElems - 1));
            assertEquals(0f, big.getFlat(0));
            assertArrayEquals(new int[] {0, 0, -77, 0}, tail.toInts());
            assertTrue(tail.segment().address() - big.segment().address() > (1L << 31), "the tail lies past 2^31 in the mapping");
            assertFalse(m.hasChecksum());
        } finally {
            Files.delete(p);
        }
    }
}
