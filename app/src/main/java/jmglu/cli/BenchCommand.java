package jmglu.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jmglu.engine.DType;
import jmglu.bench.Ceilings;
import jmglu.bench.DecodeBench;
import jmglu.bench.KernelDevice;
import jmglu.bench.ProfilingBackend;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.model.Config;
import jmglu.model.Transformer;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Mixin;
import jmglu.bench.KernelDevices;
import jmglu.bench.KernelTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `jmglu bench kernel ...` (the kernel tables), `jmglu bench decode ...` (whole decode steps) and `jmglu bench jmh [JMH args]` (the JMH suite). */
@Command(name = "bench", description = "Benchmarks: kernel tables (paper Tables 16–19) and the JMH suite.",
        mixinStandardHelpOptions = true, subcommands = {BenchCommand.Kernel.class, BenchCommand.Decode.class, BenchCommand.Jmh.class})
public final class BenchCommand implements Runnable {
    @Override public void run() { new CommandLine(this).usage(System.out); }

    @Command(name = "kernel", mixinStandardHelpOptions = true,
            description = "FlashMGLU vs naive MGLU vs SwiGLU per (h×d, nm, B): ms, speed-ups, GB/s and % of the measured ceiling.")
    static final class Kernel implements Callable<Integer> {
        @Option(names = "--device", defaultValue = "cpu", description = "cpu | opencl (default ${DEFAULT-VALUE})") String device;
        @Option(names = "--h", split = ",", description = "hidden sizes (default 2048,4096, paired with --d)") List<Integer> hs;
        @Option(names = "--d", split = ",", description = "up-projection sizes (default 8192,14336)") List<Integer> ds;
        @Option(names = "--masks", split = ",", defaultValue = "1,2,4,8", description = "nm values (default ${DEFAULT-VALUE})") List<Integer> masks;
        @Option(names = "--batch", split = ",", defaultValue = "1,8", description = "B values (default ${DEFAULT-VALUE})") List<Integer> batches;
        @Option(names = "--dtype", defaultValue = "bf16", description = "weight dtype bf16 | fp16 | f32 (default ${DEFAULT-VALUE})") String dtype;
        @Option(names = "--quick", description = "fewer repetitions (a smoke run; noisier)") boolean quick;
        @Option(names = "--csv", description = "also write the rows to this CSV file") Path csv;

        @Override public Integer call() throws Exception {
            List<Integer> h = hs == null ? List.of(2048, 4096) : hs, d = ds == null ? List.of(8192, 14336) : ds;
            if (h.size() != d.size()) throw new CommandLine.ParameterException(new CommandLine(this),
                    "bench kernel: --h has " + h.size() + " values but --d has " + d.size() + " (they pair up)");
            for (int nm : masks) if (nm < 1 || nm > 16) throw new CommandLine.ParameterException(new CommandLine(this), "bench kernel: --masks values must be 1..16, got " + nm);
            for (int b : batches) if (b < 1 || b > 16) throw new CommandLine.ParameterException(new CommandLine(this), "bench kernel: --batch values must be 1..16, got " + b);
            List<int[]> shapes = new ArrayList<>();
            for (int i = 0; i < h.size(); i++) shapes.add(new int[] {h.get(i), d.get(i)});
            DType dt;
            try { dt = DType.parse(dtype); }
            catch (IllegalArgumentException e) { System.err.println("jmglu: bench kernel: " + e.getMessage()); return 2; }
            KernelDevice dev;
            try { dev = KernelDevices.open(device); }
            catch (IllegalArgumentException e) { System.err.println("jmglu: " + e.getMessage()); return 2; }
            try (dev; PrintWriter w = csv == null ? null : new PrintWriter(Files.newBufferedWriter(csv))) {
                KernelTable.run(dev, device, dt, shapes, masks, batches, quick, System.out, w);
            }
            if (csv != null) System.out.println("csv: " + csv);
            return 0;
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "Whole decode steps against the weight-read floor: prefill and decode tokens/s per batch size, % of the floor at the read ceiling measured in this run, time per op category.")
    static final class Decode implements Callable<Integer> {
        @Option(names = "--device", defaultValue = "cpu", description = "cpu | simd | reference | opencl[:N] (default ${DEFAULT-VALUE})") String device;
        @Option(names = "--model", description = "Time this model folder instead of a random one.") Path model;
        @Mixin ModelOptions shape = defaults();
        @Option(names = "--dtype", defaultValue = "bf16", description = "Weight storage of a random model: bf16 | fp16 | f32 (default ${DEFAULT-VALUE})") String dtype;
        @Option(names = "--batch", split = ",", defaultValue = "1,8", description = "Batch sizes B (default ${DEFAULT-VALUE})") List<Integer> batches;
        @Option(names = "--prompt", defaultValue = "16", description = "Prompt tokens per sequence (default ${DEFAULT-VALUE})") int prompt;
        @Option(names = "--tokens", defaultValue = "64", description = "Decoded tokens per sequence (default ${DEFAULT-VALUE})") int tokens;
        @Option(names = "--csv", description = "Also write the rows to this CSV file.") Path csv;

