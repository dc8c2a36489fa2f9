package jmglu.engine.decode;

/**
 * Incremental decoding with a KV cache: feed tokens one at a time at positions 0, 1, 2, …;
 * each call returns the logits (vocab) for the next token. Implementations: {@link KernelsDecoder}
 * (any Kernels, weights on the heap) and the OpenCL decoder (weights resident on the device).
 */
public interface Decoder extends AutoCloseable {

    /** Runs token at position pos (0 ≤ pos &lt; maxSeq, positions in order) and returns the next-token logits. */
    float[] forward(int token, int pos);

    /** Longest sequence the cache holds. */
    int maxSeq();

    /** What runs the decoder, for messages ("simd", "opencl: NVIDIA H200"). */
    String describe();

    @Override default void close() {}
}
