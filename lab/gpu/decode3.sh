#!/bin/bash
# One device call for issue 12, part 3 (launches per step, device argmax, clFlush) on the H200, from a helper's worktree:
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && bash lab/gpu/decode3.sh make /work/main
#   device: bash .devbundle-gpu3/decode3.sh run        (run with carry [".devbundle-gpu3"]; results under $OUT)
# run: the OpenCL self-check (F16), then bench decode on opencl for a random SwiMGLU nm=4 and a SwiGLU model of the
# issue's size (C 2048, 8 layers, 16 heads, d 8192, fp16), --batch 1,8 --prompt 512 --tokens 128, once per variant
# (VARIANTS, space-separated name=JVM-options, options joined by commas), then the OpenCL self-check (F16); every
# command has a time limit so that what ran comes back. Outputs: decode_opencl_{mglu,swiglu}.txt, decode_opencl.csv, selfcheck.txt.
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-gpu3"
  rm -rf "$B"; mkdir -p "$B"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"
  cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  mkdir -p "$B/ocl"; cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/decode3.sh" ;;
run)
  D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  mkdir -p /tmp/icd
  LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)
  [ -z "$LIBNV" ] && LIBNV=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
  echo "$LIBNV" > /tmp/icd/nvidia.icd
  export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
  VARIANTS="${VARIANTS:-before=-Djmglu.opencl.fused=off fused=-Djmglu.opencl.flush=0 flush1=-Djmglu.opencl.flush=1}"
  for ffn in ${FFNS:-mglu swiglu}; do
    timeout 120 "$J" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn $ffn --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-$ffn --force > /dev/null
    for v in $VARIANTS; do
      name="${v%%=*}"; opts="${v#*=}"
      echo "== $ffn $name: JMGLU_JAVA_OPTS='${opts//,/ }'" | tee -a "$O/decode_opencl_$ffn.txt"
      JMGLU_JAVA_OPTS="${opts//,/ }" timeout "${BENCH_S:-90}" "$J" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens 128 \
          --csv /tmp/d.csv 2>&1 | grep -v WARN | tee -a "$O/decode_opencl_$ffn.txt" || echo "bench failed or timed out" | tee -a "$O/decode_opencl_$ffn.txt"
      sed "s/^/$name,/" /tmp/d.csv >> "$O/decode_opencl.csv"                # one CSV (the tool returns few files), the variant first
    done
  done
  if [ "${CHECK:-1}" = 1 ]; then                                              # last: what ran above comes back even if it times out
    timeout "${CHECK_S:-150}" "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" \
        jmglu.lab.gpu.OpenClSelfCheck F16 > "$O/selfcheck.txt" 2>&1 || echo "selfcheck failed: $?" >> "$O/selfcheck.txt"
    tail -4 "$O/selfcheck.txt"
  fi ;;
*) echo "usage: decode3.sh make <checkout> | run"; exit 2 ;;
esac
