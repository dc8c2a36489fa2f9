#!/bin/bash
# Host profile of a decode step on the device (issue 12): DecodeProfile under Java Flight Recorder, 1 ms samples.
# The bundle's runtime has no jdk.jfr, so this folder carries its own (jlink, ~21 MB compressed) and the bundle's jars:
#   here: ./jmglu bundle && mvn -o -q package -pl lab -am -DskipTests && bash lab/gpu/jfr.sh make /work/main
#   device (run, carry [".devbundle-jfr"]): [BATCHES="1 8"] bash .devbundle-jfr/jfr.sh run      -> $OUT/b1.jfr, b8.jfr
#   then here: jfr print --events jdk.NativeMethodSample --stack-depth 3 b1.jfr (see host-run1/jfr-native-top.txt)
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="${2:?checkout the device call sends}/.devbundle-jfr"; J="${JAVA_HOME:?}/bin"
  rm -rf "$B" /tmp/jfr-rt; mkdir -p "$B/lib" "$B/ocl" /tmp/jfr-rt
  "$J/jlink" --add-modules java.base,java.logging,java.management,jdk.incubator.vector,jdk.unsupported,jdk.jfr --strip-debug \
    --no-man-pages --no-header-files --output /tmp/jfr-rt/runtime
  tar -czf "$B/runtime.tgz" -C /tmp/jfr-rt runtime
  cp "$R"/dist/jmglu-bundle/lib/*.jar "$R"/lab/target/lab-*.jar "$B/lib/"
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  "$J/jfr" configure --input profile jdk.ExecutionSample#period=1ms jdk.NativeMethodSample#period=1ms --output "$B/p.jfc" > /dev/null
  cp "$0" "$B/jfr.sh"; cp "$(dirname "$0")/icd.sh" "$B/" ;;
run)
  D="$(cd "$(dirname "$0")" && pwd)"; cd "$D" && tar -xzf runtime.tgz && source ./icd.sh && chmod +x runtime/bin/*
  J=(runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "lib/*")
  "${J[@]}" jmglu.cli.Main init --dim 2048 --layers 8 --heads 16 --hidden 8192 --ffn mglu --nm 4 --dtype fp16 --seq-len 2048 --out /tmp/m --force > /dev/null 2>&1 || echo "init failed"
  for b in ${BATCHES:-1 8}; do
    timeout 80 "${J[@]}" -XX:StartFlightRecording=filename=$OUT/b$b.jfr,settings=$D/p.jfc jmglu.lab.gpu.DecodeProfile /tmp/m --batch $b --prompt 512 --steps 400 --warmup 200 2>&1 \
      | grep -v "WARN\|jfr,startup" | grep -v "^mglu:\|^flash\|^attention:\|^decode:" || true
  done ;;
esac
