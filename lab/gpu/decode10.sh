#!/bin/bash
# One device call for issue 12 at the end of a session, on the merged build: bench decode of the issue's MGLU and
# SwiGLU models (B = 1 and 8, prompt 512, 128 tokens), the device sampling check (jmglu.lab.gpu.SampleCheck), and the
# same sampled generation (prompt > 8 tokens: the prefill GEMMs; temperature 0.8, top-k 40, seed 1) on opencl and simd,
# and the persistent-step prototype (jmglu.lab.gpu.PersistentStep, 1 and 2 groups a compute unit).
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && [MAIN_JAR=gpu-backend.jar] bash lab/gpu/decode10.sh make /work/main
#   (BUNDLE=.devbundle-X names another folder, so that several makers do not share one)
#   device: [SELFCHECK=1] [OPTS_<name>="-D..." for a bench named <name>] [BATCH=1,8] [TOKENS=128] [LAUNCHCOST=1] [PROFILE="1 8" runs DecodeProfile] [PSTEPS="" skips PersistentStep] [BENCHES="mglu:after mglu:main swiglu:after"] bash .devbundle-final/decode10.sh run   (carry [".devbundle-final"]; results under $OUT)
# A bench named main runs the same bundle with MAIN_JAR as its gpu-backend jar (the code before, side by side).
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/${BUNDLE:-.devbundle-final}"
  rm -rf "$B"; mkdir -p "$B/ocl"
  cp "$R/dist/jmglu-bundle.tgz" "$B/"; cp "$(ls "$R"/lab/target/lab-*.jar | head -1)" "$B/"
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  [ -n "$MAIN_JAR" ] && cp "$MAIN_JAR" "$B/main-gpu-backend.jar"
  cp "$0" "$B/decode10.sh"; cp "$(dirname "$0")/icd.sh" "$B/" ;;
run)
  T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  left() { [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-300}" ] || { echo "== skipped: $1 (budget)" | tee -a "$O/bench.txt"; false; }; }
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  if [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$D/jmglu-bundle" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  J="$D/jmglu-bundle/jmglu"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  if [ -n "$BENCHES" ] || [ -z "${BENCHES+x}" ] || [ -n "${PROFILE-}" ]; then for ffn in mglu swiglu; do
    timeout 120 "$J" init ${INIT:---dim 2048 --layers 8 --heads 16 --hidden 8192} --ffn $ffn --nm 4 --dtype fp16 --seq-len ${SEQ:-640} --out /tmp/m-$ffn --force > /dev/null
  done; fi
  echo "models made after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt"
  for v in ${BENCHES-mglu:after mglu:main swiglu:after}; do         # BENCHES="" runs none
    ffn="${v%%:*}"; name="${v#*:}"; H="$D/jmglu-bundle"; [ "$name" = main ] && H="$D/main/jmglu-bundle"
    [ -x "$H/jmglu" ] || { echo "== $v: no such bundle" | tee -a "$O/bench.txt"; continue; }
    left "bench $v" || continue
    ov="OPTS_$name"; export JMGLU_JAVA_OPTS="${!ov:-}"          # OPTS_<name>="-D..." : JVM options of a variant
    echo "== $ffn $name $JMGLU_JAVA_OPTS" | tee -a "$O/bench.txt"
    timeout "${BENCH_S:-80}" "$H/jmglu" bench decode --device opencl --model /tmp/m-$ffn --batch ${BATCH:-1,8} --prompt 512 --tokens ${TOKENS:-128} --csv /tmp/d.csv 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$ffn-$name,/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  if [ "${SELFCHECK:-0}" = 1 ] && left OpenClSelfCheck; then  # every kernel and decoder against the host reference, on this device
    timeout "${SELFCHECK_S:-150}" "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 2>&1 | grep -v WARN > "$O/selfcheck.txt" || echo "selfcheck failed or timed out" >> "$O/selfcheck.txt"
    tail -3 "$O/selfcheck.txt"
  fi
  if [ "${LAUNCHCOST:-0}" = 1 ] && left LaunchCost; then   # the host cost of one launch (jmglu.lab.gpu.LaunchCost)
    timeout 60 "$D/jmglu-bundle/runtime/bin/java" --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.LaunchCost 4096 2>&1 \
      | grep -v WARN | tee "$O/launchcost.txt" || echo "LaunchCost failed or timed out" | tee -a "$O/launchcost.txt"
  fi
  for b in ${PROFILE-}; do                         # PROFILE="1 8": DecodeProfile of the MGLU model at those batches
    left "DecodeProfile B=$b" || continue
    echo "== DecodeProfile --batch $b" | tee -a "$O/profile.txt"
    timeout 90 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" \
      jmglu.lab.gpu.DecodeProfile /tmp/m-mglu --batch $b --prompt 512 --steps ${PSTEPS_N:-100} --warmup ${PWARM:-200} 2>&1 | grep -v WARN | tee -a "$O/profile.txt" || echo "DecodeProfile failed or timed out" | tee -a "$O/profile.txt"
  done
  if [ "${SAMPLE:-1}" = 1 ] && left SampleCheck; then
    timeout 60 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.SampleCheck 2>&1 | grep -v WARN | tee "$O/sample.txt" || echo "SampleCheck failed or timed out" | tee -a "$O/sample.txt"
  fi
  IFS=";" read -ra PS <<< "${PSTEPS---groups-per-cu 1 --check true;--groups-per-cu 2 --check false;--groups-per-cu 2 --prefetch 1 --check false}"
  for v in "${PS[@]}"; do                          # the prototype: the whole step as one launch (PersistentStep arguments)
    left "PersistentStep $v" || continue
    echo "== PersistentStep $v" | tee -a "$O/persistent.txt"
    timeout 45 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/jmglu-bundle/lib/*" \
      jmglu.lab.gpu.PersistentStep $v 2>&1 | grep -v WARN | tee -a "$O/persistent.txt" || echo "PersistentStep failed or timed out" | tee -a "$O/persistent.txt"
  done
  if [ "${GENERATE:-1}" = 1 ]; then                # the same seed: the same text, sampled on the device and on the host
    P="The weights of a transformer are read once for every token it generates, so decoding is bound by memory."
    timeout 60 "$J" init --dim 256 --layers 2 --heads 4 --hidden 1024 --ffn mglu --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-small --force > /dev/null
    for dev in opencl simd; do
      left "generate $dev" || continue
      echo "== generate --device $dev" | tee -a "$O/generate.txt"
      timeout 60 "$J" generate --device $dev --model /tmp/m-small --prompt "$P" --tokens 64 --temperature 0.8 --top-k 40 --seed 1 2>&1 \
        | grep -v WARN | tee -a "$O/generate.txt" || echo "generate failed or timed out" | tee -a "$O/generate.txt"
    done
  fi
  echo "done after $(( $(date +%s) - T0 )) s" ;;
*) echo "usage: decode10.sh make <checkout> | run"; exit 2 ;;
esac
