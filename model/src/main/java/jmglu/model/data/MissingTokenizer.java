package jmglu.model.data;

import com.google.gson.JsonObject;

/**
 * The tokenizer of a Hugging Face folder that has no tokenizer.json: the model still runs on token
 * ids (`jmglu logits --ids`, the decode step), and anything that needs text says why it cannot.
 */
public record MissingTokenizer(String why) implements Tokenizer {
    @Override public int vocabSize() { return 0; }
    @Override public int[] encode(String text) { throw new IllegalArgumentException(why); }
    @Override public byte[] decodeBytes(int[] ids) { throw new IllegalArgumentException(why); }
    @Override public String describe() { return "none (no tokenizer.json)"; }
    @Override public JsonObject toJson() { throw new IllegalArgumentException(why); }
}
