#!/bin/bash
# (kept in lab/hf as final-check.sh; it was run from .devbundle/ with the bundle beside it: bash lab/hf/device.sh make, then copy this file there)
# final check of the merged main on the H200: HF parity on OpenCL (split-KV merge inside attention) and long greedy runs, opencl vs simd
D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; H=model/src/test/resources/hf/models; O="${OUT:-/tmp/out}"
tar -xzf "$D/jmglu-bundle.tgz" -C "$D"; mkdir -p /tmp/icd
ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 2>/dev/null | head -1 > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"; chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
for m in gqa-f32-untied tied-bf16-sharded-llama3rope headdim-f16-linearrope trained-llama3tok; do
  IDS=$(python3 -c "from safetensors.torch import load_file; print(','.join(map(str, load_file('$H/$m/expected.safetensors')['ids'].tolist())))")
  "$J" logits --device opencl --model $H/$m --ids $IDS --csv /tmp/l.csv 2>/dev/null
  python3 -c "
import numpy as np; from safetensors.torch import load_file
e = load_file('$H/$m/expected.safetensors')['logits'].numpy(); g = np.loadtxt('/tmp/l.csv', delimiter=',', ndmin=2)[:, 1:]
print('$m: max |jmglu opencl - transformers| %.2e over %d positions' % (abs(g - e).max(), len(e)))"
done
for dev in opencl simd; do "$J" generate --device $dev --model $H/trained-llama3tok --prompt "public static void main(String[] args) {" -n 230 --temperature 0 > /tmp/g-$dev.txt 2>/tmp/g-$dev.err; tail -1 /tmp/g-$dev.err; done
cmp /tmp/g-opencl.txt /tmp/g-simd.txt && echo "greedy text of up to 230 tokens: opencl == simd" || { echo "texts differ"; diff /tmp/g-opencl.txt /tmp/g-simd.txt | head -5; }
cp /tmp/g-opencl.txt $O/generate_opencl.txt
