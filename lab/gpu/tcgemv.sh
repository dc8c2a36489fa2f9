#!/bin/bash
# Device call for the tensor-core GEMV of decode batches (gemv_tc.cl, issue 12): jmglu.lab.gpu.TcGemvProbe (µs per decode
# GEMV, row kernel against gemv_tc shapes), then bench decode of the issue's models (C 2048, 8 layers, 16 heads, hidden 8192,
# nm 4, fp16, prompt 512, 128 tokens, B = 1 and 8) for each entry of BENCHES, "ffn:bundle[:k=v,k=v]": bundle after (this
# branch) or main (MAIN_JAR as the gpu-backend jar: the code before, in the same call), k=v pairs as -Djmglu.opencl.k=v.
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && BUNDLE=.devbundle-tcgemv MAIN_JAR=… bash lab/gpu/tcgemv.sh make /work/main
#   device: [TOKENS=128] [SEQ=640 (≥ 512 + TOKENS)] [PROBE="row tc tc:32:2:4"] [BENCHES="mglu:after mglu:main mglu:after:tcgemvmin=1"] [PROFILES="8 1:tcgemvmin=1"] bash .devbundle-tcgemv/tcgemv.sh run
# PROFILES: jmglu.lab.gpu.DecodeProfile (µs per kernel of a decode step) of the MGLU model for each "B[:k=v,k=v]" (needs an mglu bench).
set -e
case "$1" in
make)
  BUNDLE="${BUNDLE:-.devbundle-tcgemv}" bash "$(dirname "$0")/decode10.sh" make "$2"
  cp "$0" "$2/${BUNDLE:-.devbundle-tcgemv}/tcgemv.sh" ;;
run)
  T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  left() { [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-200}" ] || { echo "== skipped: $1 (budget)" | tee -a "$O/bench.txt"; false; }; }
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  if [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$D/jmglu-bundle" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  if [ -n "${PROBE-row tc}" ]; then
    timeout "${PROBE_S:-60}" "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.TcGemvProbe --batches "${PROBE_B:-1,2,4,8}" ${PROBE-row tc} 2>&1 | grep -v WARN | tee "$O/probe.txt" || echo "probe failed or timed out" | tee -a "$O/probe.txt"
  fi
  BENCHES="${BENCHES-mglu:after mglu:main}"
  for ffn in $(for v in $BENCHES; do echo "${v%%:*}"; done | sort -u); do
    timeout 120 "$D/jmglu-bundle/jmglu" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn $ffn --nm 4 --dtype fp16 --seq-len ${SEQ:-640} --out /tmp/m-$ffn --force > /dev/null
  done
  echo "models made after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt"
  for v in $BENCHES; do
    IFS=: read -r ffn name opts <<< "$v"; H="$D/jmglu-bundle"; [ "$name" = main ] && H="$D/main/jmglu-bundle"
    [ -x "$H/jmglu" ] || { echo "== $v: no such bundle" | tee -a "$O/bench.txt"; continue; }
    left "bench $v" || continue
    J=""; for kv in ${opts//,/ }; do J="$J -Djmglu.opencl.$kv"; done
    echo "== $ffn $name $J" | tee -a "$O/bench.txt"
    JMGLU_JAVA_OPTS="$J" timeout "${BENCH_S:-75}" "$H/jmglu" bench decode --device opencl --model /tmp/m-$ffn --batch 1,8 --prompt 512 --tokens ${TOKENS:-128} --csv /tmp/d.csv 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$ffn-$name-${opts//,/+},/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  for v in ${PROFILES-}; do                        # "B[:k=v,k=v]": jmglu.lab.gpu.DecodeProfile of the MGLU model, per kernel
    left "profile $v" || continue
    IFS=: read -r b opts <<< "$v"; J=""; for kv in ${opts//,/ }; do J="$J -Djmglu.opencl.$kv"; done
    echo "== DecodeProfile B=$b $J" | tee -a "$O/profile.txt"
    timeout 60 "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $J -cp "$D/jmglu-bundle/lib/*" \
      jmglu.lab.gpu.DecodeProfile /tmp/m-mglu --batch "$b" --steps 8 --warmup 8 2>&1 | grep -v WARN | tee -a "$O/profile.txt" || echo "profile failed or timed out" | tee -a "$O/profile.txt"
  done
  echo "done after $(( $(date +%s) - T0 )) s" ;;
*) echo "usage: tcgemv.sh make <checkout> | run"; exit 2 ;;
esac
