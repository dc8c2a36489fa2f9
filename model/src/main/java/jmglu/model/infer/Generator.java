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
 * positions never exceed what the model was trained on. The steps run one ahead of the host
 * ({@link DecodeAhead}): the tokens are the same, a device never waits for the host between them.
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
        // the steps run one ahead of the host (DecodeAhead): while token g is handed out, the step on it already runs
        DecodeAhead ahead = new DecodeAhead(model, s, sampler.greedy() ? 0f : sampler.temperature(), sampler.greedy() ? 1 : sampler.topK());
        try {
            for (int g = 0; g < n; g++) {
                seq[len++] = next;
                if (onToken != null && !onToken.test(next)) { stop = "listener"; break; }
                if (g == n - 1) break;
                if (pos == max) {                     // window full: re-feed the last half from position 0 (no step runs now)
                    int keep = Math.max(1, max / 2);
                    logits = model.prefill(s, 0, Arrays.copyOfRange(seq, len - keep, len), 0);
                    next = sampler.next(logits, s.vocab());
                    forwards += keep;
                    pos = keep;
                    slides++;
                    continue;
                }
                if (!ahead.running()) ahead.start(new int[] {next}, new int[] {pos}, uniform(sampler));   // the step on token g
                pos++;
                forwards++;
                // token g + 1 is chosen; when another token follows it inside the window, its step goes ahead now
                next = g + 2 < n && pos < max ? ahead.next(new int[] {pos}, uniform(sampler))[0] : ahead.finish()[0];
            }
            if (ahead.running()) ahead.finish();      // a listener stopped: the step ahead is not wanted
        } catch (RuntimeException e) {
            if (ahead.running())
                try { ahead.finish(); } catch (RuntimeException again) { e.addSuppressed(again); }
            throw e;
        }
        long t2 = System.nanoTime();
        return new Result(Arrays.copyOf(seq, len), len - prompt.length, forwards, (t1 - t0) * 1e-9, (t2 - t1) * 1e-9, slides, stop);
    }

    /** The uniform of a sampled step, drawn in step order (as the steps would draw them one by one); null when greedy. */
    private static double[] uniform(Sampler sampler) { return sampler.greedy() ? null : new double[] {sampler.uniform()}; }
}
