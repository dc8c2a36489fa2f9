"""Hand-made tokenizer.json variants for HfTokenizerTest, made with the Rust tokenizers library
(pip tokenizers 0.23.x): each trains a tiny BPE on CORPUS with one combination of the components
the fixtures of real models do not reach (Split behaviours and invert, Digits, Metaspace schemes,
NFKC/Lowercase/Replace-regex normalizers, added tokens with lstrip/rstrip/single_word/normalized,
unk without byte fallback, legacy "a b" merges, Strip/Replace/Metaspace decoders, no decoder), then
records tokenizers' answers in cases.json (as make_fixtures.py) and decodes.json (id lists chosen
to hit the decoders' corners: lone <0xNN> bytes, unknown ids, special tokens).

  python3 lab/hf/make_tokenizer_variants.py model/src/test/resources/hf/tokenizers
"""
import json, os, sys
from tokenizers import Tokenizer, AddedToken, models, normalizers, pre_tokenizers, decoders, processors, trainers, Regex

CORPUS = [
    "Hello, world! The quick brown fox jumps over the lazy dog.",
    "Numbers 12345 and 3.14159, dates 2024-06-01, prices $9.99!",
    "naïve café, Ünïcödé, ｆｕｌｌｗｉｄｔｈ, 日本語, Ελληνικά, русский",
    "code: for (int i = 0; i < n; i++) { x += y[i]; }",
    "I'm, you're, they'll -- tabs\tand\nnew lines   spaces",
] * 20

TEXTS = [
    "Hello, world!", "", " ", "   ", "a", "\n", "  leading and trailing  ", "tabs\tand\nlines\r\n end",
    "Numbers 12345 and 3.14159!", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "ÜNÏCÖDÉ naïve", "emoji 😀🎉 and 𝔘𝔫𝔦",
    "xyzzy qwq ☃☃ unknown ✓✓✓", "a<sw>b <sw> c<sw>", "x <ls> y<ls>z", "x<rs>  y <rs>z", "Hello <sp>hello HELLO",
    "<sp><sp> <ls><rs>", "start <sw>", "<sw> end", "1,000,000.00 and 42", "the,,,comma..list!!",
]

ADDED = [AddedToken("<sw>", single_word=True, normalized=False, special=False),
         AddedToken("<ls>", lstrip=True, normalized=False, special=False),
         AddedToken("<rs>", rstrip=True, normalized=False, special=True),
         AddedToken("Hello", normalized=True, special=False),
         AddedToken("<sp>", normalized=False, special=True)]


def build(name, *, normalizer=None, pre=None, decoder=None, post=None, byte_fallback=False, unk="[UNK]", fuse_unk=False,
          vocab=300, alphabet=(), legacy_merges=False, ignore_merges=False):
    tok = Tokenizer(models.BPE(unk_token=unk, fuse_unk=fuse_unk, byte_fallback=byte_fallback, ignore_merges=ignore_merges))
    if normalizer: tok.normalizer = normalizer
    if pre: tok.pre_tokenizer = pre
    if decoder: tok.decoder = decoder
    specials = ([unk] if unk else []) + ["<s>"]
    tr = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, initial_alphabet=list(alphabet), show_progress=False)
    tok.train_from_iterator(CORPUS, tr)
    if byte_fallback:                                   # the 256 byte tokens, as SentencePiece conversions have them
        j = json.loads(tok.to_str())
        v = j["model"]["vocab"]
        for b in range(256):
            v.setdefault("<0x%02X>" % b, len(v))
        tok = Tokenizer.from_str(json.dumps(j))
    tok.add_tokens(ADDED)
    if post: tok.post_processor = post
    j = json.loads(tok.to_str())
    if legacy_merges:
        j["model"]["merges"] = [" ".join(m) for m in j["model"]["merges"]]
        tok = Tokenizer.from_str(json.dumps(j))
    return name, tok, j


def variants():
    nk = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(), normalizers.Replace(Regex(r"\s+"), " ")])
    punct = Regex(r"[,.!? ]")
    for beh in ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]:
        for inv in [False, True]:
            yield build(f"split-{beh}{'-invert' if inv else ''}", normalizer=nk,
                        pre=pre_tokenizers.Split(punct, beh, invert=inv), fuse_unk=inv)
    yield build("digits-metaspace", pre=pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.Metaspace(prepend_scheme="always", split=True)]), decoder=decoders.Metaspace(prepend_scheme="always"),
                normalizer=normalizers.NFD())
    yield build("digits-contiguous-never", pre=pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=False),
                pre_tokenizers.Metaspace(prepend_scheme="never", split=True)]), decoder=decoders.Metaspace(prepend_scheme="never"),
                normalizer=normalizers.NFKD(), legacy_merges=True)
    yield build("split-then-metaspace-first", pre=pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(r"\d+"), "isolated"),
                pre_tokenizers.Metaspace(prepend_scheme="first", split=True)]), decoder=decoders.Sequence([
                decoders.Metaspace(prepend_scheme="first"), decoders.Fuse(), decoders.Strip(" ", 2, 0)]), normalizer=normalizers.NFC())
    yield build("bytelevel-prefix", pre=pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True), decoder=decoders.ByteLevel(),
                unk=None, alphabet=pre_tokenizers.ByteLevel.alphabet(), post=processors.TemplateProcessing(
                single="<s> $A <sp>", special_tokens=[("<s>", 1), ("<sp>", 305)]) , legacy_merges=True)
    yield build("bytefallback-nodecoder", normalizer=normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
                byte_fallback=True, fuse_unk=True)
    yield build("bytefallback-decoders", normalizer=normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
                byte_fallback=True, decoder=decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                decoders.Strip(" ", 1, 0), decoders.Replace(Regex(r"o+"), "0")]))


def main(out):
    for name, tok, j in variants():
        d = os.path.join(out, "variant-" + name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(j, f, ensure_ascii=False, indent=1)
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        cases = []
        for t in TEXTS:
            ids = tok.encode(t, add_special_tokens=False).ids
            ids_sp = tok.encode(t, add_special_tokens=True).ids
            cases.append({"text": t, "ids": ids, "ids_special": ids_sp, "decoded": tok.decode(ids, skip_special_tokens=False),
                          "decoded_skip": tok.decode(ids_sp, skip_special_tokens=True)})
        v = tok.get_vocab(with_added_tokens=True)
        pick = lambda *names: [v[n] for n in names if n in v]
        id_lists = [[], [10**6], pick("<0xE2>"), pick("<0xE2>", "<0x82>"), pick("<0xE2>", "<0x82>", "<0xAC>"),
                    pick("<0xE2>", "<0x82>") + pick("a") + pick("<0xFF>"), pick("<sp>", "<s>", "[UNK]", "Hello", "<rs>"),
                    pick("▁", "▁a", "a", "▁"), list(range(0, min(60, tok.get_vocab_size(True)))), [5, 10**6, 6]]
        decodes = [{"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False), "decoded_skip": tok.decode(ids, skip_special_tokens=True)}
                   for ids in id_lists]
        with open(os.path.join(d, "cases.json"), "w", encoding="utf-8") as f:
            json.dump(cases, f, ensure_ascii=False, indent=1)
        with open(os.path.join(d, "decodes.json"), "w", encoding="utf-8") as f:
            json.dump(decodes, f, ensure_ascii=False, indent=1)
        print(d, len(cases), "cases")


if __name__ == "__main__":
    main(sys.argv[1])
