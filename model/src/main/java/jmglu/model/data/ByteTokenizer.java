package jmglu.model.data;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;

/** One token per UTF-8 byte: vocabulary 256, nothing to train, nothing unknown. */
public final class ByteTokenizer implements Tokenizer {

    @Override public int vocabSize() { return 256; }

    @Override public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
        return ids;
    }

    @Override public byte[] decodeBytes(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > 255) throw new IllegalArgumentException("byte tokenizer: id " + ids[i] + " outside 0..255");
            b[i] = (byte) ids[i];
        }
        return b;
    }

    @Override public String describe() { return "byte"; }

    @Override public JsonObject toHfJson() {
        byte[][] t = new byte[256][];
        for (int b = 0; b < 256; b++) t[b] = new byte[] {(byte) b};
        return ByteLevel.hfJson(t, new int[0], new int[0]);
    }

    @Override public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("type", "byte");
        return o;
    }
}
