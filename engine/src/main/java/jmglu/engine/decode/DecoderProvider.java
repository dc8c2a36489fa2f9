package jmglu.engine.decode;

/**
 * A device that can run a whole {@link Decoder} (found through ServiceLoader,
 * META-INF/services/jmglu.engine.decode.DecoderProvider). Backends that only implement Kernels
 * are served by {@link KernelsDecoder}.
 */
public interface DecoderProvider {
    /** The --device name: "opencl". */
    String name();

    /** Null when usable here, otherwise why not. */
    String unavailableReason();

    Decoder open(DecoderWeights weights, int maxSeq);
}
