#!/bin/bash
# The OpenCL self-check (jmglu.lab.gpu.OpenClSelfCheck: kernels and every OpenClBackend op against the
# reference) on a device machine without Maven or a JDK.
#   here:   bash lab/gpu/selfcheck.sh make     (after mvn -pl gpu-backend -am compile and a compile of lab's gpu
#                                                classes into lab/target/classes; writes .devbundle/, ~45 MB)
#   device: bash .devbundle/selfcheck.sh run [F16 ...]   (OUT set; `run` with carry [".devbundle"])
set -e
case "$1" in
make)
  R="$(git rev-parse --show-toplevel)"; B="$R/.devbundle"; JH="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  rm -rf "$B"; mkdir -p "$B/lib" "$B/ocl"
  "$JH/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector --strip-debug --no-header-files \
      --no-man-pages --compress=zip-9 --output "$B/runtime"
  for m in engine gpu-backend lab; do "$JH/bin/jar" cf "$B/lib/$m.jar" -C "$R/$m/target/classes" .; done
  cp "$(find ~/.m2/repository/org/jocl/jocl -name 'jocl-*.jar' | head -1)" "$B/lib/"
  cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/ocl/libOpenCL.so.1"; cp "$B/ocl/libOpenCL.so.1" "$B/ocl/libOpenCL.so"
  cp "$0" "$B/selfcheck.sh" ;;
run)
  shift; D="$(cd "$(dirname "$0")" && pwd)"
  mkdir -p /tmp/icd
  LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)
  [ -z "$LIBNV" ] && LIBNV=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
  echo "$LIBNV" > /tmp/icd/nvidia.icd
  export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
  chmod +x "$D"/runtime/bin/* 2>/dev/null || true
  "$D/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$D/lib/*" \
      jmglu.lab.gpu.OpenClSelfCheck "$@" 2>&1 | grep -v WARNING | tee "${OUT:-.}/selfcheck.txt" ;;
*) echo "usage: selfcheck.sh make | run [dtypes]"; exit 2 ;;
esac
