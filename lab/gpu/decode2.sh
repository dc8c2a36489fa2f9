#!/bin/bash
# One device call for the decode-step speed-up (issue 12) on the H200, from a helper's worktree:
#   here:   ./jmglu bundle && bash lab/gpu/decode2.sh make /work/main   (writes <checkout>/.devbundle-gpu2/: bundle + lab jar + libOpenCL)
#   device: bash .devbundle-gpu2/decode2.sh run                       (run with carry [".devbundle-gpu2"]; results under $OUT)
# run: the OpenCL self-check, then bench decode on opencl for a random SwiMGLU nm=4 and a SwiGLU model of the
# issue's size (C 2048, 8 layers, 16 heads, d 8192, fp16) at B = 1 and 8, prompt 512, 128 tokens.
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-gpu2"
  rm -rf "$B"; mkdir -p "$B"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"
  cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  mkdir -p "$B/ocl"; cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/decode2.sh" ;;
run)
  D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  mkdir -p /tmp/icd
  LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)
  [ -z "$LIBNV" ] && LIBNV=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
  echo "$LIBNV" > /tmp/icd/nvidia.icd
  export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
  "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" \
      jmglu.lab.gpu.OpenClSelfCheck F16 > "$O/selfcheck.txt" 2>&1 || echo "selfcheck failed: $?" >> "$O/selfcheck.txt"
  tail -3 "$O/selfcheck.txt"
  for ffn in mglu swiglu; do
    "$J" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn $ffn --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-$ffn --force > /dev/null
    "$J" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens 128 --csv "$O/decode_opencl_$ffn.csv" 2>&1 | grep -v WARN | tee "$O/decode_opencl_$ffn.txt"
  done ;;
*) echo "usage: decode2.sh make <checkout> | run"; exit 2 ;;
esac
