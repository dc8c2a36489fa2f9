#!/bin/bash
# One device call of variants (issue 12, eighth session): jmglu.lab.gpu.AttnProbe per ATTN variant, jmglu.lab.gpu.TcGemvProbe
# per GEMV variant (JVM options), then jmglu.lab.gpu.DecodeProfile (gated device µs a step, µs per kernel) of the issue's
# MGLU model per PROF entry "B:options", then bench decode per BENCHV entry (after | main, options after a colon).
# MAINS="class,arg,…;…" runs lab mains first (ninth session: jmglu.lab.gpu.L2AheadProbe).
# Options: JVM options, commas for spaces; "" the defaults.
#   here:   ./jmglu bundle && mvn -B -q -o package -pl lab -am -DskipTests && BUNDLE=.devbundle-s8 MAIN_JAR=… bash lab/gpu/s8.sh make /work/main
#   device: ATTN="…;…" GEMV="…;…" PROF="1:;8:;8:-Djmglu.opencl.rot=true" BENCHV="after main" bash .devbundle-s8/s8.sh run
set -e
D0="$(cd "$(dirname "$0")" && pwd)"
case "$1" in
make)
  BUNDLE="${BUNDLE:-.devbundle-s8}" bash "$D0/decode10.sh" make "$2"; cp "$0" "$2/${BUNDLE:-.devbundle-s8}/s8.sh" ;;
run)
  T0=$(date +%s); D="$D0"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  left() { [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-400}" ] || { echo "== skipped: $1 (budget)" | tee -a "$O/log.txt"; false; }; }
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"; chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  H="$D/jmglu-bundle"; JAVA="$H/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/log.txt"
  ( timeout 120 "$H/jmglu" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-mglu --force > /dev/null ) &
  IFS=";" read -ra MS <<< "${MAINS-}"
  for m in "${MS[@]}"; do
    left "$m" || continue
    echo "== ${m//,/ }" | tee -a "$O/mains.txt"
    timeout "${MAIN_S:-90}" $JAVA -cp "$H/lib/*" ${m//,/ } 2>&1 | grep -v WARN | tee -a "$O/mains.txt" || echo "$m failed or timed out" | tee -a "$O/mains.txt"
  done
  IFS=";" read -ra VS <<< "${ATTN-}"
  for v in "${VS[@]}"; do
    left "AttnProbe $v" || continue
    echo "== AttnProbe ${v//,/ }" | tee -a "$O/attn.txt"
    timeout 40 $JAVA ${v//,/ } -cp "$H/lib/*" jmglu.lab.gpu.AttnProbe --lens "${LENS:-640}" --batches "${BATCHES:-1,8}" 2>&1 | grep -v WARN | tee -a "$O/attn.txt" \
      || echo "AttnProbe failed or timed out" | tee -a "$O/attn.txt"
  done
  IFS=";" read -ra GS <<< "${GEMV-}"
  for v in "${GS[@]}"; do
    left "TcGemvProbe $v" || continue
    echo "== TcGemvProbe ${v//,/ }" | tee -a "$O/gemv.txt"
    timeout 60 $JAVA ${v//,/ } -cp "$H/lib/*" jmglu.lab.gpu.TcGemvProbe --batches "${GEMV_B:-1,8}" ${GEMV_V:-tc b1} 2>&1 | grep -v WARN | tee -a "$O/gemv.txt" \
      || echo "TcGemvProbe failed or timed out" | tee -a "$O/gemv.txt"
  done
  wait
  IFS=";" read -ra PS <<< "${PROF-}"
  for e in "${PS[@]}"; do
    left "DecodeProfile $e" || continue
    b="${e%%:*}"; opts="${e#*:}"; opts="${opts//,/ }"
    echo "== DecodeProfile --batch $b $opts" | tee -a "$O/profile.txt"
    timeout 60 $JAVA $opts -cp "$H/lib/*" jmglu.lab.gpu.DecodeProfile /tmp/m-mglu --batch $b --prompt 512 --steps ${PSTEPS_N:-16} --warmup ${PWARM:-16} 2>&1 \
      | grep -v WARN | tee -a "$O/profile.txt" || echo "DecodeProfile failed or timed out" | tee -a "$O/profile.txt"
  done
  if [ -n "${BENCHV-}" ] && [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$H" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  for e in ${BENCHV-}; do
    left "bench $e" || continue
    name="${e%%:*}"; opts=""; [ "$name" != "$e" ] && opts="${e#*:}"; opts="${opts//,/ }"; B="$H"; [ "$name" = main ] && B="$D/main/jmglu-bundle"
    echo "== $name $opts" | tee -a "$O/bench.txt"
    JMGLU_JAVA_OPTS="$opts" timeout "${BENCH_S:-45}" "$B/jmglu" bench decode --device opencl --model /tmp/m-mglu --batch 1,8 --prompt 512 --tokens ${TOKENS:-128} --csv /tmp/d.csv 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$name-${opts// /+},/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  if [ "${SELFCHECK:-0}" = 1 ] && left OpenClSelfCheck; then
    ( set -o pipefail; timeout "${SELFCHECK_S:-240}" $JAVA ${SELFCHECK_OPTS//,/ } -cp "$H/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 2>&1 | grep -v WARN > "$O/selfcheck.txt" ) \
      || echo "selfcheck failed or timed out (exit $?)" >> "$O/selfcheck.txt"
    tail -3 "$O/selfcheck.txt"
  fi
  echo "done after $(( $(date +%s) - T0 )) s" | tee -a "$O/log.txt" ;;
*) echo "usage: s8.sh make <checkout> | run"; exit 2 ;;
esac
