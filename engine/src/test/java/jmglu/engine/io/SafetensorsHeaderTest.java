package jmglu.engine.io;

import static jmglu.engine.io.Raw.entry;
import static jmglu.engine.io.Raw.file;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One malformed header per rule, each rejected with a FormatException whose message names the file and the problem. */
class SafetensorsHeaderTest {
    @TempDir Path dir;

    private static String obj(String... entries) { return "{" + String.join(",", entries) + "}"; }
    private static String f32(String name, String shape, String offsets) { return entry(name, "F32", shape, offsets); }

    @Test void headerLength() {
        expect(new byte[0], "truncated file: 0 bytes");
        expect(new byte[5], "truncated file: 5 bytes");
        expect(file(1000, "{}", 0), "larger than the rest of the file");
        expect(file(1L << 40, "{}", 0), "header length 1099511627776 is not in 2..100000000");
        expect(file(Long.MIN_VALUE, "{}", 0), "header length 9223372036854775808 is not in 2..");   // 2^63
        expect(file(-1L, "{}", 0), "header length 18446744073709551615 is not in 2..");            // 2^64 - 1
        expect(file(0, "{}", 0), "header length 0 is not in 2..");
        expect(file(1, "{}", 0), "header length 1 is not in 2..");
    }

    @Test void json() {
        expect(file("{\"a\": {\"dtype\": ", 0), "not valid JSON");
        expect(file("[1, 2, 3]", 0), "does not start with '{'");
        expect(file(" {}", 0), "does not start with '{'");
        expect(file("{}{}", 0), "not valid JSON");
        expect(file("{}\0\0", 0), "not valid JSON");
        expect(file("{/*c*/}", 0), "not valid JSON");
        expect(file("{'w':1}", 0), "not valid JSON");
        expect(file(obj(f32("w", "[NaN]", "[0,4]")), 4), "not valid JSON");
        byte[] b = file("{\"w\u00e9\":1}", 0);
        b[8 + 4] = (byte) 0xFF;                                         // a broken UTF-8 sequence
        expect(b, "not valid UTF-8");
        expect(file("{\"\\ud800\":1}", 0), "unpaired surrogate");
        expect(file("{\"w\":3}", 4), "tensor 'w' is not a JSON object");
        expect(file("{\"w\":" + "[".repeat(100_000) + "}", 0), "tensor 'w' is not a JSON object");
    }

    @Test void trailingSpacesAreFine() throws IOException {
        Path p = dir.resolve("ok.safetensors");
        Files.write(p, file(obj(f32("w", "[1]", "[0,4]")) + "    \n\t ", 4));
        try (SafetensorsFile f = Safetensors.open(p)) { assertEquals(0f, f.get("w").getFlat(0)); }
    }

