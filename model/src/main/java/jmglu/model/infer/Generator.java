package jmglu.model.infer;

import java.util.Arrays;
import java.util.function.IntPredicate;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;

/**
 * Text generation for one sequence over a model's decode step (batch row 0 of a
 * {@link DecodeState}). The KV cache is as long as the state's maxSeq (the model's context by
 * default); only when a generation outgrows it does the generator slide: it restarts at position 0
 * with the last half of the tokens re-fed as a new prompt ({@link Result#slides} counts them), so
 * positions never exceed what the model was trained on.
 */
public final class Generator {
    private Generator() {}

    /**
     * The tokens (prompt + generated), how many were generated, decode steps run (prompt, sampled
     * tokens and re-fed windows), prefill and generation time, window slides, and why it stopped.
     */
    public record Result(int[] tokens, int generated, int forwards, double prefillSeconds, double seconds, int slides, String stop) {
        public double tokensPerSec() { return generated / seconds; }
    }

    /**
     * Feeds the prompt, then samples up to n tokens; after each, onToken (may be null) is asked
     * whether to go on (false stops: a stop string, cancellation, end of text).
     */
    public static Result generate(Transformer model, DecodeState s, int[] prompt, int n, Sampler sampler, IntPredicate onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("generate: the prompt is empty");
        if (n < 0) throw new IllegalArgumentException("generate: the token budget must be >= 0, got " + n);
        int max = s.maxSeq();
        int[] seq = Arrays.copyOf(prompt, prompt.length + n);
        int len = prompt.length, forwards = 0, slides = 0;
        long t0 = System.nanoTime();
        int start = Math.max(0, len - max);           // a prompt longer than the cache keeps its tail
        float[] logits = null;
        logits = model.prefill(s, 0, Arrays.copyOfRange(seq, start, len), 0);      // the prompt in passes of the backend's prefillRows positions
        forwards += len - start;
        int pos = len - start;
        long t1 = System.nanoTime();
        String stop = "budget";
        int next = n > 0 ? sampler.next(logits, s.vocab()) : 0;
        for (int g = 0; g < n; g++) {
            seq[len++] = next;
            if (onToken != null && !onToken.test(next)) { stop = "listener"; break; }
            if (g == n - 1) break;
            if (pos == max) {                         // window full: re-feed the last half from position 0
                int keep = Math.max(1, max / 2);
                logits = model.prefill(s, 0, Arrays.copyOfRange(seq, len - keep, len), 0);
                next = sampler.next(logits, s.vocab());
                forwards += keep;
                pos = keep;
                slides++;
            } else {
                next = step(model, s, next, pos++, sampler);
                forwards++;
            }
        }
        long t2 = System.nanoTime();
        return new Result(Arrays.copyOf(seq, len), len - prompt.length, forwards, (t1 - t0) * 1e-9, (t2 - t1) * 1e-9, slides, stop);
    }

    /** One step; the sampler's choice is made on the model's backend (one int read back, not the logits). */
    private static int step(Transformer model, DecodeState s, int token, int pos, Sampler sampler) {
        int[] t = {token}, p = {pos};
        return sampler.greedy() ? model.decodeGreedy(s, t, p)[0]
                : model.decodeSample(s, t, p, sampler.temperature(), sampler.topK(), new double[] {sampler.uniform()})[0];
    }
}
