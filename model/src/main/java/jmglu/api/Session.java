package jmglu.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import jmglu.model.DecodeState;
import jmglu.model.infer.Generator;
import jmglu.model.infer.Sampler;

/**
 * One conversation with a {@link Model}: its own KV cache on the model's backend. Not for use by
 * two threads at once (open one session per thread); {@link #cancel()} may be called from any
 * thread and ends the running generation after its current token. Each {@link #generate} starts
 * from its prompt (pass the conversation so far as the prompt).
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final DecodeState state;
    private volatile boolean cancelled;

    Session(Model model, DecodeState state) { this.model = model; this.state = state; }

    /** Receives the generated text piece by piece as it is produced (whole UTF-8 characters only). */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(String text, int tokenId);
    }

    /**
     * The result: the generated text (stop string excluded), its token ids, why it stopped
     * ("max_tokens", "stop", "eos" (the model's end-of-sequence token, not part of the text),
     * "cancelled"), prompt processing and generation times, and how often the KV cache was full and
     * the context slid (the last half re-fed from position 0; 0 when the generation fit the context).
     */
    public record Generation(String text, int[] tokens, String stopReason, double prefillSeconds, double seconds, int slides) {
        public double tokensPerSec() { return tokens.length / seconds; }
    }

    /** Generates from prompt, streaming to listener (may be null). */
    public Generation generate(String prompt, GenerateOptions options, TokenListener listener) {
        cancelled = false;
        int[] ids = model.tokenizer().encode(prompt, true);            // with the tokenizer's special tokens (a Llama BOS)
        if (ids.length == 0) throw new IllegalArgumentException("generate: the prompt encodes to no tokens");
        Stream stream = new Stream(options, listener, ids[ids.length - 1]);
        Generator.Result r = Generator.generate(model.transformer(), state, ids, options.maxTokens(),
                new Sampler(options.temperature(), options.topK(), options.seed()), stream::accept);
        String reason = cancelled ? "cancelled" : stream.eos ? "eos" : stream.stopped ? "stop" : "max_tokens";
        int[] gen = Arrays.copyOfRange(r.tokens(), ids.length, ids.length + stream.kept);
        return new Generation(stream.text(), gen, reason, r.prefillSeconds(), r.seconds(), r.slides());
    }

    /** Ends the running generation after its current token (any thread). */
    public void cancel() { cancelled = true; }

    @Override public void close() { state.close(); }

    /**
     * Turns token ids into text pieces: emits only complete characters, watches for stop strings.
     * The generated ids are decoded together, after the prompt's last token and minus its bytes:
     * some decoders (SentencePiece's) depend on a token's neighbours (the first token's leading space
     * is stripped, byte pieces fuse), so decoding one token at a time would be wrong. (n tokens cost
     * O(n²) token decodes in all: a fraction of a second at thousands of tokens.)
     */
    private final class Stream {
        final GenerateOptions o;
        final Session.TokenListener listener;
        final int anchor;                            // the prompt's last token
        final int anchorBytes;
        int[] gen = new int[16];
        byte[] bytes = new byte[0];
        final StringBuilder text = new StringBuilder();
        int emitted, kept;
        boolean stopped, eos;

        Stream(GenerateOptions o, Session.TokenListener l, int lastPromptToken) {
            this.o = o; this.listener = l;
            this.anchor = lastPromptToken;
            this.anchorBytes = model.tokenizer().decodeBytes(new int[] {anchor}).length;
        }

        /** Takes one sampled token; false ends the generation. */
        boolean accept(int id) {
            if (model.isEos(id)) {
                eos = true;
                return false;
            }
            if (kept == gen.length) gen = Arrays.copyOf(gen, 2 * kept);
            gen[kept++] = id;
            int[] seq = new int[kept + 1];
            seq[0] = anchor;
            System.arraycopy(gen, 0, seq, 1, kept);
            byte[] dec = model.tokenizer().decodeBytes(seq);
            byte[] b = bytes = Arrays.copyOfRange(dec, Math.min(anchorBytes, dec.length), dec.length);
            int complete = completeUtf8(b);
            String all = new String(b, 0, complete, StandardCharsets.UTF_8);
            for (String s : o.stop()) {
                int at = all.indexOf(s);
                if (at >= 0) {                                   // emit up to the stop string, then end
                    emit(all.substring(0, at), id);
                    text.setLength(at);
                    stopped = true;
                    return false;
                }
            }
            int hold = 0;                                        // keep back a tail that could start a stop string
            for (String s : o.stop())
                for (int k = Math.min(s.length() - 1, all.length()); k > 0; k--)
                    if (all.endsWith(s.substring(0, k))) { hold = Math.max(hold, k); break; }
            emit(all.substring(0, all.length() - hold), id);
            return !cancelled;
        }

        private void emit(String upTo, int id) {
            if (upTo.length() > emitted) {
                String piece = upTo.substring(emitted);
                text.append(piece);
                emitted = upTo.length();
                if (listener != null) listener.onToken(piece, id);
            }
        }

        String text() {
            if (!stopped) {                                      // flush what was held back at the end
                emit(new String(bytes, StandardCharsets.UTF_8), -1);
            }
            return text.toString();
        }

        /** The length of the longest prefix of b that ends on a whole UTF-8 character. */
        private static int completeUtf8(byte[] b) {
            int n = b.length, i = n - 1, back = 0;
            while (i >= 0 && back < 3 && (b[i] & 0xC0) == 0x80) { i--; back++; }
            if (i < 0) return n;
            int lead = b[i] & 0xFF, need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            return n - i >= need ? n : i;
        }
    }
}
