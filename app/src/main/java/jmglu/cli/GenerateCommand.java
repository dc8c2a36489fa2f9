package jmglu.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jmglu.api.GenerateOptions;
import jmglu.api.Model;
import jmglu.api.Session;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** jmglu generate: samples text from a packed model or a training checkpoint, streaming it as it comes. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a packed model or a training checkpoint (MGLU FFNs run through FlashMGLU on packed masks).")
final class GenerateCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Mixin DeviceOption deviceOption;
    @Option(names = "--model", description = "Model folder or .safetensors file (default: ${DEFAULT-VALUE}).") Path model = Path.of("runs", "demo", "packed");
    @Option(names = "--prompt", description = "Prompt text (default: '${DEFAULT-VALUE}').") String prompt = "public ";
    @Option(names = {"-n", "--tokens"}, description = "Tokens to generate (default: ${DEFAULT-VALUE}).") int tokens = 200;
    @Option(names = "--temperature", description = "Sampling temperature, 0 = greedy (default: ${DEFAULT-VALUE}).") float temperature = 0.8f;
    @Option(names = "--top-k", description = "Sample from the k most likely tokens, 0 = all (default: ${DEFAULT-VALUE}).") int topK = 40;
    @Option(names = "--seed", description = "Sampling seed (default: ${DEFAULT-VALUE}).") long seed = 1;
    @Option(names = "--stop", description = "Stop once the text contains this string (repeatable).") java.util.List<String> stop;
    @Option(names = "--context", description = "KV-cache positions (default: the model's context, at most " + Model.DEFAULT_MAX_CONTEXT
            + "); past it the window slides.") Integer context;
    @Option(names = "--weights", description = "Weight storage when packing a training checkpoint: bf16 | fp16 | f32 (default: bf16; a packed model keeps its own).") String weights;

    @Override public Integer call() {
        GenerateOptions o = new GenerateOptions(tokens, temperature, topK, seed, stop);   // checked before anything is loaded
        DType dt = weights == null ? null : DType.parse(weights);
        try (Backend be = deviceOption.open(main); Model m = Model.load(model, be, dt, false)) {
            if (context != null && (context < 1 || context > m.config().seqLen()))
                throw new IllegalArgumentException("--context must be in 1.." + m.config().seqLen() + " (the model's context), got " + context);
            run(m, context == null ? m.defaultContext() : context, prompt, o, System.out, System.err);
        }
        return 0;
    }

    /** Streams the sample to out, then one line of statistics to info. */
    static Session.Generation run(Model m, int context, String prompt, GenerateOptions o, PrintStream out, PrintStream info) {
        try (Session s = m.newSession(context)) {
            out.print(prompt);
            Session.Generation g = s.generate(prompt, o, (text, id) -> { out.print(text); out.flush(); });
            out.println();
            out.flush();
            info.printf("generated %d tokens in %.2f s: %.1f tokens/s after a %d-token prompt (%.2f s); stopped: %s (%s, %s, KV cache %d%s)%n",
                    g.tokens().length, g.seconds(), g.tokensPerSec(), m.tokenizer().encode(prompt, true).length, g.prefillSeconds(), g.stopReason(),
                    m.config().label(), m.backend().describe(), context,
                    g.slides() == 0 ? "" : "; past the context the window slid " + g.slides() + " time(s): the last " + Math.max(1, context / 2)
                            + " tokens re-fed from position 0");
            return g;
        }
    }
}
