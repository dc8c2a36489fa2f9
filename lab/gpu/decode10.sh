#!/bin/bash
# One device call for issue 12 at the end of a session, on the merged build: bench decode of the issue's MGLU and
# SwiGLU models (B = 1 and 8, prompt 512, 128 tokens), the device sampling check (jmglu.lab.gpu.SampleCheck), and the
# same sampled generation (prompt > 8 tokens: the prefill GEMMs; temperature 0.8, top-k 40, seed 1) on opencl and simd,
# and the persistent-step prototype (jmglu.lab.gpu.PersistentStep, 1 and 2 groups a compute unit).
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && bash lab/gpu/decode10.sh make /work/main
#   device: bash .devbundle-final/decode10.sh run      (carry [".devbundle-final"]; results under $OUT)
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-final"
  rm -rf "$B"; mkdir -p "$B/ocl"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"; cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/decode10.sh"; cp "$(dirname "$0")/icd.sh" "$B/" ;;
run)
  T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  J="$D/jmglu-bundle/jmglu"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  for ffn in mglu swiglu; do
    timeout 120 "$J" init ${INIT:---dim 2048 --layers 8 --heads 16 --hidden 8192} --ffn $ffn --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-$ffn --force > /dev/null
  done
  echo "models made after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt"
  for ffn in mglu swiglu; do
    echo "== $ffn" | tee -a "$O/bench.txt"
    timeout "${BENCH_S:-80}" "$J" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens 128 --csv /tmp/d.csv 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$ffn,/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  timeout 60 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.SampleCheck 2>&1 | grep -v WARN | tee "$O/sample.txt" || echo "SampleCheck failed or timed out" | tee -a "$O/sample.txt"
  for v in "1 0 true" "2 0 false" "2 1 false"; do    # the prototype: the whole step as one launch (groups a CU, L2 prefetch, check)
    set -- $v
    echo "== PersistentStep --groups-per-cu $1 --prefetch $2 --check $3" | tee -a "$O/persistent.txt"
    timeout 45 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" \
      jmglu.lab.gpu.PersistentStep --groups-per-cu $1 --prefetch $2 --check $3 2>&1 | grep -v WARN | tee -a "$O/persistent.txt" \
      || echo "PersistentStep failed or timed out" | tee -a "$O/persistent.txt"
  done
  P="The weights of a transformer are read once for every token it generates, so decoding is bound by memory."
  for dev in opencl simd; do
    echo "== generate --device $dev" | tee -a "$O/generate.txt"
    timeout 60 "$J" generate --device $dev --model /tmp/m-mglu --prompt "$P" --tokens 48 --temperature 0.8 --top-k 40 --seed 1 2>&1 \
      | grep -v WARN | tee -a "$O/generate.txt" || echo "generate failed or timed out" | tee -a "$O/generate.txt"
  done
  echo "done after $(( $(date +%s) - T0 )) s" ;;
*) echo "usage: decode10.sh make <checkout> | run"; exit 2 ;;
esac
