package jmglu.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import jmglu.model.data.Tokenizer;
import jmglu.model.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jmglu tokenize: a model folder's tokenizer, text → ids (comma-separated) or ids → text. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Encode text with a model's tokenizer (prints ids, comma-separated) or decode ids back to text.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model folder (jmglu's or a Hugging Face one with tokenizer.json).") Path model;
    @Option(names = "--text", description = "Text to encode.") String text;
    @Option(names = "--decode", description = "Comma-separated ids to decode.") String decode;
    @Option(names = "--no-special-tokens", description = "Encode without the tokenizer's special tokens (e.g. a Llama BOS); "
            + "the default adds them, as tokenizers' encode(text) does.") boolean noSpecial;
    @Option(names = "--skip-special-tokens", description = "Leave special tokens out of decoded text.") boolean skipSpecial;

    @Override public Integer call() {
        if ((text == null) == (decode == null)) throw new IllegalArgumentException("give exactly one of --text or --decode");
        try (Checkpoint.Loaded l = Checkpoint.load(model)) {           // the weights are mapped, not read
            run(l.tokenizer());
        }
        return 0;
    }

    private void run(Tokenizer tok) {
        if (text != null) {
            int[] ids = tok.encode(text, !noSpecial);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ",").append(ids[i]);
            System.out.println(sb);
        } else {
            System.out.println(tok.decode(Ids.parse(decode, tok.vocabSize(), "--decode"), skipSpecial));
        }
    }
}
