"""Makes the Hugging Face parity fixtures once, on the GPU machine (transformers, tokenizers, sentencepiece).

    python3 lab/hf/make_fixtures.py OUTDIR      (run from the repository root; reads *.md / *.java as a corpus)

Writes OUTDIR/hf/...: tokenizers (tokenizer.json + cases.json: ids for awkward texts, as the tokenizers library
encodes them, with and without special tokens, and the decoded text), random LlamaForCausalLM folders (GQA, tied and
untied, old and new config forms, f32 / bf16 sharded / f16, llama3 and linear RoPE scaling, head_dim != C/nH) each
with expected.safetensors (ids, logits f32, logits in the stored dtype, a greedy continuation), and a small Llama
trained here on the repository's text (byte-level BPE) for generation and the SwiGLU -> MGLU experiment.
The Java tests read them from model/src/test/resources/hf (copied from OUTDIR, committed).
"""
import json, os, sys, glob, shutil, traceback, random
import torch, transformers, tokenizers
from tokenizers import Tokenizer, models, trainers, pre_tokenizers, decoders, normalizers, processors, Regex
from safetensors.torch import save_file

OUT = os.path.join(sys.argv[1], "hf")
os.makedirs(OUT, exist_ok=True)
LOG = open(os.path.join(sys.argv[1], "fixtures.log"), "w")
def log(*a):
    s = " ".join(str(x) for x in a); print(s, flush=True); LOG.write(s + "\n"); LOG.flush()
log("torch", torch.__version__, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__)

corpus_files = sorted(glob.glob("**/*.md", recursive=True) + glob.glob("**/src/main/**/*.java", recursive=True))
corpus_files = [f for f in corpus_files if "/target/" not in f and not f.startswith(".")]
CORPUS = [open(f, encoding="utf-8", errors="replace").read() for f in corpus_files]
EXTRA = ["naïve café résumé Ünïcödé 日本語のテキスト 中文 한국어 Ελληνικά русский", "emoji 😀🎉👍🏽 🇫🇷", "I'm you're they'll we've she'd",
         "1234567890 3.14159 2026-11-30", "tabs\tand\ttabs\n\n\nnewlines   spaces"] * 20
log("corpus", len(corpus_files), "files", sum(len(c) for c in CORPUS), "chars")

TEXTS = ["Hello, world!", "  leading spaces", "trailing spaces   ", "tabs\tand\ttabs", "new\nlines\n\n\nmany\n",
         "digits 1234567890 3.14159 and 1,000,000", "emoji 😀🎉👍🏽 and the flag 🇫🇷", "naïve café, Ünïcödé, 日本語のテキスト, 中文, 한국어, Ελληνικά, русский",
         "I'm, you're, they'll, we've, she'd, 'S 'T DON'T", "mixed   spaces\t \n \r\n end", "", " ", "\n", "a", "   ",
         "code: for (int i = 0; i < n; i++) { x += y[i]; }", "zero\u200bwidth and combining e\u0301", "ｆｕｌｌｗｉｄｔｈ", "\u00a0nbsp\u00a0",
         "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝛼𝛽", "public static void main(String[] args) {\n    System.out.println(\"hi\");\n}\n",
         "The MGLU kernel reads W once.", "\x00\x01 control \x7f", "ünknöwn wörds: Zyzzyva qwxz", "a  b   c    d", "HELLO hello HeLLo"]

def cases(tok, texts, specials=()):
    out = []
    for t in list(texts) + [s.join(["start ", " middle ", " end"]) for s in specials]:
        e1 = tok.encode(t, add_special_tokens=False).ids
        e2 = tok.encode(t, add_special_tokens=True).ids
        out.append({"text": t, "ids": e1, "ids_special": e2, "decoded": tok.decode(e1, skip_special_tokens=False),
                    "decoded_skip": tok.decode(e2, skip_special_tokens=True)})
    return out

