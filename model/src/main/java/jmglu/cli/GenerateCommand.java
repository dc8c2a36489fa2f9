package jmglu.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jmglu.engine.DType;
import jmglu.engine.decode.Decoder;
import jmglu.engine.decode.DecoderWeights;
import jmglu.model.infer.Deploy;
import jmglu.model.infer.Generator;
import jmglu.model.infer.Sampler;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jmglu generate: samples text from a training checkpoint or a packed model with a KV-cache decoder. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a checkpoint or a packed model (MGLU FFNs run through FlashMGLU on packed masks).")
final class GenerateCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin DeviceOption deviceOption;
    @Option(names = "--model", description = "Model folder or .safetensors file (default: ${DEFAULT-VALUE}).") Path model = Path.of("runs", "demo");
    @Option(names = "--prompt", description = "Prompt text (default: '${DEFAULT-VALUE}').") String prompt = "public ";
    @Option(names = {"-n", "--tokens"}, description = "Tokens to generate (default: ${DEFAULT-VALUE}).") int tokens = 200;
    @Option(names = "--temperature", description = "Sampling temperature, 0 = greedy (default: ${DEFAULT-VALUE}).") float temperature = 0.8f;
    @Option(names = "--top-k", description = "Sample from the k most likely tokens, 0 = all (default: ${DEFAULT-VALUE}).") int topK = 40;
    @Option(names = "--seed", description = "Sampling seed (default: ${DEFAULT-VALUE}).") long seed = 1;
    @Option(names = "--weights", description = "Weight storage for a training checkpoint: bf16 | fp16 | f32 (default: bf16; a packed model keeps its own).") String weights;

    @Override public Integer call() {
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be positive, got " + tokens);
        Checkpoint.Loaded l = Checkpoint.load(model);
        run(l, prompt, tokens, temperature, topK, seed, weights == null ? null : DType.parse(weights), Main.device(), System.out, System.err);
        return 0;
    }

    /** Builds the deployment weights, opens the decoder for device and prints the sample and its speed. */
    static Generator.Result run(Checkpoint.Loaded l, String prompt, int n, float temperature, int topK, long seed, DType dtype,
                                String device, PrintStream out, PrintStream info) {
        if (dtype == null) dtype = l.packed() ? DType.parse(l.meta("weights_dtype") == null ? "bf16" : l.meta("weights_dtype")) : DType.BF16;
        DecoderWeights w = Deploy.weights(l.config(), l.contents().tensors(), dtype);
        Sampler sampler = new Sampler(temperature, topK, seed);
        int[] ids = l.tokenizer().encode(prompt);
        try (Decoder dec = Generator.open(w, l.config().seqLen(), device)) {
            Generator.Result r = Generator.generate(dec, ids, n, sampler);
            out.println(l.tokenizer().decode(r.tokens()));
            out.flush();
            info.printf("generated %d tokens in %.2f s: %.1f tokens/s (%s, %s weights, %s, KV cache %d)%n", r.generated(), r.seconds(),
                    r.tokensPerSec(), l.config().label(), dtype, r.device(), dec.maxSeq());
            return r;
        }
    }
}
