#!/bin/bash
# h-flash1 device call: bench kernel (FlashMGLU B=1, issue shape) with flash_b1 off / on / knob variants,
# bench decode of the issue's MGLU model after vs main, then OpenClSelfCheck F16 in the time left.
T0=$(date +%s); D="$(cd "$(dirname "$0")" && pwd)"; O="${OUT:-/tmp/out}"; mkdir -p "$O"
BENCHES="" SELFCHECK=0 SAMPLE=0 GENERATE=0 PSTEPS="" PROFILE="" bash "$D/decode10.sh" run > "$O/setup.txt" 2>&1
source "$D/icd.sh"; J="$D/jmglu-bundle/jmglu"
for o in "-Djmglu.opencl.fb1max=0" "" "-Djmglu.opencl.fb1rows=2"; do
  t=$(date +%s); echo "== bench kernel $o" >> "$O/kernel.txt"
  JMGLU_JAVA_OPTS="$o" timeout 22 "$J" bench kernel --device opencl --h 2048 --d 8192 --masks 4 --batch 1 --dtype fp16 2>&1 | grep -v WARN >> "$O/kernel.txt"
  echo "(took $(( $(date +%s) - t )) s)" >> "$O/kernel.txt"
done
grep -E "^==|^  4   1|took" "$O/kernel.txt"
echo "kernels done after $(( $(date +%s) - T0 )) s"
BUDGET_S=60 BENCHES="mglu:after mglu:main" BATCH=1,8 TOKENS=128 BENCH_S=32 SELFCHECK=0 SAMPLE=0 GENERATE=0 PSTEPS="" PROFILE="" bash "$D/decode10.sh" run 2>&1 | grep -E "^==|tok/s|B=|batch|skipped|failed" | head -30
echo "benches done after $(( $(date +%s) - T0 )) s"
L=$(( 190 - ($(date +%s) - T0) )); [ $L -gt 5 ] || L=5
timeout $L "$D/jmglu-bundle/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$D/jmglu-bundle/lib/*" jmglu.lab.gpu.OpenClSelfCheck F16 2>&1 | grep -v WARN > "$O/selfcheck.txt" || echo "selfcheck failed or timed out (limit $L s)" >> "$O/selfcheck.txt"
tail -4 "$O/selfcheck.txt"; echo "done after $(( $(date +%s) - T0 )) s"
