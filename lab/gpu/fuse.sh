#!/bin/bash
# One device call for the fused lm head argmax and the embedding gathered by the first qkv GEMV (lab/gpu/fuse-run): decode10.sh's
# bundle, its steps reordered so that the ones that matter fit a short budget: the device check of the two fusions
# (OpenClSelfCheck F16 BF16 fuse), DecodeProfile of the MGLU model at B = 1 on this build and on main (launches a step,
# gated device µs a step), then `jmglu bench decode` alternating after / main, then SampleCheck, while BUDGET_S lasts.
#   here:   ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && BUNDLE=.devbundle-fuse MAIN_JAR=/work/main-gpu-backend-180482d.jar bash lab/gpu/fuse.sh make <checkout>
#   device: [BUDGET_S=140] [BENCHES="mglu:after mglu:main mglu:after mglu:main"] [BATCH=1,8] [TOKENS=256] [PROFILE="1"] bash .devbundle-fuse/fuse.sh run
set -e
case "$1" in
make) bash "$(dirname "$0")/decode10.sh" make "$2"; cp "$0" "$2/${BUNDLE:-.devbundle-final}/fuse.sh" ;;
run)
  T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
  left() { [ $(( $(date +%s) - T0 )) -lt "${BUDGET_S:-140}" ] || { echo "== skipped: $1 (budget)" | tee -a "$O/bench.txt"; false; }; }
  tar -xzf "$D/jmglu-bundle.tgz" -C "$D" && cp "$D"/lab-*.jar "$D/jmglu-bundle/lib/"
  source "$D/icd.sh"
  chmod +x "$D"/jmglu-bundle/runtime/bin/* "$D/jmglu-bundle/jmglu"
  if [ -f "$D/main-gpu-backend.jar" ]; then mkdir -p "$D/main" && cp -r "$D/jmglu-bundle" "$D/main/" && cp "$D/main-gpu-backend.jar" "$D"/main/jmglu-bundle/lib/gpu-backend-*.jar; fi
  JAVA="$D/jmglu-bundle/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/bench.txt"
  timeout 60 $JAVA -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 BF16 fuse 2>&1 | grep -v WARN > "$O/selfcheck.txt" || echo "fuse check failed or timed out" >> "$O/selfcheck.txt"
  tail -2 "$O/selfcheck.txt"
  timeout 60 "$D/jmglu-bundle/jmglu" init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu --nm 4 --dtype fp16 --seq-len 640 --out /tmp/m-mglu --force > /dev/null
  echo "model made after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt"
  for b in ${PROFILE-1}; do for side in after main; do
    H="$D/jmglu-bundle"; [ "$side" = main ] && H="$D/main/jmglu-bundle"
    [ -d "$H" ] && left "DecodeProfile $side B=$b" || continue
    echo "== DecodeProfile $side --batch $b" | tee -a "$O/profile.txt"
    timeout 45 "$H/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$H/lib/*" \
      jmglu.lab.gpu.DecodeProfile /tmp/m-mglu --batch $b --prompt 512 --steps 100 --warmup 200 2>&1 | grep -v WARN >> "$O/profile.txt" || echo "DecodeProfile failed or timed out" >> "$O/profile.txt"
    grep "launches a step\|^step:" "$O/profile.txt" | tail -2
  done; done
  for v in ${BENCHES-mglu:after mglu:main mglu:after mglu:main}; do
    name="${v#*:}"; H="$D/jmglu-bundle"; [ "$name" = main ] && H="$D/main/jmglu-bundle"
    left "bench $v" || continue
    echo "== ${v%%:*} $name" | tee -a "$O/bench.txt"
    timeout "${BENCH_S:-40}" "$H/jmglu" bench decode --device opencl --model /tmp/m-mglu --batch ${BATCH:-1,8} --prompt 512 --tokens ${TOKENS:-256} --csv /tmp/d.csv 2>&1 \
      | grep -v WARN | tee -a "$O/bench.txt" || echo "bench failed or timed out" | tee -a "$O/bench.txt"
    [ -f /tmp/d.csv ] && sed "s/^/$v,/" /tmp/d.csv >> "$O/bench.csv"; rm -f /tmp/d.csv
  done
  if left SampleCheck; then
    timeout 30 $JAVA -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.SampleCheck 2>&1 | grep -v WARN | tee "$O/sample.txt" | tail -2 || echo "SampleCheck failed or timed out" | tee -a "$O/sample.txt"
  fi
  echo "done after $(( $(date +%s) - T0 )) s" | tee -a "$O/bench.txt" ;;
*) echo "usage: fuse.sh make <checkout> | run"; exit 2 ;;
esac
