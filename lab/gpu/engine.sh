#!/bin/bash
# One device call for the one-engine redesign (issue 10) and decode speed (issue 12) on the H200:
#   here:   ./jmglu bundle && bash lab/gpu/engine.sh make     (writes .devbundle/: the bundle + lab jar + libOpenCL)
#   device: bash .devbundle/engine.sh run                    (run with carry [".devbundle"]; results under $OUT)
# run: the OpenCL self-check (kernels and every Backend op against the reference), bench decode on a random
# SwiMGLU nm=4 and SwiGLU model of the issue's size (C 2048, 8 layers, 16 heads, d 8192, fp16) at B = 1 and 8,
# then a 1-step training of that size with a checkpoint and a resume (simd on the host's cores, 30 GiB heap).
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="$R/.devbundle"
  rm -rf "$B"; mkdir -p "$B"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"                                   # unpacked on the device (the carry limit is 64 MiB)
  cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  mkdir -p "$B/ocl"; cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/engine.sh" ;;
run)
  D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  mkdir -p /tmp/icd
  LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)
  [ -z "$LIBNV" ] && LIBNV=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
  echo "$LIBNV" > /tmp/icd/nvidia.icd
  export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$O/nvidia_smi.txt" 2>&1 || true
  "$J" info --device opencl > "$O/info.txt" 2>&1 || true
  "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" \
      jmglu.lab.gpu.OpenClSelfCheck F16 > "$O/selfcheck.txt" 2>&1 || echo "selfcheck failed: $?" >> "$O/selfcheck.txt"
  tail -3 "$O/selfcheck.txt"
  for ffn in mglu swiglu; do
    "$J" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn $ffn --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-$ffn --force
    "$J" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens 128 --csv "$O/decode_opencl_$ffn.csv" 2>&1 | grep -v WARN | tee "$O/decode_opencl_$ffn.txt"
  done
  "$J" bench decode --device cpu --model /tmp/m-mglu --batch 1 --prompt 8 --tokens 32 --csv "$O/decode_cpu16_mglu.csv" 2>&1 | grep -v WARN | tee "$O/decode_cpu16_mglu.txt"
  export JMGLU_JAVA_OPTS="-Xmx30g"
  T=(--data "$D/engine.sh" --dim 2048 --heads 16 --hidden 8192 --layers 8 --ffn mglu --nm 4 --batch 1 --seq-len 64 --eval-batches 1 --quiet --out /tmp/t403)
  ( time "$J" train "${T[@]}" --steps 1 --force ) > "$O/train403.txt" 2>&1 || echo "train failed: $?" >> "$O/train403.txt"
  ( time "$J" train "${T[@]}" --steps 2 --resume ) >> "$O/train403.txt" 2>&1 || echo "resume failed: $?" >> "$O/train403.txt"
  ls -la /tmp/t403 >> "$O/train403.txt"; tail -6 "$O/train403.txt" ;;
*) echo "usage: engine.sh make | run"; exit 2 ;;
esac
