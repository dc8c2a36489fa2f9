#!/bin/bash
# The Hugging Face checks on the H200 machine (issue 13), one device call:
#   here:   ./jmglu bundle && bash lab/hf/device.sh make          (.devbundle/: bundle tgz, libOpenCL, this script)
#   device: bash .devbundle/device.sh run                         (carry [".devbundle"]; results under $OUT)
# run: (1) jmglu's exports loaded by transformers / jmglu_mglu.py (lab/hf/check_export.py); (2) an HF folder
# generating through `jmglu generate` on OpenCL and simd (the trained fixture: its greedy text is known);
# (3) jmglu logits on OpenCL vs transformers for the GQA fixture; (4) a TinyLlama-shaped random LlamaForCausalLM
# (1.1 B weights, bf16, sharded) made by transformers: jmglu logits on OpenCL vs transformers, generate, bench decode.
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="$R/.devbundle"
  rm -rf "$B"; mkdir -p "$B/ocl"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/device.sh" ;;
run)
  D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; O="${OUT:-/tmp/out}"; mkdir -p "$O"; H=model/src/test/resources/hf
  export PYTHONUNBUFFERED=1
  python3 lab/hf/check_export.py $H/export /tmp/torch-export 2>&1 | grep -v Loading | tee "$O/export_check.txt"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D"
  mkdir -p /tmp/icd
  LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)
  echo "$LIBNV" > /tmp/icd/nvidia.icd
  export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
  {
    for dev in opencl simd; do
      echo "== generate --device $dev (trained-llama3tok; transformers' greedy text: $(python3 -c "import json;print(repr(json.load(open('$H/models/trained-llama3tok/train_log.json'))['greedy_text']))"))"
      "$J" generate --device $dev --model $H/models/trained-llama3tok --prompt "public static void main(String[] args) {" -n 24 --temperature 0 2>&1 | grep -v WARN
    done
    echo "== logits --device opencl (gqa-f32-untied) vs transformers"
    IDS=$(python3 -c "from safetensors.torch import load_file; print(','.join(map(str, load_file('$H/models/gqa-f32-untied/expected.safetensors')['ids'].tolist())))")
    "$J" logits --device opencl --model $H/models/gqa-f32-untied --ids $IDS --csv /tmp/l.csv 2>&1 | grep -v WARN
    python3 -c "
import numpy as np; from safetensors.torch import load_file
e = load_file('$H/models/gqa-f32-untied/expected.safetensors')['logits'].numpy(); g = np.loadtxt('/tmp/l.csv', delimiter=',')[:, 1:]
print('max |jmglu opencl - transformers|', float(abs(g - e).max()), 'max |logit|', float(abs(e).max()))"
  } 2>&1 | tee "$O/hf_opencl.txt"
  {
    echo "== TinyLlama-shaped random LlamaForCausalLM (bf16, sharded) made by transformers"
    python3 - <<'PY'
import torch, transformers
torch.manual_seed(0)
cfg = transformers.LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
    num_key_value_heads=4, max_position_embeddings=2048, rms_norm_eps=1e-5, tie_word_embeddings=False, rope_theta=10000.0, initializer_range=0.02)
with torch.device("cuda"):
    m = transformers.LlamaForCausalLM(cfg).to(torch.bfloat16).eval()
m.save_pretrained("/tmp/tiny", max_shard_size="1GB")
ids = torch.randint(0, 32000, (1, 16), generator=torch.Generator().manual_seed(3))
with torch.no_grad():
    m32 = transformers.LlamaForCausalLM.from_pretrained("/tmp/tiny", dtype=torch.float32).eval().cuda()
    l = m32(ids.cuda()).logits[0].float().cpu()
torch.save({"ids": ids[0], "logits": l}, "/tmp/tiny_expected.pt")
print("saved; ids", ids[0].tolist()[:8], "...")
PY
    ls -la /tmp/tiny
    IDS=$(python3 -c "import torch; print(','.join(map(str, torch.load('/tmp/tiny_expected.pt')['ids'].tolist())))")
    ( time "$J" logits --device opencl --model /tmp/tiny --ids $IDS --csv /tmp/tl.csv ) 2>&1 | grep -v WARN
    python3 -c "
import numpy as np, torch
e = torch.load('/tmp/tiny_expected.pt')['logits'].numpy(); g = np.loadtxt('/tmp/tl.csv', delimiter=',')[:, 1:]
d = abs(g - e); print('tinyllama-shaped: max |jmglu opencl - transformers|', float(d.max()), 'mean', float(d.mean()), 'max |logit|', float(abs(e).max()),
      'argmax agree', int((g.argmax(1) == e.argmax(1)).sum()), 'of', len(e))"
    "$J" bench decode --device opencl --model /tmp/tiny --batch 1,8 --prompt 128 --tokens 64 2>&1 | grep -v WARN
  } 2>&1 | tee "$O/tinyllama.txt"
  tar -czf "$O/torch_export.tgz" -C /tmp torch-export ;;
*) echo "usage: device.sh make | run"; exit 2 ;;
esac
