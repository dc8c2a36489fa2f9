"""On the GPU machine: do jmglu's exports load in PyTorch with the logits jmglu computes?

    python3 lab/hf/check_export.py EXPORT_DIR OUT_DIR

For each folder EXPORT_DIR/<name> (written by `jmglu export --format hf`): its tokenizer.json is read by the
tokenizers library (and by transformers' PreTrainedTokenizerFast) and encodes a fixed text; a SwiGLU folder is
loaded by transformers' LlamaForCausalLM.from_pretrained, an MGLU folder by jmglu_mglu.py (the folder's copy,
or python/'s); the logits (f32) and, for Llama, a greedy continuation are saved as OUT_DIR/<name>.safetensors
(ids, logits, greedy) for the Java test that compares them with jmglu's.
"""
import json, os, sys, importlib.util
import torch, transformers, tokenizers
from safetensors.torch import save_file

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
TEXT = "The MGLU kernel reads W once: x (B, h) -> y."
for name in sorted(n for n in os.listdir(src) if os.path.isdir(os.path.join(src, n))):
    d = os.path.join(src, name)
    tok = tokenizers.Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    ids = tok.encode(TEXT).ids
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(d, "tokenizer.json"))
    assert fast(TEXT)["input_ids"] == ids, (name, fast(TEXT)["input_ids"], ids)
    assert tok.decode(ids) == TEXT, (name, tok.decode(ids))
    x = torch.tensor([ids])
    res = {"ids": torch.tensor(ids, dtype=torch.int32)}
    with torch.no_grad():
        if "LlamaForCausalLM" in open(os.path.join(d, "config.json")).read():
            m = transformers.LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
            res["logits"] = m(x).logits[0].float().contiguous()
            res["greedy"] = m.generate(x, max_new_tokens=8, do_sample=False, min_new_tokens=8)[0, len(ids):].to(torch.int32).contiguous()
            how = "transformers LlamaForCausalLM"
        else:
            py = os.path.join(d, "jmglu_mglu.py")      # the committed fixtures leave the module out: python/ holds the one copy
            spec = importlib.util.spec_from_file_location("jmglu_mglu", py if os.path.exists(py) else "python/jmglu_mglu.py")
            mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
            res["logits"] = mod.load(d)(x)[0].float().contiguous()
            how = "jmglu_mglu.py"
    save_file(res, os.path.join(out, name + ".safetensors"))
    print(name, how, "ids", len(ids), "logits", tuple(res["logits"].shape), "greedy", res.get("greedy", torch.tensor([])).tolist(), flush=True)
