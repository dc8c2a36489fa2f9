package jmglu.engine.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints (Hugging Face's index + shards) and the one-file forms of openModel. */
class SafetensorsModelTest {
    @TempDir Path dir;

    @Test void shardedRoundTrip() throws IOException {
        Map<String, Tensor> t = SafetensorsTest.sample(4);                      // 60, 30, 30, 24, 14, 16 bytes: [a] [b c] [d e f] under 64
        Path ck = dir.resolve("ck");
        Safetensors.writeSharded(ck, t, Map.of("format", "pt"), 64);
        List<String> files;
        try (var s = Files.list(ck)) { files = s.map(p -> p.getFileName().toString()).sorted().toList(); }
        assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
                Safetensors.INDEX), files);
        String index = Files.readString(ck.resolve(Safetensors.INDEX));
        assertTrue(index.contains("\"total_size\": 174"), index);
        assertTrue(index.contains("\"a.weight\": \"model-00001-of-00003.safetensors\""), index);
        try (SafetensorsModel m = Safetensors.openModel(ck)) {
            SafetensorsTest.assertSame(t, m.tensors());
            assertEquals(Map.of("total_size", "174", "format", "pt"), m.metadata());
            assertEquals(3, m.files().size());
            assertTrue(m.hasChecksum());
            m.verify();
            Tensor a = m.get("a.weight");
            m.close();
            m.close();
            assertThrows(IllegalStateException.class, () -> a.getFlat(0));
        }
        // a tensor larger than the limit gets a shard of its own; a huge limit gives one shard
        Safetensors.writeSharded(dir.resolve("one"), t, Map.of(), 1L << 40);
        try (SafetensorsModel m = Safetensors.openModel(dir.resolve("one"))) {
            assertEquals(1, m.files().size());
            assertEquals("model-00001-of-00001.safetensors", m.files().get(0).path().getFileName().toString());
            SafetensorsTest.assertSame(t, m.tensors());
        }
        Safetensors.writeSharded(dir.resolve("each"), t, Map.of(), 1);
        try (SafetensorsModel m = Safetensors.openModel(dir.resolve("each"))) { assertEquals(t.size(), m.files().size()); }
    }

    @Test void singleFileForms() {
        Map<String, Tensor> t = SafetensorsTest.sample(8);
        Path folder = dir.resolve("single");
        Safetensors.write(folder.resolve(Safetensors.SINGLE), t, Map.of("k", "v"));
        try (SafetensorsModel m = Safetensors.openModel(folder)) {
            SafetensorsTest.assertSame(t, m.tensors());
            assertEquals(Map.of("k", "v"), m.metadata());
        }
        try (SafetensorsModel m = Safetensors.openModel(folder.resolve(Safetensors.SINGLE))) { SafetensorsTest.assertSame(t, m.tensors()); }
        var e = assertThrows(FormatException.class, () -> Safetensors.openModel(dir));
        assertTrue(e.getMessage().contains("not a checkpoint: no model.safetensors.index.json and no model.safetensors"), e.getMessage());
    }

    @Test void indexMustAgreeWithTheShards() throws IOException {
        Map<String, Tensor> a = Map.of("a", Tensor.of(new float[] {1}, 1)), b = Map.of("b", Tensor.of(new float[] {2}, 1));
        Safetensors.write(dir.resolve("s1.safetensors"), a, Map.of());
        Safetensors.write(dir.resolve("s2.safetensors"), b, Map.of());
        Safetensors.write(dir.resolve("both.safetensors"), Map.of("a", a.get("a"), "b", b.get("b")), Map.of());
        expect("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}", null);
        expect("{\"weight_map\":{\"a\":\"s1.safetensors\"}}", null);                    // s2 is simply not part of it
        expect("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}}", "tensor 'b' is not in its shard 's1.safetensors'");
        expect("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"both.safetensors\"}}", "tensor 'a' is in two shards, 's1.safetensors' and 'both.safetensors'");
        expect("{\"weight_map\":{\"b\":\"both.safetensors\"}}", "the shard 'both.safetensors' holds tensor 'a', which the weight_map does not list");
        expect("{\"weight_map\":{\"a\":\"s1.safetensors\",\"a\":\"s2.safetensors\"}}", "tensor 'a' appears twice in \"weight_map\"");
        expect("{\"weight_map\":{\"a\":\"gone.safetensors\"}}", "the shard 'gone.safetensors' is missing");
        expect("{\"weight_map\":{\"a\":\"../s1.safetensors\"}}", "names the shard '../s1.safetensors', which is not a plain file name");
        expect("{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "not a plain file name");
        expect("{\"weight_map\":{\"a\":\"..\"}}", "not a plain file name");
        expect("{\"weight_map\":{\"a\":\"\"}}", "not a plain file name");
        expect("{\"weight_map\":{\"a\":1}}", "the shard of tensor 'a' is not a string");
        expect("{\"metadata\":{}}", "no \"weight_map\"");
        expect("[]", "the index is not a JSON object");
        expect("{\"weight_map\":{}} x", "not valid JSON");
        expect("{\"weight_map\":{},\"weight_map\":{}}", "\"weight_map\" appears twice");
        expect("{\"metadata\":{\"k\":1,\"k\":2},\"weight_map\":{}}", "the \"metadata\" key 'k' appears twice");
        StringBuilder many = new StringBuilder("{\"weight_map\":{");
        for (int i = 0; i <= ShardIndex.MAX_SHARDS; i++) many.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":\"s").append(i).append("\"");
        expect(many + "}}", "more than 10000 shards");
        // a shard's own errors name the shard
        Files.write(dir.resolve("bad.safetensors"), Raw.file("{}", 5));
        var e = assertThrows(FormatException.class, () -> open("{\"weight_map\":{\"a\":\"bad.safetensors\"}}"));
        assertTrue(e.getMessage().startsWith(dir.resolve("bad.safetensors") + ": not a valid safetensors file"), e.getMessage());
        // an index that is too large is refused before it is read
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(Safetensors.INDEX).toFile(), "rw")) { f.setLength(ShardIndex.MAX_BYTES + 1); }
        e = assertThrows(FormatException.class, () -> Safetensors.openModel(dir));
        assertTrue(e.getMessage().contains("more than the 67108864 an index may have"), e.getMessage());
    }

    @Test void indexMetadataBecomesStrings() throws IOException {
        Safetensors.write(dir.resolve("s.safetensors"), Map.of("a", Tensor.of(new float[] {1}, 1)), Map.of());
        try (SafetensorsModel m = open("{\"metadata\":{\"total_size\":4,\"ok\":true,\"s\":\"x\",\"o\":{\"n\":[1,2]}},\"extra\":[1],"
                + "\"weight_map\":{\"a\":\"s.safetensors\"}}")) {
            Map<String, String> want = new LinkedHashMap<>();
            want.put("total_size", "4"); want.put("ok", "true"); want.put("s", "x"); want.put("o", "{\"n\":[1,2]}");
            assertEquals(want, m.metadata());
        }
    }

    private SafetensorsModel open(String index) throws IOException {
        Files.writeString(dir.resolve(Safetensors.INDEX), index);
        return Safetensors.openModel(dir);
    }

    /** The index is accepted (fragment null) or refused with a message holding fragment. */
    private void expect(String index, String fragment) throws IOException {
        if (fragment == null) { open(index).close(); return; }
        var e = assertThrows(FormatException.class, () -> open(index).close());
        assertTrue(e.getMessage().startsWith(dir.resolve(Safetensors.INDEX) + ": not a valid safetensors index: "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should contain '" + fragment + "'");
    }
}
