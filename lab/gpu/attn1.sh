#!/bin/bash
# One device call for attn_wg.cl (issue 12, B = 1 decode attention): jmglu.lab.gpu.AttnProbe per variant (checked on the
# device against the host reference at B = 8, 1, 2, then device µs a launch), then bench decode of the issue's MGLU model
# per BENCHV entry (after | main = MAIN_JAR's gpu-backend | after:JVM,OPTIONS), as attn.sh.
#   here:   (bundle, lab jar as attn.sh) BUNDLE=.devbundle-attn1 MAIN_JAR=... bash lab/gpu/attn1.sh make /work/main
#   device: VARIANTS="-Djmglu.opencl.attnwg=off;-Djmglu.opencl.attnwg=on,-Djmglu.opencl.attnkw=8" [BATCHES=1,8] [PROBE_S=80]
#           [BUDGET_S=170] [BENCHV="after main"] bash .devbundle-attn1/attn1.sh run     (a variant: JVM options, commas for spaces; "" the defaults)
set -e
D0="$(cd "$(dirname "$0")" && pwd)"
case "$1" in
make)
  bash "$D0/decode10.sh" make "$2"; cp "$0" "$2/${BUNDLE:-.devbundle-final}/attn1.sh" ;;
run)
  T0=$(date +%s); D="$D0"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"; chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  H="$D/jmglu-bundle"
  ( timeout 120 "$H/jmglu" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-mglu --force > /dev/null ) &
  IFS=";" read -ra VS <<< "${VARIANTS-}"
  for v in "${VS[@]}"; do
    [ $(( $(date +%s) - T0 )) -lt "${PROBE_S:-80}" ] || { echo "== skipped $v (budget)" | tee -a "$O/probe.txt"; continue; }
    props="${v//,/ }"
    echo "== AttnProbe $props" | tee -a "$O/probe.txt"
    timeout 40 "$H/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $props \
      -cp "$H/lib/*" jmglu.lab.gpu.AttnProbe --lens "${LENS:-576,640}" --batches "${BATCHES:-1,8}" 2>&1 | grep -v WARN | tee -a "$O/probe.txt" \
      || echo "AttnProbe failed or timed out" | tee -a "$O/probe.txt"
  done
  echo "probes done after $(( $(date +%s) - T0 )) s" | tee -a "$O/probe.txt"
  wait
  if [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$H" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  for e in ${BENCHV-after main}; do
    [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-170}" ] || { echo "== skipped bench $e (budget)" | tee -a "$O/bench.txt"; continue; }
    name="${e%%:*}"; opts=""; [ "$name" != "$e" ] && opts="${e#*:}"; opts="${opts//,/ }"; B="$H"; [ "$name" = main ] && B="$D/main/jmglu-bundle"
    echo "== $name $opts" | tee -a "$O/bench.txt"
    JMGLU_JAVA_OPTS="$opts" timeout "${BENCH_S:-45}" "$B/jmglu" bench decode --device opencl --model /tmp/m-mglu --batch 1,8 --prompt 512 --tokens 128 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
  done
  echo "done after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt" ;;
*) echo "usage: attn1.sh make <checkout> | run"; exit 2 ;;
esac
