// jmglu OpenCL: definitions shared by every program (the host prepends this file to each source).
// Build-time: ACT selects g (0 silu, 1 gelu in its tanh form, as in jmglu.engine.Act, 2 relu).

#ifndef ACT
#define ACT 0
#endif

inline float act(float x) {
#if ACT == 0
    return x / (1.0f + exp(-x));
#elif ACT == 1
    return 0.5f * x * (1.0f + tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
#else
    return fmax(x, 0.0f);
#endif
}

// dot product of two 8-vectors, and the horizontal sum of one (pairwise, for rounding)
inline float dot8(float8 a, float8 b) { return dot(a.lo, b.lo) + dot(a.hi, b.hi); }
#define HSUM8(p) ((((p).s0 + (p).s1) + ((p).s2 + (p).s3)) + (((p).s4 + (p).s5) + ((p).s6 + (p).s7)))

// s += p_j where bit j of m is set, j = 0..7 (predicated adds; m is shared by the B rows of x)
#define MASKED_ADD(s, p, m) do { \
    if ((m) & 1u) s += (p).s0;   if ((m) & 2u) s += (p).s1; \
    if ((m) & 4u) s += (p).s2;   if ((m) & 8u) s += (p).s3; \
    if ((m) & 16u) s += (p).s4;  if ((m) & 32u) s += (p).s5; \
    if ((m) & 64u) s += (p).s6;  if ((m) & 128u) s += (p).s7; } while (0)

// KV-cache storage (the attention kernels' caches; build-time KVH). KVH = 1: the caches hold IEEE binary16, read with
// vload_half / vload_half4 and written with vstore_half_rte (round to nearest even), so no cl_khr_fp16 is needed
// (half appears only as what a pointer points to); KVH = 0: float. Offsets and strides are in elements either way;
// every score, softmax and sum is float. KV_ROUND(x): x as the cache would give it back (a key or value a kernel
// attends to before it is read from the cache goes through it, so every key attended is the one stored).
#ifndef KVH
#define KVH 0
#endif
#if KVH
#define KV_T half
#define KV_LD(p, i) vload_half((i), (p))
#define KV_LD4(p) vload_half4(0, (p))
#define KV_LDA4(p) vloada_half4(0, (p))                /* p 8-byte aligned (an element offset a multiple of 4) */
#define KV_ST(x, p, i) vstore_half_rte((x), (i), (p))
inline float kv_round(float x) {
    ushort h;
    vstore_half_rte(x, 0, (__private half*) &h);
    return vload_half(0, (__private const half*) &h);
}
#define KV_ROUND(x) kv_round(x)
#else
#define KV_T float
#define KV_LD(p, i) ((p)[i])
#define KV_LD4(p) vload4(0, (p))
#define KV_LDA4(p) (*(__global const float4*) (p))     /* p 16-byte aligned (an element offset a multiple of 4) */
#define KV_ST(x, p, i) ((p)[i] = (x))
#define KV_ROUND(x) (x)
#endif
