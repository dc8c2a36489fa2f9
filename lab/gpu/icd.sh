# Sourced by the lab device scripts (copied beside them into their bundle folder): registers NVIDIA's OpenCL with
# the ocl-icd loader carried in "$D/ocl" (the device has libnvidia-opencl but no ICD file). Needs D = the bundle folder.
mkdir -p /tmp/icd
LIBNV=$(ls /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)
[ -z "$LIBNV" ] && LIBNV=$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
echo "$LIBNV" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH="$D/ocl:${LD_LIBRARY_PATH:-}"
