// jmglu read-bandwidth kernel: the practical ceiling of a kernel that only reads (the copy
// bandwidth counts a write per read). Each work-item xors U 16-byte vectors per step, grid-strided
// (consecutive items read consecutive vectors: every load instruction is one coalesced run), and
// writes one word so that nothing is optimised away. n = number of uint4 vectors.
__kernel void stream(__global uint* restrict out, __global const uint4* restrict a, const long n) {
    const long gid = get_global_id(0), gs = get_global_size(0);
    uint acc = 0;
    for (long i = gid; i < n; i += gs * U) {
        uint4 v[U];
        #pragma unroll
        for (int u = 0; u < U; u++) v[u] = i + u * gs < n ? a[i + u * gs] : (uint4)(0);
        #pragma unroll
        for (int u = 0; u < U; u++) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
    }
    out[gid] = acc;
}
