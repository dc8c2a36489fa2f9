package jmglu.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import jmglu.model.Config;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;
import jmglu.model.infer.Sampler;

/**
 * End-to-end decoding speed against the weight-read floor (`jmglu bench decode`). One row per batch
 * size B: B independent sequences decode in lockstep, each its own KV cache row.
 * <ul>
 *   <li>prefill: the P prompt tokens of every sequence, one {@link Transformer#prefill} per sequence
 *       (B·P tokens / time);</li>
 *   <li>decode: N further tokens per sequence, greedy, the next token chosen by the backend
 *       (greedy steps with the host one step ahead, {@link jmglu.model.infer.DecodeAhead}: B ints read back a step, as
 *       generation runs them) (B·N tokens / time), after a warm-up pass of the same length;</li>
 *   <li>the floor: one step must read every weight once ({@link Transformer#weightBytesPerStep}),
 *       so at the read ceiling measured in the same run it cannot beat ceiling / bytes steps per
 *       second, i.e. B · ceiling / bytes tokens per second; the row reports decode as % of it;</li>
 *   <li>time shares per op category from a separate profiled pass ({@link ProfilingBackend}).</li>
 * </ul>
 */
public final class DecodeBench {
    private DecodeBench() {}

    public static final String CSV_HEADER = "device,dtype,dim,layers,heads,kv_heads,hidden,ffn,nm,batch,prompt,tokens,prefill_tok_s,"
            + "decode_tok_s,weight_bytes_per_token,ceiling_gb_s,floor_tok_s,pct_of_floor";

    /** One measured row. share: fraction of the profiled step time per category ("sampling" included). */
    public record Row(int batch, double prefillTokS, double decodeTokS, long weightBytesPerStep, double ceilingGBs, Map<String, Double> share) {
        public long weightBytesPerToken() { return weightBytesPerStep / batch; }
        public double floorTokS() { return batch * ceilingGBs * 1e9 / weightBytesPerStep; }
        public double pctOfFloor() { return 100 * decodeTokS / floorTokS(); }
    }

    /** -Djmglu.bench.ahead=false: each step's tokens read back before the next step is enqueued (decodeGreedy). */
    static final boolean AHEAD = !"false".equals(System.getProperty("jmglu.bench.ahead"));

    /** Runs one batch size on model (built over profiler), the ceiling in GB/s measured by the caller in this run. */
    public static Row run(Transformer model, ProfilingBackend profiler, int batch, int prompt, int tokens, double ceilingGBs) {
        Config c = model.config;
        if (prompt < 1 || tokens < 1 || prompt + tokens > Config.MAX_SEQ)
            throw new IllegalArgumentException("bench decode: --prompt and --tokens must be positive and fit a context of " + Config.MAX_SEQ);
        int ctx = prompt + tokens;
        pass(model, batch, prompt, tokens, ctx, new double[2]);                     // warm-up (JIT, device caches)
        double[] t = new double[2];
        pass(model, batch, prompt, tokens, ctx, t);
        profiler.reset();
        profiler.profiling = true;
        long p0 = System.nanoTime();
        double[] sample = new double[2];
        long sampling = pass(model, batch, prompt, Math.min(tokens, 32), ctx, sample);
        long total = System.nanoTime() - p0;
        profiler.profiling = false;
        Map<String, Double> share = new java.util.LinkedHashMap<>();
        for (var e : profiler.nanos().entrySet()) share.put(e.getKey(), (double) e.getValue() / total);
        share.merge("sampling", (double) sampling / total, Double::sum);
        return new Row(batch, batch * prompt / t[0], batch * tokens / t[1], model.weightBytesPerStep(), ceilingGBs, share);
    }

    /** Prefill then decode; seconds into t[0], t[1]; returns the nanoseconds spent choosing tokens on the host. */
    private static long pass(Transformer model, int B, int prompt, int tokens, int ctx, double[] t) {
        int V = model.config.vocab();
        long chooseNs = 0;
        try (DecodeState s = model.newState(B, ctx)) {
            int[] tok = new int[B], pos = new int[B];
            float[] logits = null;
            long t0 = System.nanoTime();
            logits = new float[B * V];
            for (int b = 0; b < B; b++) {                       // a prefill per sequence: its prompt as rows of a few passes
                int[] toks = new int[prompt];
                for (int p = 0; p < prompt; p++) toks[p] = (31 * p + 7 * b + 1) % V;
                System.arraycopy(model.prefill(s, b, toks, 0), 0, logits, b * V, V);
            }
            long t1 = System.nanoTime();
            long c0 = System.nanoTime();
            for (int b = 0; b < B; b++) tok[b] = argmax(logits, b * V, V);      // the prefill's logits: chosen on the host
            chooseNs += System.nanoTime() - c0;
            var ahead = new jmglu.model.infer.DecodeAhead(model, s, 0f, 1);   // greedy steps, the host one ahead (as Generator runs them)
            for (int n = 0; n < tokens; n++) {
                for (int b = 0; b < B; b++) pos[b] = prompt + n;
                if (!AHEAD) System.arraycopy(model.decodeGreedy(s, tok, pos), 0, tok, 0, B);      // one step at a time
                else if (n == 0) ahead.start(tok, pos, null);
                else System.arraycopy(ahead.next(pos, null), 0, tok, 0, B);   // the step on the last choice; that choice
            }
            if (AHEAD) System.arraycopy(ahead.finish(), 0, tok, 0, B);
            t[0] = (t1 - t0) * 1e-9;
            t[1] = (System.nanoTime() - t1) * 1e-9;
        }
        return chooseNs;
    }

    private static int argmax(float[] a, int off, int n) {
        float[] row = java.util.Arrays.copyOfRange(a, off, off + n);
        return Sampler.argmax(row, n);
    }

    /** The row as text and, when csv is given, as a CSV line. */
    public static void print(Row r, String device, String dtype, Config c, int prompt, int tokens, PrintStream out, PrintWriter csv) {
        StringBuilder sh = new StringBuilder();
        for (var e : r.share().entrySet()) sh.append(String.format(Locale.ROOT, " %s %.0f%%", e.getKey(), 100 * e.getValue()));
        out.printf(Locale.ROOT, "B=%-3d prefill %,10.1f tok/s   decode %,10.1f tok/s   %,d weight bytes/token   floor %,.1f tok/s at %.1f GB/s   %.1f%% of floor   time:%s%n",
                r.batch(), r.prefillTokS(), r.decodeTokS(), r.weightBytesPerToken(), r.floorTokS(), r.ceilingGBs(), r.pctOfFloor(), sh);
        if (csv != null) {
            csv.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%d,%s,%d,%d,%d,%d,%.2f,%.2f,%d,%.2f,%.2f,%.2f%n", device, dtype, c.dim(), c.nLayers(), c.nHeads(),
                    c.nKvHeads(), c.hidden(), c.ffn().id(), c.nm(), r.batch(), prompt, tokens, r.prefillTokS(), r.decodeTokS(), r.weightBytesPerToken(),
                    r.ceilingGBs(), r.floorTokS(), r.pctOfFloor());
            csv.flush();
        }
    }
}
