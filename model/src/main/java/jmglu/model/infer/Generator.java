package jmglu.model.infer;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import jmglu.autograd.Autograd;
import jmglu.engine.Backends;
import jmglu.engine.KernelsProvider;
import jmglu.engine.decode.Decoder;
import jmglu.engine.decode.DecoderProvider;
import jmglu.engine.decode.DecoderWeights;
import jmglu.engine.decode.KernelsDecoder;

/**
 * Text generation over a {@link Decoder} (one token at a time with a KV cache). When the sequence
 * reaches the cache size (the model's training context), the decoder restarts at position 0 with
 * the last half of the tokens (a sliding window re-fed as a new prompt), so that positions never
 * exceed what the model was trained on.
 */
public final class Generator {
    private Generator() {}

    /** The result and its speed. */
    public record Result(int[] tokens, int generated, double seconds, String device) {
        public double tokensPerSec() { return generated / seconds; }
    }

    /**
     * A decoder for the weights: device null → KernelsDecoder over the active kernels;
     * otherwise a DecoderProvider of that name (ServiceLoader) if one is on the class path,
     * else KernelsDecoder over the Kernels backend of that name; a clear error if neither is usable.
     */
    public static Decoder open(DecoderWeights w, int maxSeq, String device) {
        if (device == null) return new KernelsDecoder(Autograd.kernels(), w, maxSeq);
        List<String> why = new ArrayList<>();
        for (DecoderProvider p : ServiceLoader.load(DecoderProvider.class)) {
            if (!p.name().equalsIgnoreCase(device)) continue;
            String r = p.unavailableReason();
            if (r == null) return p.open(w, maxSeq);
            why.add("decoder '" + p.name() + "' unavailable: " + r);
        }
        for (KernelsProvider p : Backends.providers()) {
            if (!p.name().equalsIgnoreCase(device)) continue;
            String r = p.unavailableReason();
            if (r == null) return new KernelsDecoder(p.create(), w, maxSeq);
            why.add("kernels '" + p.name() + "' unavailable: " + r);
        }
        throw new IllegalArgumentException("no decoder for --device " + device + (why.isEmpty()
                ? ": no DecoderProvider or Kernels backend of that name on the class path" : ": " + String.join("; ", why)));
    }

    /** Feeds the prompt, then samples n tokens. */
    public static Result generate(Decoder dec, int[] prompt, int n, Sampler sampler) {
        if (prompt.length == 0) throw new IllegalArgumentException("generate: the prompt is empty");
        int[] seq = new int[prompt.length + n];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        int len = prompt.length, max = dec.maxSeq();
        long t0 = System.nanoTime();
        int start = Math.max(0, len - max);           // a prompt longer than the cache keeps its tail
        float[] logits = null;
        for (int i = start; i < len; i++) logits = dec.forward(seq[i], i - start);
        int pos = len - start;
        for (int g = 0; g < n; g++) {
            int next = sampler.next(logits);
            seq[len++] = next;
            if (g == n - 1) break;
            if (pos == max) {                         // window full: re-feed the last half from position 0
                int keep = Math.max(1, max / 2);
                for (int i = 0; i < keep; i++) logits = dec.forward(seq[len - keep + i], i);
                pos = keep;
            } else {
                logits = dec.forward(next, pos++);
            }
        }
        return new Result(seq, n, (System.nanoTime() - t0) * 1e-9, dec.describe());
    }
}