        static ModelOptions defaults() {
            ModelOptions m = new ModelOptions();
            m.dim = 1024; m.layers = 8; m.heads = 8; m.hidden = 4096; m.ffn = "mglu"; m.nm = 4;
            return m;
        }

        @Override public Integer call() throws Exception {
            for (int b : batches) if (b < 1 || b > 256) throw new IllegalArgumentException("bench decode: --batch values must be in 1..256, got " + b);
            if (prompt < 1 || tokens < 1 || prompt + tokens > 1 << 16)
                throw new IllegalArgumentException("bench decode: --prompt and --tokens must be positive with prompt + tokens ≤ 65536");
            DType dt = DType.parse(dtype);
            String name = device.equals("cpu") ? null : device;
            try (Backend be = Backends.open(name); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
                 Checkpoint.Loaded l = model == null ? null : Checkpoint.load(model);
                 PrintWriter w = csv == null ? null : new PrintWriter(Files.newBufferedWriter(csv))) {
                ProfilingBackend prof = new ProfilingBackend(be);
                Config c;
                java.util.Map<String, jmglu.engine.Tensor> t;
                if (l != null) {
                    c = l.config();
                    t = l.packed() ? l.tensors() : Transformer.forTraining(c, l.tensors()).pack(dt);
                } else {
                    ModelOptions m = shape;
                    m.seqLen = prompt + tokens;
                    c = m.config(256);
                    t = Transformer.randomPacked(c, dt, 1, arena);
                }
                Transformer tf = Transformer.forInference(c, t, prof);
                String dtName = l != null && l.packed() ? l.weightsDtype() : dt.name().toLowerCase(java.util.Locale.ROOT);
                System.out.printf("%s on %s: %,d weight bytes per step (%s), prompt %d, %d tokens%n", c.label(), be.describe(), tf.weightBytesPerStep(),
                        dtName, prompt, tokens);
                double ceil0 = Ceilings.readGBps(be);
                System.out.printf(java.util.Locale.ROOT, "read ceiling: %.1f GB/s (%s, measured now; again after the rows)%n", ceil0, Ceilings.describe(be));
                java.util.List<DecodeBench.Row> rows = new java.util.ArrayList<>();
                for (int b : batches) rows.add(DecodeBench.run(tf, prof, b, prompt, tokens, ceil0));
                double ceil = Math.max(ceil0, Ceilings.readGBps(be));
                System.out.printf(java.util.Locale.ROOT, "read ceiling after: %.1f GB/s; the floor uses the higher, %.1f GB/s%n", Ceilings.lastGBps(), ceil);
                if (w != null) w.println(DecodeBench.CSV_HEADER);
                for (DecodeBench.Row r : rows) {
                    DecodeBench.Row at = new DecodeBench.Row(r.batch(), r.prefillTokS(), r.decodeTokS(), r.weightBytesPerStep(), ceil, r.share());
                    DecodeBench.print(at, be.name(), dtName, c, prompt, tokens, System.out, w);
                }
            }
            if (csv != null) System.out.println("csv: " + csv);
            return 0;
        }
    }

    @Command(name = "jmh", description = "Runs the JMH benchmarks (jmglu.bench.jmh.*); arguments go to org.openjdk.jmh.Main, e.g. -l, -h, 'FlashMglu' -p nm=4.")
    static final class Jmh implements Callable<Integer> {
        @CommandLine.Unmatched List<String> args = new ArrayList<>(); // everything goes to JMH, options included

        @Override public Integer call() throws Exception {
            org.openjdk.jmh.Main.main(args.toArray(String[]::new));
            return 0;
        }
    }
}
