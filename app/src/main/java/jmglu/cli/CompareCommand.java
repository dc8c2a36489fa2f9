package jmglu.cli;

import jmglu.engine.Backend;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jmglu.autograd.Var;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.train.History;
import jmglu.model.train.TrainOptions;
import jmglu.model.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * jmglu compare: the paper's quality comparison at small scale. Every variant trains on the same
 * data with the same token budget, schedule and seeds (one run per seed; seed s fixes both the
 * initialisation and the batch order) and the same FFN width d; the table reports what each
 * variant stores and reads, and its final validation loss as mean ± sample std over seeds.
 * Numbers are reported as they come out: the paper's ordering is a hypothesis here, not a target.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare FFN variants (GELU MLP, SwiGLU, SwiMGLU nm=1,2,4,8) at equal data and token budget over several seeds.")
final class CompareCommand implements Callable<Integer> {
    @picocli.CommandLine.ParentCommand Main main;
    @picocli.CommandLine.Mixin DeviceOption deviceOption;
    @Mixin ModelOptions model = small();
    @Mixin TrainFlags flags = budget();
    @Option(names = "--variants", split = ",", description = "Variants: gelu, swiglu, mglu<nm> (default: ${DEFAULT-VALUE}).")
    List<String> variants = List.of("gelu", "swiglu", "mglu1", "mglu2", "mglu4", "mglu8");
    @Option(names = "--seeds", description = "Seeds per variant (default: ${DEFAULT-VALUE}).") int seeds = 3;
    @Option(names = "--out", description = "Output folder for compare.csv and compare.png (default: ${DEFAULT-VALUE}).") Path out = Path.of("runs", "compare");

    /**
     * Small defaults so that 6 variants × 3 seeds finish in reasonable time on 2 cores: a smaller model than the demo
     * (C 64, 2 layers, d 128, T 64) and 300 steps × 16 sequences (307,200 tokens per run). Measured on the shared 2-core
     * AVX-512 machine with the simd backend: about 5 minutes for the 18 runs.
     */
    static ModelOptions small() {
        ModelOptions m = new ModelOptions();
        m.dim = 64; m.layers = 2; m.heads = 2; m.hidden = 128; m.seqLen = 64;
        return m;
    }

    static TrainFlags budget() {
        TrainFlags f = new TrainFlags();
        f.steps = 300; f.batch = 16; f.evalBatches = 16;
        return f;
    }

    record Run(String variant, Config c, long seed, long weightParams, long ffnParams, long maskBits, long ffnBytes,
               double val, double seconds, double tps, History h) {}

    @Override public Integer call() {
        if (seeds < 1 || seeds > 100) throw new IllegalArgumentException("--seeds must be in 1..100, got " + seeds);
        for (String v : variants) variant(model.config(256), v);                     // every variant name checked before any work
        flags.options();
        try (Backend be = deviceOption.open(main)) {
            return run(be);
        }
    }

