#!/bin/bash
# One device call for the decode attention kernel (issue 12): jmglu.lab.gpu.AttnProbe per variant (the kernel alone,
# checked against the host reference on the device, then timed from profiling events), then bench decode through
# decode10.sh (BENCHES, e.g. "mglu:after mglu:main"; 'main' = MAIN_JAR's gpu-backend, the code before).
#   here:   ./jmglu bundle && mvn -B -q -o package -pl lab -am -DskipTests && BUNDLE=.devbundle-attn MAIN_JAR=... bash lab/gpu/attn.sh make /work/main
#   device: [VARIANTS="old;warp:32:4;..."] [PROBE_S=80] BUDGET_S=.. BENCHES=".." bash .devbundle-attn/attn.sh run   (carry [".devbundle-attn"])
# A variant is old (rope_attn, attention.cl) or warp:KEYS:WPG (attn_warp.cl, keys a split, warps a work-group).
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
    IFS=":" read -r kern keys wpg <<< "$v"
    props="-Djmglu.opencl.attnkernel=$kern"; [ -n "$keys" ] && props="$props -Djmglu.opencl.attnkeys=$keys -Djmglu.opencl.attnwpg=$wpg"
    echo "== AttnProbe $props" | tee -a "$O/probe.txt"
    timeout 40 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $props \
      -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.AttnProbe --lens "${LENS:-576,640}" 2>&1 | grep -v WARN | tee -a "$O/probe.txt" \
      || echo "AttnProbe failed or timed out" | tee -a "$O/probe.txt"
  done
  echo "probes done after $(( $(date +%s) - T0 )) s" | tee -a "$O/probe.txt"
  rm -rf "$D/jmglu-bundle"                                   # decode10.sh unpacks its own
  SAMPLE=0 GENERATE=0 PSTEPS="" bash "$D/decode10.sh" run ;;
*) echo "usage: attn.sh make <checkout> | run"; exit 2 ;;
esac
