#!/bin/bash
# One device call: probe variants, the self-check, the kernel table + PyTorch side by side, a generate run.
D="$(cd "$(dirname "$0")" && pwd)"
mkdir -p /tmp/icd; echo /usr/lib/libnvidia-opencl.so.1 > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
tar xzf "$D/jmglu-bundle.tgz" -C /tmp
B=/tmp/jmglu-bundle
J=("$B/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$B/lib/*")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$OUT/nvidia_smi.txt"
[ -n "${PROBE:-}" ] && "${J[@]}" jmglu.lab.gpu.OpenClProbe $PROBE 2>&1 | grep -v WARNING | tee "$OUT/probe.txt"
[ -n "${CHECK:-}" ] && "${J[@]}" jmglu.lab.gpu.OpenClSelfCheck 2>&1 | grep -v WARNING | tail -15 | tee "$OUT/selfcheck.txt"
if [ -n "${GEN:-}" ]; then
  TORCHDIR=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
  cat "$TORCHDIR"/nn/modules/*.py > /tmp/corpus.txt
  ( "$B/jmglu" train --out /tmp/tiny --data /tmp/corpus.txt --steps 40 --batch 8 --dim 64 --layers 2 --heads 2 --hidden 128 --seq-len 64 --ffn mglu --nm 4 --quiet
    "$B/jmglu" generate --device opencl --model /tmp/tiny -n 60 --temperature 0 --prompt "def forward(self"
    "$B/jmglu" generate --device simd --model /tmp/tiny -n 60 --temperature 0 --prompt "def forward(self" ) 2>&1 | grep -v WARNING | tail -12 | tee "$OUT/generate.txt"
fi
if [ -n "${HARNESS:-}" ]; then   # the CLI: both shapes of the issue, fp16
  "$B/jmglu" bench kernel --device opencl --dtype fp16 --csv "$OUT/harness.csv" 2>&1 | grep -v WARNING | tee "$OUT/harness.txt"
fi
if [ -n "${TABLE:-}" ]; then
  "${J[@]}" jmglu.lab.gpu.OpenClBenchMain $TABLE --csv "$OUT/opencl.csv" 2>&1 | grep -v WARNING | tee "$OUT/opencl.txt"
  PYTHONUNBUFFERED=1 python3 "$D/pytorch_mglu.py" --csv "$OUT/pytorch.csv" --compare "$OUT/opencl.csv" 2>&1 | tee "$OUT/pytorch.txt"
fi
true
