package jmglu.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt files, thousands of them: every one must be rejected with a FormatException (by open's
 * structural checks, or by verify's checksum) or be proven harmless — its tensors (names, dtypes,
 * shapes, bytes) and metadata equal the originals exactly. Any other exception fails, and so does
 * an accepted file that differs; so accepting everything could not pass.
 */
class SafetensorsFuzzTest {
    @TempDir Path dir;

    private static final String[] KINDS = {"header bit", "data bit", "random bytes", "truncate", "number",
            "number, length fixed", "header length", "insert/delete byte", "swap numbers"};

    @Test void everyCorruptionIsRejectedOrHarmless() throws IOException {
        Map<String, Tensor> tensors = SafetensorsTest.sample(21);
        tensors.put("g.same16", Tensor.ofInts(new int[] {5, 6, 7, 8}, 4));     // as many bytes as f.after: swappable
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcode 12");
        Path base = dir.resolve("base.safetensors");
        Safetensors.write(base, tensors, meta);
        byte[] good = Files.readAllBytes(base);
        int headerLen = (int) ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();

        Rng rng = new Rng(2024);
        int[] atOpen = new int[KINDS.length], atVerify = new int[KINDS.length], harmless = new int[KINDS.length];
        Path q = dir.resolve("corrupt.safetensors");
        for (int trial = 0; trial < 2700; trial++) {
            int kind = trial % KINDS.length;
            byte[] b = mutate(good, headerLen, kind, rng);
            Files.write(q, b);
            String what = KINDS[kind] + " #" + trial;
            try (SafetensorsFile f = Safetensors.open(q)) {
                try {
                    f.verify();
                } catch (FormatException e) {
                    assertTrue(e.getMessage().startsWith(q + ": "), e.getMessage());
                    atVerify[kind]++;
                    continue;
                }
                SafetensorsTest.assertSame(tensors, f.tensors());             // proven harmless, or the test fails
                assertEquals(meta, f.metadata(), what);
                harmless[kind]++;
            } catch (FormatException e) {
                assertTrue(e.getMessage().startsWith(q + ": not a valid safetensors file: "), what + ": " + e.getMessage());
                atOpen[kind]++;
            } catch (AssertionError e) {
                throw new AssertionError(what + ": a corrupt file was accepted and differs: " + e.getMessage(), e);
            }
        }
        System.out.println("fuzz: rejected at open " + Arrays.toString(atOpen) + ", by checksum " + Arrays.toString(atVerify)
                + ", harmless " + Arrays.toString(harmless) + " for " + Arrays.toString(KINDS));
        // the structural checks do real work on their own, and every change of length is caught by them
        assertEquals(300, atOpen[3], "every truncation is rejected at open");
        assertEquals(300, atOpen[7], "every inserted or deleted byte is rejected at open");
        assertTrue(atOpen[0] > 50 && atOpen[4] > 50 && atOpen[6] > 250, "open rejects broken headers");
        assertTrue(atVerify[1] > 250, "flipped data bits are caught by the checksum");
    }