    @Test void entries() {
        expect(file(obj(entry("w", "F64", "[1]", "[0,8]")), 8), "tensor 'w' has dtype 'F64', which is not supported (supported: F32, BF16, F16, I32)");
        expect(file(obj(entry("w", "U8", "[1]", "[0,1]")), 1), "'U8', which is not supported");
        expect(file(obj(entry("w", "f32", "[1]", "[0,4]")), 4), "'f32', which is not supported");
        expect(file("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "the \"dtype\" of tensor 'w' is not a string");
        expect(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "has no \"dtype\"");
        expect(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "has no \"shape\"");
        expect(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "has no \"data_offsets\"");
        expect(file(obj(f32("w", "[1]", "[0]")), 4), "has no \"data_offsets\" [begin, end]");
        expect(file(obj(f32("w", "[1]", "[0,4,8]")), 4), "\"data_offsets\" has more than 2 values");
        expect(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4), "unknown key 'extra'");
        expect(file("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "has \"dtype\" twice");
        expect(file(obj(f32("w", "4", "[0,16]")), 16), "\"shape\" is not an array");
        expect(file(obj(f32("w", "[3, 3]", "[0,16]")), 16), "shape [3, 3] of F32 needs 36 bytes but data_offsets span 16");
    }

    @Test void numbers() {
        expect(file(obj(f32("w", "[-1]", "[0,4]")), 4), "is negative (-1)");
        expect(file(obj(f32("w", "[1]", "[-4,4]")), 4), "is negative");
        expect(file(obj(f32("w", "[1.5]", "[0,4]")), 4), "is not an integer (1.5)");
        expect(file(obj(f32("w", "[1.0]", "[0,4]")), 4), "is not an integer (1.0)");
        expect(file(obj(f32("w", "[1e0]", "[0,4]")), 4), "is not an integer (1e0)");
        expect(file(obj(f32("w", "[\"1\"]", "[0,4]")), 4), "is not a number");
        expect(file(obj(f32("w", "[1]", "[0,4.0]")), 4), "is not an integer");
        expect(file(obj(f32("w", "[1]", "[0,99999999999999999999999]")), 4), "is out of range");
        expect(file(obj(f32("w", "[100000, 100000]", "[0,16]")), 16), "with more than 2^31 elements");
        expect(file(obj(f32("w", "[3000000000, 0]", "[0,0]")), 0), "with a dimension of 2^31 or more");
        expect(file(obj(f32("w", "[65536, 65536, 65536, 65536]", "[0,16]")), 16), "more than 2^31 elements");   // 2^64 wraps to 0
        expect(file(obj(f32("w", "[" + "1,".repeat(64) + "1]", "[0,4]")), 4), "has more than 64 values");
        expect(file(obj(f32("w", "[1]", "[4,0]")), 4), "end before they begin");
        expect(file(obj(f32("w", "[4]", "[0,16]")), 8), "outside the data buffer of 8 bytes");
    }

    @Test void layout() {
        expect(file(obj(f32("a", "[2]", "[0,8]"), f32("b", "[2]", "[4,12]")), 12), "tensors 'a' (bytes [0, 8)) and 'b' (bytes [4, 12)) overlap");
        expect(file(obj(f32("a", "[2]", "[0,8]"), f32("b", "[2]", "[0,8]")), 8), "overlap");
        // an empty tensor between two overlapping ones must not hide the overlap
        expect(file(obj(f32("a", "[2]", "[0,8]"), f32("z", "[0]", "[4,4]"), f32("b", "[2]", "[4,12]")), 12),
                "the empty tensor 'z' (bytes [4, 4)) lies inside 'a' (bytes [0, 8))");
        expect(file(obj(f32("a", "[2]", "[0,8]"), f32("b", "[2]", "[4,12]"), f32("z", "[0]", "[8,8]")), 12), "overlap");
        expect(file(obj(f32("a", "[1]", "[0,4]"), f32("b", "[1]", "[8,12]")), 12), "bytes [4, 8) of the data buffer belong to no tensor (a hole before 'b'");
        expect(file(obj(f32("a", "[1]", "[4,8]")), 8), "bytes [0, 4) of the data buffer belong to no tensor");
        expect(file(obj(f32("a", "[1]", "[0,4]")), 8), "bytes [4, 8) at the end of the data buffer belong to no tensor");
        expect(file("{}", 3), "bytes [0, 3) at the end of the data buffer belong to no tensor");
    }

    @Test void namesAndMetadata() {
        expect(file(obj(f32("w", "[1]", "[0,4]"), f32("w", "[1]", "[4,8]")), 8), "the name 'w' appears twice");
        expect(file("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "the name '__metadata__' appears twice");
        expect(file("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0), "the \"__metadata__\" key 'k' appears twice");
        expect(file("{\"__metadata__\":{\"k\":[1]}}", 0), "the \"__metadata__\" value of 'k' is not a string");
        expect(file("{\"__metadata__\":{\"k\":null}}", 0), "is not a string");
        expect(file("{\"__metadata__\":[]}", 0), "\"__metadata__\" is not an object of strings");
        expect(file("{\"" + "n".repeat(10_000) + "\":1}", 0), "tensor 'nnnnn");                     // long names are cut in messages
    }

    @Test void scalarsAndEmptyTensorsAreNotJmgluTensors() {
        expect(file(obj(f32("s", "[]", "[0,4]")), 4), "tensor 's' is a scalar (shape []); jmglu has no rank-0 tensors");
        expect(file(obj(f32("e", "[3, 0]", "[0,0]")), 0), "tensor 'e' has no elements (shape [3, 0]); jmglu has no empty tensors");
        // a layout error is reported even when a scalar comes first
        expect(file(obj(f32("s", "[]", "[0,4]"), f32("b", "[1]", "[2,6]")), 6), "overlap");
    }

    @Test void missingFile() {
        var e = assertThrows(FormatException.class, () -> Safetensors.open(dir.resolve("nope.safetensors")));
        assertEquals(dir.resolve("nope.safetensors") + ": no such file", e.getMessage());
        e = assertThrows(FormatException.class, () -> Safetensors.open(dir));
        assertEquals(dir + ": is a folder, not a safetensors file", e.getMessage());
    }

    @Test void truncatedData() throws IOException {
        Path p = dir.resolve("ok.safetensors");
        Safetensors.write(p, Map.of("w", Tensor.of(new float[64], 8, 8)), Map.of());
        byte[] all = Files.readAllBytes(p);
        expect(Arrays.copyOf(all, all.length - 10), "outside the data buffer");
        expect(Arrays.copyOf(all, 40), "larger than the rest of the file");
    }

    private void expect(byte[] content, String fragment) {
        Path p = dir.resolve("bad.safetensors");
        try { Files.write(p, content); } catch (IOException e) { throw new RuntimeException(e); }
        var e = assertThrows(FormatException.class, () -> Safetensors.open(p).close());
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
        assertTrue(e.getMessage().startsWith(p + ": not a valid safetensors file: "), "message names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().length() < 400, "short: " + e.getMessage());
    }
}
