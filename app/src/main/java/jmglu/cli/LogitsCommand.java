package jmglu.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jmglu.api.Model;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.model.DecodeState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * jmglu logits: the next-token logits at every position of an id sequence, one CSV row per position
 * ("pos,l0,l1,...,l(V-1)", shortest round-trip float text), from the decode step (KV cache), for
 * checking jmglu's math against another framework.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print or write the logits (f32) of every position of a token-id sequence: rows pos,l0,...,l(V-1).")
final class LogitsCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Mixin DeviceOption deviceOption;
    @Option(names = "--model", required = true, description = "Model folder (jmglu's or a Hugging Face Llama folder).") Path model;
    @Option(names = "--ids", required = true, description = "Comma-separated token ids.") String ids;
    @Option(names = "--csv", description = "Write the rows to this file instead of standard output.") Path csv;
    @Option(names = "--weights", description = "Weight storage when packing a training checkpoint: bf16 | fp16 | f32 (default: f32; a packed or HF model keeps its own).") String weights = "f32";

    @Override public Integer call() {
        DType dt = DType.parse(weights);
        try (Backend be = deviceOption.open(main); Model m = Model.load(model, be, dt, false)) {
            int[] tok = Ids.parse(ids, m.config().vocab(), "--ids");
            if (tok.length > m.config().seqLen())
                throw new IllegalArgumentException("--ids: " + tok.length + " ids exceed the model's context of " + m.config().seqLen());
            try (PrintWriter out = csv == null ? new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                    : new PrintWriter(new BufferedWriter(Files.newBufferedWriter(csv)));
                 DecodeState s = m.transformer().newState(1, tok.length)) {
                for (int p = 0; p < tok.length; p++) {
                    float[] l = m.transformer().decode(s, new int[] {tok[p]}, new int[] {p});
                    StringBuilder sb = new StringBuilder(16 * m.config().vocab()).append(p);
                    for (int v = 0; v < m.config().vocab(); v++) sb.append(',').append(l[v]);
                    out.println(sb);
                }
                if (out.checkError()) throw new UncheckedIOException(new IOException("writing the logits failed" + (csv == null ? "" : " (" + csv + ")")));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + csv + ": " + e.getMessage(), e);
            }
        }
        if (csv != null) System.err.println("wrote " + csv);
        return 0;
    }
}
