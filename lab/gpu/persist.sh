#!/bin/bash
# One device call: jmglu.lab.gpu.PersistentProbe (what a persistent decode kernel would save, issue 12) on the H200.
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && bash lab/gpu/persist.sh make /work/main
#   device: RUNS="--layers 8|sep chain:2;--shape up|sep chain2:2" bash .devbundle-persist/persist.sh run
#           (carry [".devbundle-persist"]; results under $OUT/persist.txt)
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-persist"
  rm -rf "$B"; mkdir -p "$B/ocl"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"; cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/persist.sh"; cp "$(dirname "$0")/icd.sh" "$B/" ;;
run)
  D="$(cd "$(dirname "$0")" && pwd)"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/*
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$O/persist.txt"
  IFS=';' read -ra RUNS <<< "${RUNS:---layers 8}"      # RUNS="args;args;...", each entry "probe args|variants" (variants optional)
  for run in "${RUNS[@]}"; do
    args="${run%%|*}"; v="${VARIANTS:-sep sepG:1 chain:1 chain:1:1 bar:1}"; [[ "$run" == *"|"* ]] && v="${run#*|}"
    echo "== $args | $v" | tee -a "$O/persist.txt"
    timeout "${PROBE_S:-150}" "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.PersistentProbe $args $v 2>&1 \
      | grep -v -e WARN -e 'warning generated' | tee -a "$O/persist.txt" || echo "probe failed or timed out" | tee -a "$O/persist.txt"
  done ;;
*) echo "usage: persist.sh make <checkout> | run"; exit 2 ;;
esac
