#!/bin/bash
# One device call for 16-bit KV caches (issue 12, the B = 8 target): jmglu.lab.gpu.AttnProbe per PROBES entry (checked on
# the device against the host reference over the same halves, then device µs a launch at 640 keys, B = 1 and 8),
# then bench decode of the issue's MGLU model (B = 1, 8; prompt 512; TOKENS tokens) per BENCHV entry: after (F16 caches, the default)
# | after:-Djmglu.opencl.kvcache=f32 | main (MAIN_JAR's gpu-backend in the same bundle); last, SELFCHECK=1: OpenClSelfCheck's
# backend part (attentionStep over F32 and F16 caches, the decode-like sequence).
#   here:   ./jmglu bundle && mvn -B -q -o package -pl lab -am -DskipTests &&
#           BUNDLE=.devbundle-kv16 MAIN_JAR=/work/main-gpu-backend-180482d.jar bash lab/gpu/kv16.sh make /work/main
#           (the checkout the run tool sends: the lead's; .devbundle* is ignored there)
#   device: [PROBES="--kv,f32;--kv,f16"] [SELFCHECK=1] [BENCHV="after after:-Djmglu.opencl.kvcache=f32 main"] [TOKENS=256]
#           [PROBE_S=60] [BUDGET_S=140] [BENCH_S=40] bash .devbundle-kv16/kv16.sh run      (an entry: commas for spaces)
set -e
D0="$(cd "$(dirname "$0")" && pwd)"
case "$1" in
make)
  BUNDLE="${BUNDLE:-.devbundle-kv16}" bash "$D0/decode10.sh" make "$2"; cp "$0" "$2/${BUNDLE:-.devbundle-kv16}/kv16.sh" ;;
run)
  T0=$(date +%s); D="$D0"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"; chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  H="$D/jmglu-bundle"; JAVA="$H/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
  ( timeout 120 "$H/jmglu" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-mglu --force > /dev/null ) &
  IFS=";" read -ra PS <<< "${PROBES---kv,f32;--kv,f16}"
  for p in "${PS[@]}"; do
    [ $(( $(date +%s) - T0 )) -lt "${PROBE_S:-60}" ] || { echo "== skipped $p (budget)" | tee -a "$O/probe.txt"; continue; }
    echo "== AttnProbe ${p//,/ }" | tee -a "$O/probe.txt"
    timeout 40 $JAVA -cp "$H/lib/*" jmglu.lab.gpu.AttnProbe --lens "${LENS:-640}" --batches "${BATCHES:-1,8}" ${p//,/ } 2>&1 | grep -v WARN | tee -a "$O/probe.txt" \
      || echo "AttnProbe failed or timed out" | tee -a "$O/probe.txt"
  done
  echo "probes done after $(( $(date +%s) - T0 )) s" | tee -a "$O/probe.txt"
  wait
  if [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$H" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  for e in ${BENCHV-after after:-Djmglu.opencl.kvcache=f32 main}; do
    [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-140}" ] || { echo "== skipped bench $e (budget)" | tee -a "$O/bench.txt"; continue; }
    name="${e%%:*}"; opts=""; [ "$name" != "$e" ] && opts="${e#*:}"; opts="${opts//,/ }"; B="$H"; [ "$name" = main ] && B="$D/main/jmglu-bundle"
    echo "== $name $opts" | tee -a "$O/bench.txt"
    JMGLU_JAVA_OPTS="$opts" timeout "${BENCH_S:-40}" "$B/jmglu" bench decode --device opencl --model /tmp/m-mglu --batch 1,8 --prompt 512 --tokens "${TOKENS:-256}" 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
  done
  if [ "${SELFCHECK:-0}" = 1 ]; then                # last: the backend part of OpenClSelfCheck, in what time is left
    timeout "${SELFCHECK_S:-30}" $JAVA -cp "$H/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 backend 2>&1 | grep -v WARN > "$O/selfcheck.txt" \
      || echo "selfcheck failed or timed out" >> "$O/selfcheck.txt"
    tail -3 "$O/selfcheck.txt"
  fi
  echo "done after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt" ;;
*) echo "usage: kv16.sh make <checkout> | run"; exit 2 ;;
esac
