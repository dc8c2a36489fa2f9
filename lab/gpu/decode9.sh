#!/bin/bash
# One device call for issue 12 (decode-run9: deferred norms, the merge's online softmax) on the H200; decode6.sh with
# its own bundle folder and the self-check first (so that a budget cut never drops it):
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && MAIN_JAR=... bash lab/gpu/decode9.sh make /work/main
#   device: bash .devbundle-step/decode9.sh run        (run with carry [".devbundle-step"]; results under $OUT)
# run: makes the issue's models (jmglu init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu|swiglu --nm 4
# --dtype fp16 --seq-len 640; ffn tiny: a TinyLlama-shaped bf16 SwiGLU, see below), then jmglu.lab.gpu.DecodeProfile (prompt 512, B=1 unless the variant says) once per
# PROFILES entry, then `bench decode --device opencl --model M --batch 1,8 --prompt 512 --tokens 128` once per BENCHES
# entry; entries are ffn:name=JVM-options (options joined by commas, "-" for none). Stops starting new commands after
# BUDGET_S seconds so that what ran comes back; EXTRAS: more profile entries, run after the benches (the first to be cut). With MAIN_JAR (a gpu-backend jar) at make, names
# main* run the bundle with that jar instead (the code before). CHECK=1: first, OpenClSelfCheck F16; CHECKS: entries
# name=JVM-options, each the backend part of the self-check under those options.
# Outputs: profile.txt, bench_{mglu,swiglu,tiny}.txt, bench.csv, selfcheck.txt.
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-step"
  rm -rf "$B"; mkdir -p "$B"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"
  cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  mkdir -p "$B/ocl"; cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  [ -n "$MAIN_JAR" ] && cp "$MAIN_JAR" "$B/main-gpu-backend.jar"    # optional: the gpu-backend jar of the code before, for names main*
  cp "$0" "$B/decode9.sh"; cp "$(dirname "$0")/icd.sh" "$B/" ;;
run)
  T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; J="$D/jmglu-bundle/jmglu"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  left() { [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-330}" ]; }
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  if [ -f "$D/main-gpu-backend.jar" ]; then          # the same bundle with the gpu-backend jar before
    mkdir -p "$D/main" && cp -r "$D/jmglu-bundle" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  chmod +x "$D"/main/jmglu-bundle/runtime/bin/* "$D"/main/jmglu-bundle/jmglu 2>/dev/null || true
  home() { case "$1" in main*) echo "$D/main/jmglu-bundle" ;; *) echo "$D/jmglu-bundle" ;; esac; }   # names main*: the bundle before
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$J"
  if [ "${CHECK:-0}" = 1 ]; then                   # first: the OpenCL self-check (F16) against the references on this device
    timeout "${CHECK_S:-150}" "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 > "$O/selfcheck.txt" 2>&1 || echo "selfcheck failed or timed out: $?" >> "$O/selfcheck.txt"
    tail -3 "$O/selfcheck.txt"
  fi
  for v in ${CHECKS:-}; do                         # name=JVM-options: the backend part of the self-check (OpenClSelfCheck F16 backend)
    name="${v%%=*}"; opts="${v#*=}"; [ "$opts" = - ] && opts=""
    echo "== check $name: ${opts//,/ }" >> "$O/selfcheck.txt"
    timeout "${CHECK_S:-150}" "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${opts//,/ } \
        -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 backend 2>&1 | grep -v -e WARN -e 'warning generated' >> "$O/selfcheck.txt" \
        || echo "check $name failed or timed out" >> "$O/selfcheck.txt"
    tail -1 "$O/selfcheck.txt"
  done
  for ffn in mglu swiglu; do
    timeout 120 "$J" init ${INIT:---dim 2048 --layers 8 --heads 16 --hidden 8192} --ffn $ffn --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-$ffn --force > /dev/null
  done
  if [[ "$PROFILES $BENCHES" == *tiny:* ]]; then     # TinyLlama-shaped (vocab 256, not 32000): C 2048, 22 layers, 32 heads, 4 kv heads, d 5632, bf16
    timeout 120 "$J" init ${INIT:---dim 2048 --layers 22 --heads 32 --kv-heads 4 --hidden 5632} --ffn swiglu --dtype bf16 --seq-len 640 --out /tmp/m-tiny --force > /dev/null
  fi
  echo "models made after $(( $(date +%s) - T0 )) s" | tee -a "$O/profile.txt"
  for v in ${PROFILES:-mglu:after=-}; do
    left || { echo "== skipped $v (budget)" >> "$O/profile.txt"; continue; }
    ffn="${v%%:*}"; rest="${v#*:}"; name="${rest%%=*}"; opts="${rest#*=}"; [ "$opts" = - ] && opts=""
    echo "== profile $ffn $name: ${opts//,/ }" | tee -a "$O/profile.txt"
    H=$(home "$name")
    timeout "${PROFILE_S:-60}" "$H/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${opts//,/ } \
        -cp "$H/lib/*" jmglu.lab.gpu.DecodeProfile /tmp/m-$ffn ${PROFILE_ARGS:-} 2>&1 | grep -v -e WARN -e 'warning generated' | tee -a "$O/profile.txt" \
        || echo "profile failed or timed out" | tee -a "$O/profile.txt"
  done
  for v in ${BENCHES:-mglu:after=-}; do
    left || { echo "== skipped $v (budget)" >> "$O/bench_${v%%:*}.txt"; continue; }
    ffn="${v%%:*}"; rest="${v#*:}"; name="${rest%%=*}"; opts="${rest#*=}"; [ "$opts" = - ] && opts=""
    echo "== $ffn $name: JMGLU_JAVA_OPTS='${opts//,/ }'" | tee -a "$O/bench_$ffn.txt"
    JMGLU_JAVA_OPTS="${opts//,/ }" timeout "${BENCH_S:-80}" "$(home "$name")/jmglu" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens 128 \
        --csv /tmp/d.csv 2>&1 | grep -v WARN | tee -a "$O/bench_$ffn.txt" || echo "bench failed or timed out" | tee -a "$O/bench_$ffn.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$ffn-$name,/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  for v in ${EXTRAS:-}; do
    left || { echo "== skipped $v (budget)" >> "$O/profile.txt"; continue; }
    ffn="${v%%:*}"; rest="${v#*:}"; name="${rest%%=*}"; opts="${rest#*=}"; [ "$opts" = - ] && opts=""
    echo "== profile $ffn $name: ${opts//,/ }" | tee -a "$O/profile.txt"
    H=$(home "$name")
    timeout "${PROFILE_S:-60}" "$H/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${opts//,/ } \
        -cp "$H/lib/*" jmglu.lab.gpu.DecodeProfile /tmp/m-$ffn ${PROFILE_ARGS:-} 2>&1 | grep -v -e WARN -e 'warning generated' | tee -a "$O/profile.txt" \
        || echo "profile failed or timed out" | tee -a "$O/profile.txt"
  done
  echo "done after $(( $(date +%s) - T0 )) s" ;;
*) echo "usage: decode9.sh make <checkout> | run"; exit 2 ;;
esac
