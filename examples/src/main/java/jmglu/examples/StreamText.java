package jmglu.examples;

import java.nio.file.Path;
import jmglu.api.GenerateOptions;
import jmglu.api.Model;
import jmglu.api.Session;

/**
 * Loads a packed model and streams generated text as it is produced: the whole embedding API.
 * <pre>
 *   java -cp ... jmglu.examples.StreamText MODEL_DIR "prompt"
 * </pre>
 */
public final class StreamText {
    private StreamText() {}

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/example");
        String prompt = args.length > 1 ? args[1] : "public static ";
        try (Model model = Model.load(dir); Session session = model.newSession()) {
            System.out.print(prompt);
            Session.Generation g = session.generate(prompt,
                    GenerateOptions.defaults().withMaxTokens(80).withStop("\n"),
                    (text, tokenId) -> System.out.print(text));
            System.out.printf("%n[%d tokens, %.0f tokens/s, stopped: %s, on %s]%n", g.tokens().length, g.tokensPerSec(), g.stopReason(),
                    model.backend().describe());
        }
    }
}
