#!/bin/bash
# Device probe: OpenClProbe variants (PTX dumped, ptxas register report, SASS of a few), then the
# production kernel table for the same shape. usage: PROBE="variants..." bash .devbundle/probe.sh
D="$(cd "$(dirname "$0")" && pwd)"
mkdir -p /tmp/icd
echo /usr/lib/libnvidia-opencl.so.1 > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
tar xzf "$D/jmglu-bundle.tgz" -C /tmp
B=/tmp/jmglu-bundle
J=("$B/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$B/lib/*")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
mkdir -p /tmp/ptx
"${J[@]}" jmglu.lab.gpu.OpenClProbe --ptx /tmp/ptx $PROBE 2>&1 | grep -v WARNING | tee "$OUT/probe.txt"
PTXAS=$(ls /usr/local/cuda*/bin/ptxas 2>/dev/null | head -1); PTXAS=${PTXAS:-ptxas}; echo "ptxas: $PTXAS"
( cd /tmp/ptx && for f in *.ptx; do tr -d "\000" < "$f" > t.tmp && mv t.tmp "$f"
    r=$($PTXAS -arch=sm_90 -v "$f" -o "${f%.ptx}.cubin" 2>&1 | grep -oE "Used [0-9]+ registers|[0-9]+ bytes spill (stores|loads)" | tr '\n' ' ')
    echo "$f: $r"
    cuobjdump -sass "${f%.ptx}.cubin" > "${f%.ptx}.sass" 2>/dev/null
  done ) | tee "$OUT/ptxas.txt"
tar czf "$OUT/ptx.tgz" -C /tmp ptx
[ -n "${TABLE:-}" ] && "${J[@]}" jmglu.lab.gpu.OpenClBenchMain $TABLE 2>&1 | grep -v WARNING | tee "$OUT/table.txt"
true
