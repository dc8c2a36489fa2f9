package jmglu.gpu;

import jmglu.engine.decode.Decoder;
import jmglu.engine.decode.DecoderProvider;
import jmglu.engine.decode.DecoderWeights;

/** The "opencl" decoder (weights and KV cache resident on the device), found through ServiceLoader. */
public final class OpenClDecoderProvider implements DecoderProvider {
    @Override public String name() { return "opencl"; }

    @Override public String unavailableReason() { return OpenClProvider.probe(); }

    @Override
    public Decoder open(DecoderWeights weights, int maxSeq) {
        String why = unavailableReason();
        if (why != null) throw new IllegalStateException("opencl decoder unavailable: " + why);
        return new OpenClDecoder(OpenClContext.open(), weights, maxSeq);
    }
}