def save_tok(name, tok, specials=()):
    d = os.path.join(OUT, "tokenizers", name); os.makedirs(d, exist_ok=True)
    tok.save(os.path.join(d, "tokenizer.json"))
    json.dump(cases(tok, TEXTS, specials), open(os.path.join(d, "cases.json"), "w"), ensure_ascii=False, indent=0)
    log("tokenizer", name, "vocab", tok.get_vocab_size())

def step(name, fn):
    try: fn()
    except Exception: log("FAILED", name); log(traceback.format_exc())

# ---- byte-level BPE, GPT-2 style: ByteLevel pre-tokenizer with its regex, ByteLevel decoder, <|endoftext|>
def gpt2():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tr = trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS + EXTRA, tr)
    save_tok("gpt2-bytelevel", tok, ["<|endoftext|>"])
step("gpt2", gpt2)

# ---- byte-level BPE, Llama 3 style: Split(regex) + ByteLevel(use_regex=False), ignore_merges, BOS by TemplateProcessing
LLAMA3_RE = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
def llama3():
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_RE), behavior="isolated", invert=False),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    tr = trainers.BpeTrainer(vocab_size=800, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS + EXTRA, tr)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B", special_tokens=[("<|begin_of_text|>", bos)])])
    save_tok("llama3-bytelevel", tok, specials)
step("llama3", llama3)

