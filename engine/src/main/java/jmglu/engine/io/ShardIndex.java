package jmglu.engine.io;

import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.engine.io.StrictJson.Problem;

/**
 * A sharded checkpoint's index, Hugging Face's {@code model.safetensors.index.json}:
 * <pre>
 *   { "metadata":   { "total_size": 16060522496, ... },     optional; values are strings or JSON
 *     "weight_map": { "model.embed_tokens.weight": "model-00001-of-00004.safetensors", ... } }
 * </pre>
 * Validated here: size ≤ {@value #MAX_BYTES} bytes, strict JSON, no key twice (a tensor listed twice
 * could name two shards), each shard a plain file name inside the folder (no '/', '\', NUL, "." or
 * ".."), at most {@value #MAX_SHARDS} distinct shards. Other top-level keys are ignored.
 */
final class ShardIndex {
    private ShardIndex() {}

    static final long MAX_BYTES = 64L << 20;
    static final int MAX_SHARDS = 10_000;

    /** The metadata (numbers and other non-strings as their JSON text) and weight_map, in file order. */
    record Index(Map<String, String> metadata, Map<String, String> weightMap) {}

    static Index read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) throw FormatException.index(file, size + " bytes, more than the " + MAX_BYTES + " an index may have");
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) { bytes = in.readNBytes((int) MAX_BYTES + 1); }
        if (bytes.length > MAX_BYTES) throw FormatException.index(file, "more than " + MAX_BYTES + " bytes");
        try {
            JsonReader r = StrictJson.reader(new ByteArrayInputStream(bytes));
            Map<String, String> meta = null, map = null;
            if (r.peek() != JsonToken.BEGIN_OBJECT) throw new Problem("the index is not a JSON object");
            r.beginObject();
            while (r.hasNext()) {
                String k = StrictJson.name(r);
                switch (k) {
                    case "metadata" -> {
                        if (meta != null) throw new Problem("\"metadata\" appears twice");
                        meta = metadata(r);
                    }
                    case "weight_map" -> {
                        if (map != null) throw new Problem("\"weight_map\" appears twice");
                        map = weightMap(r);
                    }
                    default -> r.skipValue();
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) throw new Problem("text after the JSON object");
            if (map == null) throw new Problem("no \"weight_map\"");
            return new Index(meta == null ? new LinkedHashMap<>() : meta, map);
        } catch (Problem p) {
            throw FormatException.index(file, p.getMessage());
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw FormatException.index(file, "the index is " + StrictJson.describe(e));
        }
    }

    private static Map<String, String> metadata(JsonReader r) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) throw new Problem("\"metadata\" is not an object");
        Map<String, String> m = new LinkedHashMap<>();
        r.beginObject();
        while (r.hasNext()) {
            String k = StrictJson.name(r);
            String v = switch (r.peek()) {
                case STRING -> StrictJson.checked(r.nextString());
                case NUMBER -> r.nextString();                                   // the literal, e.g. "16060522496"
                case BOOLEAN -> Boolean.toString(r.nextBoolean());
                case NULL -> { r.nextNull(); yield "null"; }
                default -> JsonParser.parseReader(r).toString();                 // an object or array, as JSON text
            };
            if (m.putIfAbsent(k, v) != null) throw new Problem("the \"metadata\" key " + StrictJson.show(k) + " appears twice");
        }
        r.endObject();
        return m;
    }

    private static Map<String, String> weightMap(JsonReader r) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) throw new Problem("\"weight_map\" is not an object");
        Map<String, String> m = new LinkedHashMap<>();
        Map<String, Boolean> shards = new LinkedHashMap<>();
        r.beginObject();
        while (r.hasNext()) {
            String name = StrictJson.name(r);
            String shard = StrictJson.string(r, "the shard of tensor " + StrictJson.show(name));
            checkShardName(name, shard);
            if (m.putIfAbsent(name, shard) != null) throw new Problem("tensor " + StrictJson.show(name) + " appears twice in \"weight_map\"");
            if (shards.putIfAbsent(shard, true) == null && shards.size() > MAX_SHARDS)
                throw new Problem("more than " + MAX_SHARDS + " shards");
        }
        r.endObject();
        return m;
    }

    /** A shard must be a plain file name: the index may not point outside its folder. */
    private static void checkShardName(String tensor, String shard) {
        if (!ModelFolder.plainName(shard) || shard.indexOf(':') >= 0)
            throw new Problem("tensor " + StrictJson.show(tensor) + " names the shard " + StrictJson.show(shard)
                    + ", which is not a plain file name in the checkpoint's folder");
    }
}
