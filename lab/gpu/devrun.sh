#!/bin/bash
# Device run for the jmglu GPU helper: unpack the bundle, point the ICD loader at NVIDIA's OpenCL,
# run the OpenCL kernel table (and optional extra java mains), then the PyTorch baselines.
# usage: bash .devbundle/devrun.sh [tune]   (OUT must be set)
D="$(cd "$(dirname "$0")" && pwd)"
mkdir -p /tmp/icd
LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/local/nvidia/lib/libnvidia-opencl.so.1 2>/dev/null | head -1)
[ -z "$LIBNV" ] && LIBNV=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
echo "nvidia opencl: $LIBNV"
echo "$LIBNV" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd
export LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
tar xzf "$D/jmglu-bundle.tgz" -C /tmp
B=/tmp/jmglu-bundle
J=("$B/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$B/lib/*")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.total --format=csv | tee "$OUT/nvidia_smi.txt"
for m in ${EXTRA_MAINS:-}; do "${J[@]}" ${m%%:*} $( [ "$m" != "${m#*:}" ] && echo "${m#*:}" | tr ',' ' ') 2>&1 | tee -a "$OUT/extra.txt"; done
if [ -n "${HARNESS:-}" ]; then   # the CLI path: jmglu bench kernel --device opencl
  "$B/jmglu" bench kernel --device opencl --h 4096 --d 14336 --masks 1,4 --batch 1,8 --dtype fp16 --csv "$OUT/harness.csv" 2>&1 | tee "$OUT/harness.txt"
fi
if [ -n "${GEN:-}" ]; then   # a tiny model trained here, then greedy generation on opencl and simd
  TORCHDIR=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
  cat "$TORCHDIR"/nn/modules/*.py > /tmp/corpus.txt
  ( set -x
    "$B/jmglu" train --out /tmp/tiny --data /tmp/corpus.txt --steps 40 --batch 8 --dim 64 --layers 2 --heads 2 --hidden 128 --seq-len 64 --ffn mglu --nm 4 --quiet
    "$B/jmglu" generate --device opencl --model /tmp/tiny -n 60 --temperature 0 --prompt "def forward(self"
    "$B/jmglu" generate --device simd --model /tmp/tiny -n 60 --temperature 0 --prompt "def forward(self" ) 2>&1 | tee "$OUT/generate.txt"
fi
"${J[@]}" jmglu.lab.gpu.OpenClBenchMain ${BENCH_ARGS:---tune} --csv "$OUT/opencl.csv" 2>&1 | tee "$OUT/opencl.txt"
PYTHONUNBUFFERED=1 python3 "$D/pytorch_mglu.py" --csv "$OUT/pytorch.csv" --compare "$OUT/opencl.csv" 2>&1 | tee "$OUT/pytorch.txt"
