// jmglu tensor-core helpers, prepended to flash_tc.cl, gemm_tc.cl and gemv_tc.cl (their first line names this file): the 16-bit
// values of a word, x split into 16-bit parts, the sign flips that mask a route, and NVIDIA's mma.sync m16n8k16 (f32 accumulators) through inline
// PTX, or with EMU 1 the same instruction emulated in local memory, so that every index is tested on any OpenCL device
// (PoCL in CI). Build-time: WT (1 fp16, 2 bf16), EMU.

#if WT == 1
#define MMA_T "f16"
#else
#define MMA_T "bf16"
#endif

// ------------------------------------------------------------ 16-bit helpers (value of one half lane)
inline float lo16(uint u) {
#if WT == 1 && !EMU
    float f;
    asm("{.reg .b16 l, h; mov.b32 {l, h}, %1; cvt.f32.f16 %0, l;}" : "=f"(f) : "r"(u));
    return f;
#elif WT == 1
    return vload_half(0, (const __private half*) &u);          // little-endian: the low half
#else
    return as_float(u << 16);
#endif
}
inline float hi16(uint u) { return lo16(u >> 16); }

// (lo, hi) → one word of two 16-bit values in W's type, round to nearest even (the x parts fed to the mma)
#if WT == 1
#define CVT_PACK "cvt.rn.f16x2.f32"
#else
#define CVT_PACK "cvt.rn.bf16x2.f32"
#endif

#if EMU
inline uint pack2(float lo, float hi) {
#if WT == 1
    ushort s[2];
    vstore_half_rte(lo, 0, (__private half*) s);
    vstore_half_rte(hi, 1, (__private half*) s);
    return (uint) s[0] | ((uint) s[1] << 16);
#else
    uint a = as_uint(lo), b = as_uint(hi);
    a = (a + 0x7fffu + ((a >> 16) & 1u)) >> 16;
    b = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
    return a | (b << 16);
#endif
}
#else
inline uint pack2(float lo, float hi) {
    uint r;
    asm(CVT_PACK " %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
#endif

// The mma's B words for 8 columns of one row of x (x0, x1: columns c..c+3, c+4..c+7), part p of XS: part 0 is x rounded
// to W's 16-bit type, part 1 (XS = 2) the rest x − x₀ rounded, so x ≈ x₀ + x₁ (about 22 bits). Both are formed and
// one is kept (no branch in the warp).
#ifdef XS
inline uint4 x_part(float4 x0, float4 x1, int p) {
    uint4 v = (uint4)(pack2(x0.s0, x0.s1), pack2(x0.s2, x0.s3), pack2(x1.s0, x1.s1), pack2(x1.s2, x1.s3));
#if XS == 2
    x0 -= (float4)(lo16(v.x), hi16(v.x), lo16(v.y), hi16(v.y));
    x1 -= (float4)(lo16(v.z), hi16(v.z), lo16(v.w), hi16(v.w));
    const uint4 l = (uint4)(pack2(x0.s0, x0.s1), pack2(x0.s2, x0.s3), pack2(x1.s0, x1.s1), pack2(x1.s2, x1.s3));
    if (p) v = l;
#endif
    return v;
}
#endif

// Route i's A operand is W with the sign of every unmasked weight flipped, σ_i ⊙ W, σ = ±1: then
// u_i = x (σ_i ⊙ W)ᵀ = s_i − (t − s_i), so s_i = (t + u_i)/2 and t − s_i = (t − u_i)/2, and masking a
// word of two 16-bit weights is one xor of their sign bits (15, 31; fp16 and bf16 alike).
// SIGNS(m, k): mask bits 2k, 2k+1 of byte m moved to bits 15, 31. m · (2^(15−2k) + 2^(30−2k)) puts
// copies of bit j at j + 15 − 2k and j + 30 − 2k: all distinct (no carries), and only bit 2k reaches
// 15 and only bit 2k+1 reaches 31; the other copies are cleared by the 0x80008000 in FLIP.
#define SIGNS(m, k) ((m) * (0x8001u << (15 - 2 * (k))))
#define FLIP(wd, m, k) ((wd) ^ (~SIGNS(m, k) & 0x80008000u))
#define FLIP4(wv, m) (uint4)(FLIP((wv).x, m, 0), FLIP((wv).y, m, 1), FLIP((wv).z, m, 2), FLIP((wv).w, m, 3))

// ------------------------------------------------------------ the mma, or its emulation
#if EMU
// A (16 × 16) and B (16 k × 8 n) of the calling warp through its slice sA, sB of local memory; the whole group calls
// it the same number of times (its barriers).
inline void mma_emu(float* c, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, __local uint* sA, __local uint* sB, int lane) {
    const int q = lane >> 2, u = lane & 3;
    barrier(CLK_LOCAL_MEM_FENCE);
    sA[q * 8 + u] = a0; sA[(q + 8) * 8 + u] = a1; sA[q * 8 + 4 + u] = a2; sA[(q + 8) * 8 + 4 + u] = a3;
    sB[q * 8 + u] = b0; sB[q * 8 + 4 + u] = b1;                 // column n = q, k pairs in words
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = 0; e < 4; e++) {
        const int row = q + 8 * (e >> 1), n = 2 * u + (e & 1);
        float s = 0.0f;
        for (int k = 0; k < 8; k++) s += lo16(sA[row * 8 + k]) * lo16(sB[n * 8 + k]) + hi16(sA[row * 8 + k]) * hi16(sB[n * 8 + k]);
        c[e] += s;
    }
}
#define MMA(c, a0, a1, a2, a3, b0, b1) mma_emu(c, a0, a1, a2, a3, b0, b1, sA, sB, lane)
#else
#define MMA(c, a0, a1, a2, a3, b0, b1) \
    asm("mma.sync.aligned.m16n8k16.row.col.f32." MMA_T "." MMA_T ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
        : "+f"((c)[0]), "+f"((c)[1]), "+f"((c)[2]), "+f"((c)[3]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1))
#endif

// both k-steps of one 32-column step for one accumulator tile: W words wa (row q), wb (row q+8)
#define MMA2(c, wa, wb, xv) do { \
        MMA(c, (wa).x, (wb).x, (wa).y, (wb).y, (xv).x, (xv).y); \
        MMA(c, (wa).z, (wb).z, (wa).w, (wb).w, (xv).z, (xv).w); } while (0)
