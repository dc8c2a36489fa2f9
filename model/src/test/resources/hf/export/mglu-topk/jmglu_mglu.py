"""A jmglu model in PyTorch: the forward pass of a folder written by `jmglu export --format hf`.

    python3 jmglu_mglu.py FOLDER 1,2,3            prints the logits (T, V) of those ids as CSV rows pos,l0,l1,...
    from jmglu_mglu import load; m = load(FOLDER); logits = m(torch.tensor([[1, 2, 3]]))

The folder holds config.json (jmglu's own schema), model.safetensors (Hugging Face Llama names; MGLU FFNs as
model.layers.L.mlp.{w, masks, router, down_proj.weight}) and this file. Decoder-only Llama block:
x += attn(rmsnorm(x)); x += ffn(rmsnorm(x)); logits = rmsnorm(x) lm_head^T, with RoPE, grouped-query attention,
and one of three FFNs:
  swiglu:  down(g(gate x) * (up x))
  mglu:    t = x W^T; s_i = x (M_i * W)^T; y = sum_i g(s_i) * (t - s_i)      (nm binary masks M_i over one W)
           Top-K routing: r = x Wr^T, keep the K largest, softmax them into G; y = sum_{i in topK} G_i g(s_i) (t - s_i)
  gelu:    down(gelu(up x))
Masks are stored as bit-planes, int32 (d, nm, ceil(C/32)): bit c % 32 of word c // 32 is element c of that row.
g: silu, gelu (tanh form, as jmglu computes it) or relu. Everything runs in float32.
"""
import json, math, os, sys
import torch
import torch.nn.functional as F
from safetensors.torch import load_file


def unpack_masks(planes, C):
    """int32 (d, nm, wpr) bit-planes -> bool (nm, d, C)."""
    bits = (planes.unsqueeze(-1) >> torch.arange(32, device=planes.device, dtype=torch.int32)) & 1   # (d, nm, wpr, 32)
    d, nm = planes.shape[0], planes.shape[1]
    return bits.reshape(d, nm, -1)[:, :, :C].permute(1, 0, 2).bool()


def act(name, x):
    return {"swish": F.silu, "silu": F.silu, "relu": F.relu, "gelu": lambda v: F.gelu(v, approximate="tanh")}[name](x)


def inv_freq(cfg, hd):
    theta = cfg["ropeTheta"]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    s = cfg.get("ropeScaling")
    if s and s["type"] == "linear":
        inv = inv / s["factor"]
    elif s and s["type"] == "llama3":
        f, lo, hi, orig = s["factor"], s["lowFreqFactor"], s["highFreqFactor"], s["originalMaxPositions"]
        wavelen = 2 * math.pi / inv
        smooth = (orig / wavelen - lo) / (hi - lo)
        mid = (1 - smooth) * inv / f + smooth * inv
        inv = torch.where(wavelen > orig / lo, inv / f, torch.where(wavelen < orig / hi, inv, mid))
    return inv


def rope(x, pos, inv, halves):
    """x (B, T, H, hd) rotated by pos * inv: pairs (j, j + hd/2) when halves, else (2j, 2j + 1)."""
    ang = pos[:, None].float() * inv[None, :]                        # (T, hd/2)
    cos, sin = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    if halves:
        a, b = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)


class JmgluModel(torch.nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        self.cfg, self.w = cfg, w
        self.hd = cfg.get("headDim", cfg["dim"] // cfg["nHeads"])
        self.inv = inv_freq(cfg, self.hd)
        self.masks = {}
        if cfg["ffn"] == "mglu":
            for l in range(cfg["nLayers"]):
                p = f"model.layers.{l}.mlp."
                self.masks[l] = unpack_masks(w[p + "masks"], cfg["dim"]) if p + "masks" in w else w[p + "mask_logits"] > 0

    def norm(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.cfg["normEps"]) * g

    def ffn(self, l, x):
        c, w, p = self.cfg, self.w, f"model.layers.{l}.mlp."
        if c["ffn"] == "swiglu":
            return (act(c["act"], x @ w[p + "gate_proj.weight"].T) * (x @ w[p + "up_proj.weight"].T)) @ w[p + "down_proj.weight"].T
        if c["ffn"] == "gelu":
            return act("gelu", x @ w[p + "gate_proj.weight"].T) @ w[p + "down_proj.weight"].T
        W, M = w[p + "w"], self.masks[l]                                  # (d, C), (nm, d, C)
        t = x @ W.T                                                        # (B, T, d)
        s = torch.einsum("btc,ndc->nbtd", x, M * W)                        # (nm, B, T, d)
        terms = act(c["act"], s) * (t - s)
        if c["topK"] > 0:
            r = x @ w[p + "router"].T                                      # (B, T, nm)
            top = r.topk(c["topK"], dim=-1)
            G = torch.zeros_like(r).scatter(-1, top.indices, top.values.softmax(-1))
            terms = terms * G.permute(2, 0, 1)[..., None]
        return terms.sum(0) @ w[p + "down_proj.weight"].T

    def forward(self, ids):
        c, w = self.cfg, self.w
        B, T = ids.shape
        nH, nKv, hd = c["nHeads"], c.get("nKvHeads", c["nHeads"]), self.hd
        pos = torch.arange(T)
        halves = c.get("ropeStyle", "interleaved") == "halves"
        x = w["model.embed_tokens.weight"][ids]
        mask = torch.full((T, T), float("-inf")).triu(1)
        for l in range(c["nLayers"]):
            p = f"model.layers.{l}."
            h = self.norm(x, w[p + "input_layernorm.weight"])
            q = rope((h @ w[p + "self_attn.q_proj.weight"].T).view(B, T, nH, hd), pos, self.inv, halves)
            k = rope((h @ w[p + "self_attn.k_proj.weight"].T).view(B, T, nKv, hd), pos, self.inv, halves)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).view(B, T, nKv, hd)
            k, v = k.repeat_interleave(nH // nKv, dim=2), v.repeat_interleave(nH // nKv, dim=2)
            att = (torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd) + mask).softmax(-1)
            y = torch.einsum("bhqk,bkhd->bqhd", att, v).reshape(B, T, nH * hd)
            x = x + y @ w[p + "self_attn.o_proj.weight"].T
            x = x + self.ffn(l, self.norm(x, w[p + "post_attention_layernorm.weight"]))
        head = w["model.embed_tokens.weight"] if c["tiedEmbeddings"] else w["lm_head.weight"]
        return self.norm(x, w["model.norm.weight"]) @ head.T


def load(folder):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    w = {k: (v if v.dtype == torch.int32 else v.float()) for k, v in load_file(os.path.join(folder, "model.safetensors")).items()}
    return JmgluModel(cfg, w)


if __name__ == "__main__":
    m = load(sys.argv[1])
    ids = torch.tensor([[int(s) for s in sys.argv[2].split(",")]])
    with torch.no_grad():
        for t, row in enumerate(m(ids)[0]):
            print(str(t) + "," + ",".join(repr(float(v)) for v in row))
