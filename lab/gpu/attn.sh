#!/bin/bash
# One device call for the decode attention kernel (issue 12): jmglu.lab.gpu.AttnProbe per variant (the kernel alone,
# checked against the host reference on the device, then timed from profiling events), then
# the bench decode of the issue's MGLU model per BENCHV entry (after | main = MAIN_JAR's gpu-backend, the code before |
# after:JVM,OPTIONS), several of each in one call: B = 1 varies by ±20% between runs.
#   here:   ./jmglu bundle && mvn -B -q -o package -pl lab -am -DskipTests && BUNDLE=.devbundle-attn MAIN_JAR=... bash lab/gpu/attn.sh make /work/main
#   device: [VARIANTS="old;warp:32:4;..."] [PROBE_S=80] [BUDGET_S=200] [BENCHV="after main after:-Djmglu.opencl.attnkeys=64"] bash .devbundle-attn/attn.sh run
#   (carry [".devbundle-attn"])
# A variant is old (rope_attn, attention.cl) or warp:KEYS:WPG[:SHV] (attn_warp.cl, keys a split, warps a work-group,
# shuffles asm volatile true|false).
set -e
D0="$(cd "$(dirname "$0")" && pwd)"
case "$1" in
make)
  bash "$D0/decode10.sh" make "$2"; cp "$0" "$2/${BUNDLE:-.devbundle-final}/attn.sh" ;;
run)
  T0=$(date +%s); D="$D0"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"; chmod +x "$D"/jmglu-bundle/runtime/bin/*
  IFS=";" read -ra VS <<< "${VARIANTS-old;warp:32:4;warp:64:4;warp:32:1;warp:32:8}"
  for v in "${VS[@]}"; do
    [ $(( $(date +%s) - T0 )) -lt "${PROBE_S:-80}" ] || { echo "== skipped $v (budget)" | tee -a "$O/probe.txt"; continue; }
    IFS=":" read -r kern keys wpg shv <<< "$v"
    props="-Djmglu.opencl.attnkernel=$kern"; [ -n "$keys" ] && props="$props -Djmglu.opencl.attnkeys=$keys -Djmglu.opencl.attnwpg=$wpg"
    [ -n "$shv" ] && props="$props -Djmglu.opencl.attnshv=$shv"
    echo "== AttnProbe $props" | tee -a "$O/probe.txt"
    timeout 40 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $props \
      -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.AttnProbe --lens "${LENS:-576,640}" 2>&1 | grep -v WARN | tee -a "$O/probe.txt" \
      || echo "AttnProbe failed or timed out" | tee -a "$O/probe.txt"
  done
  echo "probes done after $(( $(date +%s) - T0 )) s" | tee -a "$O/probe.txt"
  # bench decode of the issue's MGLU model (B = 1 and 8, prompt 512, 128 tokens) per entry of BENCHV: after | main
  # (MAIN_JAR's gpu-backend: the code before) | after:JVM-OPTIONS (commas for spaces); entries may repeat (B = 1 is noisy)
  H="$D/jmglu-bundle"
  if [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$H" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  timeout 120 "$H/jmglu" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-mglu --force > /dev/null
  for e in ${BENCHV-after main}; do
    [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-200}" ] || { echo "== skipped bench $e (budget)" | tee -a "$O/bench.txt"; continue; }
    name="${e%%:*}"; opts=""; [ "$name" != "$e" ] && opts="${e#*:}"; opts="${opts//,/ }"; B="$H"; [ "$name" = main ] && B="$D/main/jmglu-bundle"
    echo "== $name $opts" | tee -a "$O/bench.txt"
    JMGLU_JAVA_OPTS="$opts" timeout "${BENCH_S:-60}" "$B/jmglu" bench decode --device opencl --model /tmp/m-mglu --batch 1,8 --prompt 512 --tokens 128 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
  done
  echo "done after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt" ;;
*) echo "usage: attn.sh make <checkout> | run"; exit 2 ;;
esac
