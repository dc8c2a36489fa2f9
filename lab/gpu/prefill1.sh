#!/bin/bash
# One device call for issue 12, prefill as tensor-core GEMMs (gemm_tc.cl, ClGemm) on the H200:
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests
#           MAIN_JAR=<main's gpu-backend jar> bash lab/gpu/prefill1.sh make /work/main
#   device: bash .devbundle-prefill/prefill1.sh run        (run with carry [".devbundle-prefill"]; results under $OUT)
# run: makes the issue's models (jmglu init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu|swiglu --nm 4
# --dtype fp16 --seq-len 640), then
#   gemmcheck.txt  jmglu.lab.gpu.GemmCheck $GEMM_VARIANTS: the GEMMs against the reference (small sizes) and against the
#                  row kernels (B = 512, model sizes), then ms and TFLOP/s per op for the default tiles, each variant, the row kernels;
#   bench_{mglu,swiglu}.txt, bench.csv: `bench decode --device opencl --model M --batch 1,8 --prompt 512 --tokens 64` per
#                  BENCHES entry ffn:name=JVM-options ("-" for none); names main* run the bundle with MAIN_JAR (the code before);
#   profile.txt    jmglu.lab.gpu.PrefillProfile (the 512-token prefill per kernel) on each model;
#   selfcheck.txt  CHECK=1: jmglu.lab.gpu.OpenClSelfCheck F16 (last).
# Stops starting new commands after BUDGET_S seconds so that what ran comes back.
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-prefill"
  rm -rf "$B"; mkdir -p "$B"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"
  cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  mkdir -p "$B/ocl"; cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  [ -n "$MAIN_JAR" ] && cp "$MAIN_JAR" "$B/main-gpu-backend.jar"
  cp "$0" "$B/prefill1.sh"; cp "$(dirname "$0")/icd.sh" "$B/" ;;
run)
  T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  left() { [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-370}" ]; }
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  if [ -f "$D/main-gpu-backend.jar" ]; then
    mkdir -p "$D/main" && cp -r "$D/jmglu-bundle" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  chmod +x "$D"/main/jmglu-bundle/runtime/bin/* "$D"/main/jmglu-bundle/jmglu 2>/dev/null || true
  home() { case "$1" in main*) echo "$D/main/jmglu-bundle" ;; *) echo "$D/jmglu-bundle" ;; esac; }
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
  JAVA=("$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*")
  for ffn in mglu swiglu; do
    timeout 120 "$J" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn $ffn --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-$ffn --force > /dev/null
  done
  echo "models made after $(( $(date +%s) - T0 )) s"
  timeout "${GEMM_S:-100}" "${JAVA[@]}" jmglu.lab.gpu.GemmCheck ${GEMM_VARIANTS:-} > "$O/gemmcheck.txt" 2>&1 \
      || echo "gemmcheck failed or timed out" >> "$O/gemmcheck.txt"
  cat "$O/gemmcheck.txt"
  for v in ${BENCHES:-mglu:after=-}; do
    left || { echo "== skipped $v (budget)" >> "$O/bench_${v%%:*}.txt"; continue; }
    ffn="${v%%:*}"; rest="${v#*:}"; name="${rest%%=*}"; opts="${rest#*=}"; [ "$opts" = - ] && opts=""
    echo "== $ffn $name: JMGLU_JAVA_OPTS='${opts//,/ }'" | tee -a "$O/bench_$ffn.txt"
    JMGLU_JAVA_OPTS="${opts//,/ }" timeout "${BENCH_S:-70}" "$(home "$name")/jmglu" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens 64 \
        --csv /tmp/d.csv 2>&1 | grep -v WARN | tee -a "$O/bench_$ffn.txt" || echo "bench failed or timed out" | tee -a "$O/bench_$ffn.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$ffn-$name,/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  for ffn in ${PROFILES:-mglu}; do
    left || { echo "== skipped profile $ffn (budget)" >> "$O/profile.txt"; continue; }
    echo "== prefill profile $ffn" >> "$O/profile.txt"
    timeout "${PROFILE_S:-40}" "${JAVA[@]}" jmglu.lab.gpu.PrefillProfile /tmp/m-$ffn 2>&1 | grep -v -e WARN -e 'warning generated' >> "$O/profile.txt" \
        || echo "profile failed or timed out" >> "$O/profile.txt"
  done
  cat "$O/profile.txt"
  if [ "${CHECK:-0}" = 1 ] && left; then
    timeout "${CHECK_S:-100}" "${JAVA[@]}" jmglu.lab.gpu.OpenClSelfCheck F16 > "$O/selfcheck.txt" 2>&1 || echo "selfcheck failed or timed out: $?" >> "$O/selfcheck.txt"
    tail -3 "$O/selfcheck.txt"
  fi
  echo "done after $(( $(date +%s) - T0 )) s" ;;
*) echo "usage: prefill1.sh make <checkout> | run"; exit 2 ;;
esac
