package jmglu.engine.io;

import java.nio.file.Path;
import java.util.Map;
import jmglu.engine.Tensor;

/**
 * Safetensors checkpoints, so that weights move between jmglu and PyTorch / Hugging Face.
 *
 * <pre>
 *   one file     [N: u64 LE][header: N bytes of JSON][data buffer]           (see SafetensorsFile)
 *   sharded      model.safetensors.index.json  {"metadata": {"total_size": …},
 *                                                 "weight_map": {tensor name: shard file name}}
 *                model-00001-of-0000n.safetensors … model-0000n-of-0000n.safetensors
 * </pre>
 *
 * <p>Reading maps files read-only and wraps slices of the mapping as tensors: no copy, almost no
 * heap, files and tensors past 2 GiB. Everything a header says is validated before a tensor is
 * made; a malformed file is one {@link FormatException} naming it and the problem.
 *
 * <p>Decisions: the tensors must tile the data buffer exactly (no overlap, no hole, no trailing
 * bytes), as the format's reference implementation requires; a scalar (shape []) or an empty tensor
 * (a 0 in the shape) is rejected, since jmglu's tensors have rank ≥ 1 and at least one element; only
 * F32, BF16, F16 and I32 are read. Writing is atomic (temporary file, fsync, rename, fsync of the
 * folder) and refuses non-finite values; for a checkpoint folder replaced as a unit see {@link ModelFolder}.
 * I/O failures are UncheckedIOException; a missing file is a FormatException ("no such file").
 */
public final class Safetensors {
    private Safetensors() {}

    /** Largest header accepted and written (the reference implementation's limit). */
    public static final long MAX_HEADER = 100_000_000;
    /** The index of a sharded checkpoint (Hugging Face's name). */
    public static final String INDEX = "model.safetensors.index.json";
    /** A checkpoint folder's single file (Hugging Face's name). */
    public static final String SINGLE = "model.safetensors";
    /** The metadata key of jmglu's CRC-32C (reserved: not in metadata(), refused by write). */
    public static final String CHECKSUM_KEY = HeaderParser.CHECKSUM_KEY;

    /**
     * Memory-maps file read-only and validates its header completely. Close the result to unmap;
     * its tensors must not be used after that. Structure only: call {@link SafetensorsFile#verify()}
     * to check every byte against jmglu's checksum.
     */
    public static SafetensorsFile open(Path file) { return SafetensorsFile.open(file); }

    /**
     * A whole checkpoint: a folder with {@value #INDEX} (every shard opened once, one combined view),
     * else a folder's {@value #SINGLE}, else path as a single file.
     */
    public static SafetensorsModel openModel(Path dirOrFile) { return SafetensorsModel.open(dirOrFile); }

    /**
     * Writes tensors (host tensors, in map order) and metadata to file, atomically replacing it.
     * No NaN is saved: an IllegalArgumentException names the first non-finite element and nothing
     * is written. The tensors may be views of a mapping of the very file being replaced. Hugging
     * Face's loader wants metadata {"format": "pt"}; pass it if PyTorch is to read the file.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        SafetensorsWriter.write(file, tensors, metadata);
    }

    /**
     * Writes tensors into dir as {@code model-0000k-of-0000n.safetensors} shards of at most
     * maxShardBytes each (a larger tensor gets a shard of its own), then {@value #INDEX} with
     * total_size (the tensors' bytes) and metadata. Each file is written atomically, the index last;
     * shards of an earlier checkpoint in dir are left alone (use {@link ModelFolder} to replace a
     * folder as a unit).
     */
    public static void writeSharded(Path dir, Map<String, Tensor> tensors, Map<String, String> metadata, long maxShardBytes) {
        SafetensorsWriter.writeSharded(dir, tensors, metadata, maxShardBytes);
    }
}
