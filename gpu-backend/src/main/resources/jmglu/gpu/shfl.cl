// jmglu OpenCL: warp shuffles through NVIDIA's inline PTX (shfl.sync over all 32 lanes of a warp), for the kernels
// built for an NVIDIA device: gemv_b1.cl (PTX 1), mglu.cl, mglu_fast.cl and attn_wg.cl (SHFL 1), gemv_tc.cl (EMU 0).
// Elsewhere this file is empty: PTX constraints do not compile for other targets, and those builds sum through local
// memory instead.

#if (defined(PTX) && PTX) || (defined(SHFL) && SHFL) || (defined(EMU) && EMU == 0)
// the value v of lane L ^ o
inline float shx(float v, int o) {
    float t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v), "r"(o));
    return t;
}

// the value v of lane s
inline float shi(float v, int s) {
    float t;
    asm volatile("shfl.sync.idx.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v), "r"(s));
    return t;
}

// the warp's sum of v, in every lane: a xor butterfly (offsets 16, 8, 4, 2, 1), the same order in every lane
inline float warp_sum(float v) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += shx(v, o);
    return v;
}
#endif
