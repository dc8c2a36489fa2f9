package jmglu.lab.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import jmglu.model.data.HfTokenizer;

/**
 * How fast HfTokenizer loads and encodes at a real tokenizer's size: a synthetic GPT-2-style byte-level
 * BPE with every pair of the 256 byte characters as a merge (65,536 merges, 65,792 tokens) in random rank
 * order, plus 60,000 three-character merges, then the text of FILE encoded and decoded back.
 *
 *   java -cp ... jmglu.lab.hf.TokenizerSpeed FILE
 */
public final class TokenizerSpeed {
    public static void main(String[] args) throws Exception {
        String text = Files.readString(Path.of(args[0]));
        char[] alpha = new char[256];
        for (int b = 0, n = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            alpha[b] = (char) (printable ? b : 256 + n++);
        }
        JsonObject vocab = new JsonObject();
        JsonArray merges = new JsonArray();
        int id = 0;
        for (char c : alpha) vocab.addProperty(String.valueOf(c), id++);
        List<String[]> pairs = new ArrayList<>();
        for (char a : alpha) for (char b : alpha) pairs.add(new String[] {String.valueOf(a), String.valueOf(b)});
        Collections.shuffle(pairs, new Random(1));
        for (String[] p : pairs) { vocab.addProperty(p[0] + p[1], id++); JsonArray m = new JsonArray(); m.add(p[0]); m.add(p[1]); merges.add(m); }
        Random r = new Random(2);
        for (int i = 0; i < 60_000; i++) {
            String[] p = pairs.get(r.nextInt(pairs.size()));
            String c = String.valueOf(alpha[r.nextInt(256)]);
            if (vocab.has(p[0] + p[1] + c)) continue;
            vocab.addProperty(p[0] + p[1] + c, id++);
            JsonArray m = new JsonArray(); m.add(p[0] + p[1]); m.add(c); merges.add(m);
        }
        String json = """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "post_processor": null, "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
                           "fuse_unk": false, "byte_fallback": false, "ignore_merges": false}}""";
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        o.getAsJsonObject("model").add("vocab", vocab);
        o.getAsJsonObject("model").add("merges", merges);
        String file = o.toString();
        System.out.printf("tokenizer.json: %,d tokens, %,d merges, %,d chars%n", id, merges.size(), file.length());
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            HfTokenizer t = HfTokenizer.fromJson(JsonParser.parseString(file).getAsJsonObject(), "synthetic");
            long t1 = System.nanoTime();
            int[] ids = t.encode(text);
            long t2 = System.nanoTime();
            String back = t.decode(ids);
            long t3 = System.nanoTime();
            double mb = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length / 1e6;
            System.out.printf("round %d: parse+load %.0f ms; encode %.2f MB in %.0f ms (%.2f MB/s, %,d ids); decode %.0f ms; round trip %s%n",
                    round, (t1 - t0) / 1e6, mb, (t2 - t1) / 1e6, mb / ((t2 - t1) / 1e9), ids.length, (t3 - t2) / 1e6, back.equals(text));
        }
    }
}
