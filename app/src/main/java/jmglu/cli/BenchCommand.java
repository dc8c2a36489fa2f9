package jmglu.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jmglu.engine.DType;
import jmglu.bench.KernelDevice;
import jmglu.bench.KernelDevices;
import jmglu.bench.KernelTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `jmglu bench kernel ...` (the kernel tables) and `jmglu bench jmh [JMH args]` (the JMH suite). */
@Command(name = "bench", description = "Benchmarks: kernel tables (paper Tables 16–19) and the JMH suite.",
        mixinStandardHelpOptions = true, subcommands = {BenchCommand.Kernel.class, BenchCommand.Jmh.class})
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

    @Command(name = "jmh", description = "Runs the JMH benchmarks (jmglu.bench.jmh.*); arguments go to org.openjdk.jmh.Main, e.g. -l, -h, 'FlashMglu' -p nm=4.")
    static final class Jmh implements Callable<Integer> {
        @CommandLine.Unmatched List<String> args = new ArrayList<>(); // everything goes to JMH, options included

        @Override public Integer call() throws Exception {
            org.openjdk.jmh.Main.main(args.toArray(String[]::new));
            return 0;
        }
    }
}