# ---- SentencePiece BPE with byte fallback, converted by transformers exactly as Llama 2 / TinyLlama's tokenizer.json was
def spm():
    import sentencepiece as sp
    d = os.path.join(sys.argv[1], "spm"); os.makedirs(d, exist_ok=True)
    txt = os.path.join(d, "corpus.txt")
    with open(txt, "w") as f:
        for c in CORPUS + EXTRA:
            for line in c.splitlines():
                if line.strip(): f.write(line + "\n")
    sp.SentencePieceTrainer.train(input=txt, model_prefix=os.path.join(d, "m"), model_type="bpe", vocab_size=600, byte_fallback=True,
                                  character_coverage=0.995, split_digits=True, allow_whitespace_only_pieces=True, remove_extra_whitespaces=False,
                                  normalization_rule_name="identity", unk_id=0, bos_id=1, eos_id=2, pad_id=-1, max_sentence_length=100000)
    # Llama 2's own tokenizer.json form (what transformers 4.x's LlamaConverter wrote with legacy=True): the SentencePiece
    # vocabulary and merges in a BPE model with byte fallback, normalizer Prepend("▁") + Replace(" ", "▁"), BOS by template
    from transformers.convert_slow_tokenizer import SentencePieceExtractor
    proc = sp.SentencePieceProcessor(model_file=os.path.join(d, "m.model"))
    vocab = {proc.id_to_piece(i): i for i in range(proc.get_piece_size())}
    merges = []   # as transformers' SentencePieceExtractor: every split of a piece into two pieces, ordered by the piece's id
    for piece, pid in vocab.items():
        local = [(piece[:k], piece[k:], pid) for k in range(1, len(piece)) if piece[:k] in vocab and piece[k:] in vocab]
        merges += sorted(local, key=lambda x: (vocab[x[0]], vocab[x[1]]))
    merges = [(a, b) for a, b, _ in sorted(merges, key=lambda x: x[2])]
    log("spm vocab", len(vocab), "merges", len(merges))
    fast = Tokenizer(models.BPE(vocab, [tuple(m) for m in merges], unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    fast.add_special_tokens([tokenizers.AddedToken(t, normalized=False, special=True) for t in ("<unk>", "<s>", "</s>")])
    fast.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    fast.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    fast.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    same = sum(proc.encode(t) == fast.encode(t, add_special_tokens=False).ids for t in TEXTS)
    log("spm: tokenizer.json agrees with sentencepiece itself on", same, "of", len(TEXTS), "texts")
    if fast.get_vocab_size() < 500: raise RuntimeError("converted vocabulary has only %d pieces" % fast.get_vocab_size())
    log(json.dumps({k: fast.to_str() and json.loads(fast.to_str()).get(k) for k in ("normalizer", "pre_tokenizer", "decoder", "post_processor")})[:2000])
    save_tok("llama2-sentencepiece", fast, ["<s>", "</s>"])
    # the same vocabulary in the newer Metaspace form (pre-tokenizer Metaspace, prepend_scheme first, no normalizer)
    j = json.loads(fast.to_str())
    j["normalizer"] = None
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    j["decoder"] = {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                    {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    save_tok("metaspace-sentencepiece", Tokenizer.from_str(json.dumps(j)), ["<s>", "</s>"])
step("spm", spm)

# ---- random LlamaForCausalLM folders with expected logits
def llama(name, dtype, shard, cfg_form, T=20, gen=8, seed=0, **kw):
    for attempt in range(12):   # a seed whose greedy path has no near tie (top-1 minus top-2 >= 0.05)
        gap = llama1(name, dtype, shard, cfg_form, T, gen, seed + attempt, **kw)
        if gap >= 0.05: return
    raise RuntimeError(name + ": every seed gave a near tie")

def llama1(name, dtype, shard, cfg_form, T, gen, seed, **kw):
    torch.manual_seed(sum(map(ord, name)) + 1000 * seed)
    cfg = transformers.LlamaConfig(max_position_embeddings=256, rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False,
                                   bos_token_id=1, eos_token_id=2, initializer_range=0.2, **kw)
    m = transformers.LlamaForCausalLM(cfg).eval()
    with torch.no_grad():   # norm weights away from 1 so a wrong norm shows
        for n, p in m.named_parameters():
            if "norm" in n: p.copy_(1 + 0.3 * torch.randn_like(p))
    d = os.path.join(OUT, "models", name)
    shutil.rmtree(d, ignore_errors=True)
    m.to(dtype).save_pretrained(d, max_shard_size=shard, safe_serialization=True) if shard else m.to(dtype).save_pretrained(d, safe_serialization=True)
    c = json.load(open(os.path.join(d, "config.json")))
    if cfg_form == "old":   # as transformers 4.x wrote it: rope_theta / rope_scaling at the top level
        rp = c.pop("rope_parameters", None) or {}
        c["rope_theta"] = rp.get("rope_theta", 10000.0)
        sc = {k: v for k, v in rp.items() if k not in ("rope_theta",)}
        c["rope_scaling"] = None if sc.get("rope_type", "default") == "default" else sc
        json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=2)
    V = cfg.vocab_size
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, V, (1, T), generator=g)
    with torch.no_grad():
        m32 = transformers.LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval().cuda()
        logits = m32(ids.cuda()).logits[0].float().cpu()
        mdt = transformers.LlamaForCausalLM.from_pretrained(d, dtype=dtype).eval().cuda()
        logits_dt = mdt(ids.cuda()).logits[0].float().cpu()
        out = m32.generate(ids.cuda(), max_new_tokens=gen, do_sample=False, min_new_tokens=gen)[0, T:].cpu()
        # the smallest top-1 / top-2 gap along the greedy path (a near tie would make the fixture fragile)
        full = torch.cat([ids[0], out]).unsqueeze(0).cuda()
        lg = m32(full).logits[0, T - 1:-1].float()
        top2 = lg.topk(2, dim=-1).values
        gap = (top2[:, 0] - top2[:, 1]).min().item()
    save_file({"ids": ids[0].to(torch.int32).contiguous(), "logits": logits.contiguous(), "logits_stored_dtype": logits_dt.contiguous(),
               "greedy": out.to(torch.int32).contiguous()}, os.path.join(d, "expected.safetensors"))
    log("model", name, "files", sorted(os.listdir(d)), "greedy", out.tolist(), "min top-2 gap", round(gap, 4),
        "max|logit|", logits.abs().max().item(), "dtype diff", (logits - logits_dt).abs().max().item(), "seed", seed)
    return gap

step("gqa-f32", lambda: llama("gqa-f32-untied", torch.float32, None, "old", vocab_size=301, hidden_size=64, intermediate_size=96,
     num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False, rope_theta=10000.0))
step("tied-bf16", lambda: llama("tied-bf16-sharded-llama3rope", torch.bfloat16, "40KB", "new", vocab_size=257, hidden_size=64,
     intermediate_size=80, num_hidden_layers=3, num_attention_heads=8, num_key_value_heads=2, tie_word_embeddings=True,
     rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64}))
step("headdim-f16", lambda: llama("headdim-f16-linearrope", torch.float16, None, "new", vocab_size=200, hidden_size=48, intermediate_size=72,
     num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, head_dim=16, tie_word_embeddings=False,
     rope_parameters={"rope_type": "linear", "rope_theta": 500.0, "factor": 2.0}))

# ---- a small Llama trained here on the repository's text, with the Llama 3 style tokenizer: text that reads like code
def trained():
    tj = os.path.join(OUT, "tokenizers", "llama3-bytelevel", "tokenizer.json")
    tok = Tokenizer.from_file(tj)
    ids = []
    for c in CORPUS: ids += tok.encode(c, add_special_tokens=False).ids + [tok.token_to_id("<|end_of_text|>")]
    data = torch.tensor(ids, dtype=torch.long)
    log("trained: corpus tokens", len(ids))
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=128, intermediate_size=344, num_hidden_layers=4,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5,
                                   tie_word_embeddings=True, bos_token_id=tok.token_to_id("<|begin_of_text|>"),
                                   eos_token_id=tok.token_to_id("<|end_of_text|>"), rope_theta=10000.0)
    m = transformers.LlamaForCausalLM(cfg).cuda().train()
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=0.1)
    T, B, steps = 128, 64, 600
    n_val = len(ids) // 10
    train, val = data[:-n_val], data[-n_val:]
    for s in range(steps):
        lr = 3e-3 * min(1, (s + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + __import__("math").cos(__import__("math").pi * s / steps)))
        for gp in opt.param_groups: gp["lr"] = lr
        ix = torch.randint(0, len(train) - T - 1, (B,))
        x = torch.stack([train[i:i + T] for i in ix]).cuda(); y = torch.stack([train[i + 1:i + T + 1] for i in ix]).cuda()
        loss = m(input_ids=x, labels=None).logits.float().view(-1, cfg.vocab_size)
        loss = torch.nn.functional.cross_entropy(loss, y.view(-1))
        opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
        if s % 100 == 0 or s == steps - 1:
            with torch.no_grad():
                m.eval(); vx = val[:(len(val) // (T + 1)) * (T + 1)].view(-1, T + 1)[:64].cuda()
                vl = torch.nn.functional.cross_entropy(m(vx[:, :-1]).logits.float().reshape(-1, cfg.vocab_size), vx[:, 1:].reshape(-1)).item()
                m.train()
            log(f"trained step {s} loss {loss.item():.4f} val {vl:.4f}")
    m.eval()
    d = os.path.join(OUT, "models", "trained-llama3tok")
    m.to(torch.bfloat16).save_pretrained(d, safe_serialization=True)
    shutil.copy(tj, os.path.join(d, "tokenizer.json"))
    prompt = "public static void main(String[] args) {"
    pid = tok.encode(prompt, add_special_tokens=True).ids
    with torch.no_grad():
        m32 = transformers.LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval().cuda()
        out = m32.generate(torch.tensor([pid]).cuda(), max_new_tokens=24, do_sample=False)[0, len(pid):].cpu()
        lg = m32(torch.tensor([pid]).cuda()).logits[0].float().cpu()
    save_file({"ids": torch.tensor(pid, dtype=torch.int32), "logits": lg.contiguous(), "greedy": out.to(torch.int32).contiguous()},
              os.path.join(d, "expected.safetensors"))
    json.dump({"val_loss": vl, "steps": steps, "batch": B, "seq": T, "corpus_tokens": len(ids), "greedy_text": tok.decode(out.tolist())},
              open(os.path.join(d, "train_log.json"), "w"), indent=1)
    log("trained greedy:", repr(tok.decode(out.tolist())))
step("trained", trained)
log("done")