    /** Structure alone (a file without jmglu's checksum): open throws nothing but FormatException, and rejects every change of length. */
    @Test void withoutChecksumOpenStillOnlyThrowsFormatErrors() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"pt\"}," + Raw.entry("a", "F32", "[2, 3]", "[0,24]") + ","
                + Raw.entry("b", "BF16", "[4]", "[24,32]") + "," + Raw.entry("c", "I32", "[1]", "[32,36]") + "}";
        byte[] good = Raw.file(json, 36);
        int headerLen = json.getBytes(StandardCharsets.UTF_8).length;
        Rng rng = new Rng(7);
        Path q = dir.resolve("foreign.safetensors");
        int rejected = 0;
        for (int trial = 0; trial < 1800; trial++) {
            int kind = trial % KINDS.length;
            Files.write(q, mutate(good, headerLen, kind, rng));
            try (SafetensorsFile f = Safetensors.open(q)) {
                assertFalse(kind == 3 || kind == 7, "a change of length must be rejected: " + KINDS[kind]);
                for (Tensor t : f.tensors().values()) t.getFlat(t.size() - 1);   // every tensor is inside the mapping
            } catch (FormatException e) {
                assertTrue(e.getMessage().startsWith(q + ": not a valid safetensors file: "), e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 600, "rejected " + rejected);
    }

    /** One corruption of the given kind. */
    static byte[] mutate(byte[] good, int headerLen, int kind, Rng rng) {
        byte[] b = good.clone();
        int dataStart = 8 + headerLen;
        switch (kind) {
            case 0 -> { int i = 8 + rng.nextInt(headerLen); b[i] ^= (byte) (1 << rng.nextInt(8)); }
            case 1 -> { int i = dataStart + rng.nextInt(b.length - dataStart); b[i] ^= (byte) (1 << rng.nextInt(8)); }
            case 2 -> { for (int k = 1 + rng.nextInt(4); k > 0; k--) b[rng.nextInt(b.length)] = (byte) rng.nextInt(256); }
            case 3 -> b = Arrays.copyOf(b, rng.nextInt(b.length));
            case 4, 5 -> {
                String h = new String(b, 8, headerLen, StandardCharsets.UTF_8);
                List<int[]> runs = digitRuns(h);
                int[] r = runs.get(rng.nextInt(runs.size()));
                String old = h.substring(r[0], r[1]);
                String[] choices = {"0", "1", Long.toString(Long.parseLong(old) + 1), Long.toString(Math.max(0, Long.parseLong(old) - 1)),
                        "-" + old, old + ".0", old + "e0", "2147483648", "9223372036854775807", "18446744073709551616",
                        Long.toString(Long.parseLong(old) * 2), Integer.toString(rng.nextInt(100_000))};
                String nh = h.substring(0, r[0]) + choices[rng.nextInt(choices.length)] + h.substring(r[1]);
                b = withHeader(b, headerLen, nh.getBytes(StandardCharsets.UTF_8), kind == 5);
            }
            case 6 -> {
                long[] lens = {0, 1, 2, Long.MIN_VALUE, -1, headerLen - 1, headerLen + 1, headerLen - 8, headerLen + 8,
                        b.length - 8, b.length, 1L << 31, 1L << 32, rng.nextInt(1 << 20)};
                long v = lens[rng.nextInt(lens.length)];
                if (v == headerLen) v++;
                ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
            }
            case 7 -> {
                int i = rng.nextInt(b.length);
                byte[] c = new byte[rng.nextInt(2) == 0 ? b.length + 1 : b.length - 1];
                System.arraycopy(b, 0, c, 0, i);
                if (c.length > b.length) { c[i] = (byte) rng.nextInt(256); System.arraycopy(b, i, c, i + 1, b.length - i); }
                else System.arraycopy(b, i + 1, c, i, b.length - i - 1);
                b = c;
            }
            case 8 -> {
                String h = new String(b, 8, headerLen, StandardCharsets.UTF_8);
                List<int[]> runs = digitRuns(h);
                int[] x = runs.get(rng.nextInt(runs.size())), y = runs.get(rng.nextInt(runs.size()));
                if (x[0] > y[0]) { int[] t = x; x = y; y = t; }
                if (x[0] == y[0]) break;
                String nh = h.substring(0, x[0]) + h.substring(y[0], y[1]) + h.substring(x[1], y[0]) + h.substring(x[0], x[1]) + h.substring(y[1]);
                b = withHeader(b, headerLen, nh.getBytes(StandardCharsets.UTF_8), true);
            }
            default -> throw new IllegalArgumentException();
        }
        return b;
    }

    /** [start, end) of every run of ASCII digits in s. */
    private static List<int[]> digitRuns(String s) {
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < s.length(); ) {
            if (Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                int j = i;
                while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') j++;
                if (j - i <= 17) runs.add(new int[] {i, j});
                i = j;
            } else i++;
        }
        return runs;
    }

    /** b with its header replaced; the length field follows the new header only if fixLength. */
    private static byte[] withHeader(byte[] b, int headerLen, byte[] h, boolean fixLength) {
        byte[] c = new byte[b.length - headerLen + h.length];
        System.arraycopy(b, 0, c, 0, 8);
        System.arraycopy(h, 0, c, 8, h.length);
        System.arraycopy(b, 8 + headerLen, c, 8 + h.length, b.length - 8 - headerLen);
        if (fixLength) ByteBuffer.wrap(c, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
        return c;
    }
}
