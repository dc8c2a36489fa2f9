package jmglu.model.hf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.io.ModelFolder;
import jmglu.model.Config;
import jmglu.model.data.MissingTokenizer;
import jmglu.model.data.Tokenizer;
import jmglu.model.train.Checkpoint;

/**
 * {@code jmglu export --format hf}: a model folder PyTorch can load.
 * <ul>
 *   <li>SwiGLU-family models (g = SiLU, tanh-GELU or ReLU): a {@code LlamaForCausalLM} folder —
 *       config.json in transformers' schema, model.safetensors under HF names (metadata format=pt),
 *       Wq/Wk rows in rotate_half order (see {@link HfWeights}); {@code from_pretrained} loads it.</li>
 *   <li>MGLU models (and the GELU MLP, which Llama's gated MLP cannot express): model.safetensors under
 *       the same names, MGLU as mlp.{w, masks, router, down_proj.weight} (masks as I32 bit-planes),
 *       config.json in jmglu's schema, and jmglu_mglu.py, a short PyTorch module that computes the logits.</li>
 * </ul>
 * The tokenizer travels as tokenizer.json: a Hugging Face one as read, jmglu's byte and BPE tokenizers
 * converted to byte-level BPE files that encode the same ids ({@code Tokenizer#toHfJson}).
 * Weights keep their stored dtype (a training checkpoint: F32, its optimizer state left out).
 */
public final class HfExport {
    private HfExport() {}

    /** Writes the export of l into out (as a unit, under lock); returns a one-line description. */
    public static String export(Checkpoint.Loaded l, Path out, ModelFolder.Lock lock) {
        Config c = l.config();
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : l.tensors().entrySet()) {
            String n = e.getKey();
            Tensor t = e.getValue();
            if (n.startsWith("optim.")) continue;                           // AdamW moments of a training checkpoint
            if (n.endsWith(".ffn.mask_logits")) {                          // M_i = 1[L_i > 0] as bit-planes (d, nm, ⌈C/32⌉)
                MaskPlanes m = MaskPacker.pack(t.toArray(), t.dim(0), t.dim(1), t.dim(2));
                w.put(n.replace("mask_logits", "masks"), m.tensor());
            } else w.put(n, t);
        }
        Config hc = c.rope().halves() ? c : c.withRope(Rope.halves(c.rope().theta(), c.rope().scaling()));
        Map<String, Tensor> hf = HfWeights.toHf(w, c);
        DType dt = w.get("tok_emb.weight").dtype();
        String dtName = switch (dt) { case BF16 -> "bfloat16"; case F16 -> "float16"; default -> "float32"; };
        boolean llama = c.ffn() == Config.FfnKind.GLU;
        try (ModelFolder.Writer wr = ModelFolder.beginWrite(out, lock)) {
            if (llama) {
                int bos = l.hf() != null ? l.hf().bosId() : -1;
                int[] eos = l.hf() != null ? l.hf().eosIds() : new int[0];
                wr.writeString(Checkpoint.CONFIG, HfConfig.toJson(hc, bos, eos, dtName));
            } else {
                wr.writeString(Checkpoint.CONFIG, hc.toJson());
                wr.writeString("jmglu_mglu.py", resource("jmglu_mglu.py"));
            }
            Tokenizer tok = l.tokenizer();
            if (!(tok instanceof MissingTokenizer)) {
                var hfTok = tok.toHfJson();         // jmglu's byte and BPE tokenizers convert exactly; else jmglu's own file
                if (hfTok != null) wr.writeString(Checkpoint.TOKENIZER, hfTok.toString());
                else wr.writeString("jmglu_tokenizer.json", tok.toJson().toString());
            }
            // transformers requires format=pt; jmglu reads the MGLU export back as a packed model (masks are bit-planes)
            wr.writeSafetensors(Checkpoint.WEIGHTS, hf, llama ? Map.of("format", "pt")
                    : Map.of("format", Checkpoint.PACKED, "weights_dtype", dt == DType.BF16 ? "bf16" : dt == DType.F16 ? "fp16" : "f32"));
            wr.commit();
        }
        return (llama ? "LlamaForCausalLM (transformers' from_pretrained)" : c.label() + " for jmglu_mglu.py (PyTorch)") + ", " + hf.size()
                + " tensors in " + dtName + (c.rope().halves() ? "" : ", Wq/Wk rows permuted to rotate_half order");
    }

    private static String resource(String name) {
        try (InputStream in = HfExport.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the jmglu build lacks its resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the resource " + name + ": " + e.getMessage(), e);
        }
    }
}
