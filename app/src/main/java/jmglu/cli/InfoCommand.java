package jmglu.cli;

import jmglu.engine.Backend;
import jmglu.engine.BackendProvider;
import jmglu.engine.Backends;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * jmglu info: what this machine offers jmglu. Backends are discovered at run time (ServiceLoader),
 * so OpenCL platforms show up through the OpenCL provider's availability reason; the model has no
 * compile-time dependency on a backend.
 */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the Java runtime, CPU, Vector API width and the backends.")
final class InfoCommand implements Callable<Integer> {
    @picocli.CommandLine.ParentCommand Main main;
    @picocli.CommandLine.Mixin DeviceOption deviceOption;
    @picocli.CommandLine.Option(names = "--model", description = "Also describe this model folder (jmglu's or a Hugging Face one).") java.nio.file.Path model;

    @Override public Integer call() {
        var o = System.out;
        if (model != null) describe(model, o);
        o.printf("java      %s (%s), %s%n", System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("java.home"));
        o.printf("os        %s %s (%s)%n", System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        o.printf("cores     %d available processors%n", Runtime.getRuntime().availableProcessors());
        o.printf("memory    max heap %,d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        o.printf("vector    %s%n", vectorWidth());
        o.println("backends  (--device NAME; the default is the available CPU backend of highest priority; opencl only when named)");
        for (BackendProvider p : Backends.providers()) {
            String why = safe(p::unavailableReason);
            o.printf("  %-10s priority %-3d %s%n", p.name(), p.priority(), why == null ? "available" : "unavailable: " + why);
            String more = why == null ? safe(p::details) : null;
            if (more != null && !more.isEmpty()) o.printf("  %-10s %s%n", "", more);
        }
        try (Backend be = deviceOption.open(main)) {
            o.printf("selected  %s: %s; trains: %s; decode ops: %s%n", be.name(), be.describe(), be.canTrain() ? "yes" : "no",
                    String.join(", ", new java.util.TreeSet<>(be.ops())));
        }
        return 0;
    }

    /** The model's config, storage and tokenizer, without loading its weights onto a backend. */
    static void describe(java.nio.file.Path dir, java.io.PrintStream o) {
        try (jmglu.model.train.Checkpoint.Loaded l = jmglu.model.train.Checkpoint.load(dir)) {
            var c = l.config();
            long bytes = 0;
            for (var t : l.tensors().values()) bytes += t.byteSize();
            o.printf("model     %s: %s%s%n", l.dir(), c.label(), l.hf() != null ? " (Hugging Face " + l.hf().architecture() + ")"
                    : l.packed() ? " (packed)" : " (" + l.meta("format") + ")");
            o.printf("shape     vocab %d, dim %d, %d layers, %d heads (%d kv, head dim %d), hidden %d, context %d, %s embeddings%n", c.vocab(), c.dim(),
                    c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim(), c.hidden(), c.seqLen(), c.tiedEmbeddings() ? "tied" : "untied");
            o.printf("rope      %s; norm eps %g%n", c.rope().label(), c.normEps());
            o.printf("weights   %s, %d tensors, %,d bytes (memory-mapped)%n", l.weightsDtype(), l.tensors().size(), bytes);
            o.printf("tokenizer %s%n", l.tokenizer().describe());
        }
    }

    /** FloatVector.SPECIES_PREFERRED.length(); a message instead when the incubator module is not loaded. */
    static String vectorWidth() {
        try {
            int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
            return lanes + " float lanes (" + lanes * 32 + "-bit vectors, jdk.incubator.vector FloatVector.SPECIES_PREFERRED)";
        } catch (LinkageError e) {
            return "Vector API not available (run with --add-modules jdk.incubator.vector)";
        }
    }

    private static String safe(java.util.function.Supplier<String> s) {
        try { return s.get(); } catch (RuntimeException | LinkageError e) { return "probe failed: " + e; }
    }
}
