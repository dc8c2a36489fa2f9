package jmglu.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jmglu.engine.Tensor;

/**
 * A whole checkpoint as one map of tensors: the shards of a Hugging Face sharded checkpoint (every
 * shard mapped once, see {@link ShardIndex}), or one safetensors file. Tensors are views of the
 * mappings; {@link #close()} unmaps every shard and the tensors become unusable (idempotent).
 *
 * <p>Sharded: the index and the shards must agree exactly: every tensor of the weight_map is in its
 * shard, and every tensor of a shard is listed for that shard (so no tensor is in two shards).
 * {@link #tensors()} follows the weight_map's order; {@link #metadata()} is the index's metadata.
 *
 * <p>A folder replaced while it is being opened ({@link ModelFolder} swaps the whole folder) could
 * pair an old index with new shards; open notes the folder's identity (device, inode) before and
 * after and starts again if it changed, so a reader gets the old or the new checkpoint, never a mix.
 */
public final class SafetensorsModel implements AutoCloseable {
    private final Path path;
    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private boolean closed;

    private SafetensorsModel(Path path, List<SafetensorsFile> files, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    static SafetensorsModel open(Path p) {
        if (!Files.isDirectory(p)) {
            SafetensorsFile f = SafetensorsFile.open(p);
            return new SafetensorsModel(p, List.of(f), new LinkedHashMap<>(f.tensors()), new LinkedHashMap<>(f.metadata()));
        }
        for (int attempt = 0; ; attempt++) {
            Object before = identity(p);
            SafetensorsModel m;
            try {
                m = openFolder(p);
            } catch (RuntimeException e) {                      // e.g. a shard of the old version already deleted
                if (attempt < 4 && !Objects.equals(before, identity(p))) continue;
                throw e;
            }
            if (Objects.equals(before, identity(p)) || attempt == 4) return m;
            m.close();                                          // replaced while we read it: read it again
        }
    }

    private static SafetensorsModel openFolder(Path dir) {
        Path index = dir.resolve(Safetensors.INDEX);
        if (!Files.exists(index)) {
            Path single = dir.resolve(Safetensors.SINGLE);
            if (!Files.exists(single))
                throw new FormatException(dir + ": not a checkpoint: no " + Safetensors.INDEX + " and no " + Safetensors.SINGLE);
            SafetensorsFile f = SafetensorsFile.open(single);
            return new SafetensorsModel(dir, List.of(f), new LinkedHashMap<>(f.tensors()), new LinkedHashMap<>(f.metadata()));
        }
        ShardIndex.Index ix;
        try {
            ix = ShardIndex.read(index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index + ": " + e.getMessage(), e);
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            for (String shard : ix.weightMap().values()) {
                if (shards.containsKey(shard)) continue;
                Path f = dir.resolve(shard);
                if (!Files.isRegularFile(f))                  // symbolic links are followed: the Hugging Face cache uses them
                    throw FormatException.index(index, "the shard " + StrictJson.show(shard) + " is missing");
                shards.put(shard, SafetensorsFile.open(f));
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (var e : ix.weightMap().entrySet()) {
                Tensor t = shards.get(e.getValue()).tensors().get(e.getKey());
                if (t == null)
                    throw FormatException.index(index, "tensor " + StrictJson.show(e.getKey()) + " is not in its shard " + StrictJson.show(e.getValue()));
                tensors.put(e.getKey(), t);
            }
            for (var s : shards.entrySet())
                for (String name : s.getValue().tensors().keySet()) {
                    String listed = ix.weightMap().get(name);
                    if (listed == null)
                        throw FormatException.index(index, "the shard " + StrictJson.show(s.getKey()) + " holds tensor " + StrictJson.show(name)
                                + ", which the weight_map does not list");
                    if (!listed.equals(s.getKey()))
                        throw FormatException.index(index, "tensor " + StrictJson.show(name) + " is in two shards, "
                                + StrictJson.show(listed) + " and " + StrictJson.show(s.getKey()));
                }
            return new SafetensorsModel(dir, new ArrayList<>(shards.values()), tensors, ix.metadata());
        } catch (RuntimeException | Error e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The folder's (device, inode), or null where the filesystem has no such key. */
    private static Object identity(Path dir) {
        try {
            return Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** The folder or file this was opened from. */
    public Path path() { return path; }

    /** The mapped files: the shards in index order, or the one file. */
    public List<SafetensorsFile> files() { return files; }

    /** Every tensor (weight_map order for a sharded checkpoint, file order for one file). */
    public Map<String, Tensor> tensors() { return tensors; }

    /** The tensor called name; an IllegalArgumentException naming the checkpoint if there is none. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(path + ": no tensor " + StrictJson.show(name) + " (the checkpoint has " + tensors.size() + ")");
        return t;
    }

    /** The index's metadata (sharded; values as strings, total_size included) or the file's metadata. */
    public Map<String, String> metadata() { return metadata; }

    /** Whether every file carries jmglu's checksum. */
    public boolean hasChecksum() { return files.stream().allMatch(SafetensorsFile::hasChecksum); }

    /** {@link SafetensorsFile#verify()} on every file. */
    public void verify() { files.forEach(SafetensorsFile::verify); }

    /** Unmaps every file. Idempotent. */
    @Override public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        files.forEach(SafetensorsFile::close);
    }

    @Override public String toString() { return "SafetensorsModel[" + path + ", " + files.size() + " files, " + tensors.size() + " tensors]"; }
}