    private int run(Backend be) {
        PrintStream log = System.out;
        Runs.Prepared p = Runs.prepare(flags.data, flags.tokenizer, null, log);
        Config base = model.config(p.tok().vocabSize());
        List<Run> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (String v : variants) {
            Config c = variant(base, v);
            for (int s = 0; s < seeds; s++) {
                TrainOptions o = flags.options(flags.seed + s);
                Transformer m = new Transformer(c, o.seed());
                Trainer t = new Trainer(be, m, p.data(), o, p.tok(), null, Map.of());
                long r0 = System.nanoTime();
                t.run(o.steps(), null);
                t.close();
                double secs = (System.nanoTime() - r0) * 1e-9;
                long ffn = 0;
                for (Map.Entry<String, Var> e : m.parameters().entrySet())
                    if (e.getKey().contains(".ffn.") && !e.getKey().endsWith("mask_logits")) ffn += e.getValue().value().size();
                Run r = new Run(v, c, o.seed(), m.weightParams(), ffn, m.maskBits(), m.ffnBytesPerToken(), t.history().lastVal(), secs, t.tokensPerSec(), t.history());
                runs.add(r);
                log.printf("%-14s seed %d: val loss %.4f (ppl %.2f), %.1f s, %,.0f tok/s%n", c.label(), o.seed(), r.val, Math.exp(r.val), secs, r.tps);
            }
        }
        TrainOptions o = flags.options();
        log.printf("%nsame data (%s), %d steps x %d x %d tokens = %,d training tokens per run, d = %d, %d seed(s) each; total %.1f s on %s%n",
                p.corpus().name(), o.steps(), o.batch(), base.seqLen(), (long) o.steps() * o.batch() * base.seqLen(), base.hidden(),
                seeds, (System.nanoTime() - t0) * 1e-9, be.describe());
        log.printf("%-16s %12s %12s %10s %12s %18s %18s %10s%n", "variant", "weights", "FFN weights", "mask bits", "FFN B/token", "val loss", "perplexity", "time/run");
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        StringBuilder csv = new StringBuilder("variant,ffn,nm,seed,weight_params,ffn_weight_params,mask_bits,ffn_bytes_per_token,final_val_loss,val_perplexity,train_seconds,tokens_per_sec\n");
        for (String v : variants) {
            List<Run> rs = runs.stream().filter(r -> r.variant.equals(v)).toList();
            Run a = rs.get(0);
            double[] loss = rs.stream().mapToDouble(Run::val).toArray(), ppl = rs.stream().mapToDouble(r -> Math.exp(r.val)).toArray();
            log.printf("%-16s %,12d %,12d %,10d %,12d %18s %18s %9.1fs%n", a.c.label(), a.weightParams, a.ffnParams, a.maskBits, a.ffnBytes,
                    pm(loss, 4), pm(ppl, 2), rs.stream().mapToDouble(Run::seconds).average().orElse(0));
            for (Run r : rs)
                csv.append(String.format(java.util.Locale.ROOT, "%s,%s,%d,%d,%d,%d,%d,%d,%.6f,%.4f,%.2f,%.1f%n", v, r.c.ffn().id(), r.c.nm(), r.seed,
                        r.weightParams, r.ffnParams, r.maskBits, r.ffnBytes, r.val, Math.exp(r.val), r.seconds, r.tps));
            curves.put(a.c.label(), meanCurve(rs));
        }
        writeAtomically(out.resolve("compare.csv"), csv.toString());
        Plot.curves(out.resolve("compare.png"), "validation loss, mean over " + seeds + " seed(s)", curves);
        log.println("wrote " + out.resolve("compare.csv") + " and " + out.resolve("compare.png"));
        return 0;
    }

    /** Writes text to a temporary file beside f, then moves it into place. */
    static void writeAtomically(Path f, String text) {
        try {
            java.nio.file.Files.createDirectories(f.toAbsolutePath().getParent());
            Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            java.nio.file.Files.writeString(tmp, text);
            java.nio.file.Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    static Config variant(Config base, String v) {
        if (v.equals("gelu")) return base.withFfn(Config.FfnKind.GELU, 0);
        if (v.equals("swiglu")) return base.withFfn(Config.FfnKind.GLU, 0);
        if (v.startsWith("mglu")) {
            try {
                return base.withFfn(Config.FfnKind.MGLU, Integer.parseInt(v.substring(4)));
            } catch (NumberFormatException e) { /* fall through */ }
        }
        throw new IllegalArgumentException("unknown variant '" + v + "' (expected gelu, swiglu or mglu<nm>, e.g. mglu4)");
    }

    /** "m ± s" with the sample standard deviation (just m for one seed). */
    static String pm(double[] x, int digits) {
        double m = java.util.Arrays.stream(x).average().orElse(Double.NaN), ss = 0;
        for (double v : x) ss += (v - m) * (v - m);
        String f = "%." + digits + "f";
        return x.length < 2 ? String.format(f, m) : String.format(f + " ± " + f, m, Math.sqrt(ss / (x.length - 1)));
    }

    static List<double[]> meanCurve(List<Run> rs) {
        List<double[]> out = new ArrayList<>();
        int n = rs.get(0).h.val.size();
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (Run r : rs) s += r.h.val.get(i)[1];
            out.add(new double[] {rs.get(0).h.val.get(i)[0], s / rs.size()});
        }
        return out;
    }
}
