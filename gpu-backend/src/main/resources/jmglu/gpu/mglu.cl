//! needs shfl.cl
// jmglu OpenCL row kernels over one (d, h) row-major weight matrix W (like nn.Linear):
// FlashMGLU, the MGLU scores, GEMV and the SwiGLU baseline are one kernel, `rows`, specialised
// at build time; the naive-MGLU baseline adds `materialise` and `glu_acc`.
//
// Build-time parameters (the host builds one program per combination, see OpenClMglu):
//   WT   weight storage: 0 = f32, 1 = f16 (vload_half), 2 = bf16 (ushort << 16 = float bits)
//   NM   mask planes (0 for gemv and swiglu)          BB  batch rows of x (1..16)
//   ACT  g: 0 silu, 1 gelu (tanh form), 2 relu       LS  work-group size (power of two)
//   U    chunk-loop unroll (1, 2, 4) when ALIGNED (h % 8 == 0, vector loads on natural alignment;
//        the compile-time loops are unrolled only then: NVIDIA's compiler failed on the unaligned ones)
//   R    output rows per work-group (x loaded once per chunk, reused by the R rows)
//   XLOCAL 1: the B rows of x are staged in local memory; 0: read through the cache
//   SHFL 1 (NVIDIA): each warp owns R rows and reduces with shfl.sync, no local memory or barriers
//   MODE 0 flash: y (B, d) = Σ_i g(s_i)(t − s_i)
//        1 scores: t (B, d) = x Wᵀ, s (NM, B, d), s_i = x (M_i ⊙ W)ᵀ
//        2 gemv: t (B, d) = x Wᵀ; with ACC 1, t += x Wᵀ (the residual add of a linear layer, fused)
//        3 swiglu: y (B, d) = g(x Wᵀ) ⊙ (x W2ᵀ)
//   NORMIN 1: the input is rmsnorm(x) with weight nw (nw[nwo + c], eps), x the raw rows: the kernel reads x,
//        multiplies each chunk by nw as it loads it and sums x² in the same loop (a team sweeps the whole row, so it
//        sees each column once), and scales its totals by rs_b = 1/√(Σx²/h + eps) before the epilogue:
//        rs·Σ_c x_c nw_c W_rc = Σ_c (x_c rs nw_c) W_rc, the GEMV of the normed row; no normed copy is written.
//        GALIGNED: nwo % 8 == 0 (float8 loads of nw).
//
// Work split: work-group g owns rows g·R .. g·R+R−1. Along h, thread lid takes chunks of 8
// consecutive columns ch = lid, lid+LS, ... so a warp's loads of one row are consecutive 16-byte
// (f16/bf16) or 32-byte (f32) vectors: coalesced. Masks are bit-planes,
//   bits[(r·NM + i)·wpr + w] bit j = M_i[r, 32w + j],   wpr = ceil(h / 32),
// and a chunk's 8 bits of plane i sit in one word at bit (c0 & 31). Per chunk and row:
//   u_i = M_i ⊙ w (an AND with the bit smeared to 32 bits), t_b += x_b·w, s_ib += x_b·u_i.
// Each thread ends with R·NV·BB partial sums; a local-memory tree reduces them and threads
// lid < R·BB run the epilogue and write y directly.

#if WT == 0
typedef float wtype;
typedef float rawtype;
#define LOAD8(p, i) vload8(0, (p) + (i))
#define LOAD1(p, i) ((p)[i])
#elif WT == 1
typedef half wtype;
typedef ushort rawtype;
#define LOAD8(p, i) vload_half8(0, (p) + (i))
#define LOAD1(p, i) vload_half(0, (p) + (i))
#else
typedef ushort wtype;
typedef ushort rawtype;
#define LOAD8(p, i) as_float8(convert_uint8(vload8(0, (p) + (i))) << (uint8)16)
#define LOAD1(p, i) as_float(((uint)((p)[i])) << 16)
#endif

#if ALIGNED   /* h % 8 == 0: every chunk starts on a 16-byte (half) / 32-byte (float) boundary */
#undef LOAD8
#if WT == 0
#define LOAD8(p, i) (*(const __global float8*) ((p) + (i)))
#elif WT == 1
#define LOAD8(p, i) vloada_half8(0, (p) + (i))
#else
#define LOAD8(p, i) as_float8(convert_uint8(*(const __global ushort8*) ((p) + (i))) << (uint8)16)
#endif
#endif

#ifndef ACC
#define ACC 0
#endif
#ifndef NORMIN
#define NORMIN 0
#endif
#ifndef GALIGNED
#define GALIGNED 0
#endif
#if ALIGNED && GALIGNED
#define GLOAD8(i) (*(const __global float8*) (nw + nwo + (i)))
#else
#define GLOAD8(i) vload8(0, nw + nwo + (i))
#endif


#if MODE == 0 || MODE == 1
#define NV (NM + 1)          /* per (row, batch): t, s_1 .. s_NM */
#elif MODE == 2
#define NV 1                 /* t */
#else
#define NV 2                 /* gate, value */
#endif
#define NACC (R * NV * BB)   /* partial sums per thread; acc[(rr·BB + b)·NV + v] */
#define NSUM (NACC + NORMIN * BB)   /* and with NORMIN, Σx² of batch row b at acc[NACC + b] */

#if XLOCAL
#define XSRC __local const float*
#define XV8 __local const float8*
#else
#define XSRC __global const float*
#define XV8 __global const float8*
#endif
#if ALIGNED && !XLOCAL   /* dynamic __local buffers are not 32-byte aligned on NVIDIA: vload8 there */
#define XLOAD8(p, i) (*(XV8) ((p) + (i)))
#else
#define XLOAD8(p, i) vload8(0, (p) + (i))
#endif

#if SHFL                      /* warp_sum: shfl.cl */
#define TEAM 32              /* threads sharing one row block: one warp, no barriers */
#else
#define TEAM LS              /* the whole work-group, reduced through local memory */
#endif

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void rows(__global float* restrict out, __global float* restrict out2,
          __global const float* restrict x, __global const wtype* restrict w,
          __global const wtype* restrict w2, __global const uint* restrict bits,
          const int h, const int d, __local float* xs, __local float* red
#if NORMIN
          , __global const float* restrict nw, const int nwo, const float eps
#endif
          ) {
    const int lid = get_local_id(0);
    const int tl = lid % TEAM;                                 // thread within its team
    const int r0 = (get_group_id(0) * (LS / TEAM) + lid / TEAM) * R;   // first row of this team
    const int wpr = (h + 31) >> 5;
    float acc[NSUM];
#if ALIGNED
    #pragma unroll
#endif
    for (int k = 0; k < NSUM; k++) acc[k] = 0.0f;
#if XLOCAL
    for (int i = lid; i < BB * h; i += LS) xs[i] = x[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    XSRC xp = xs;
#else
    XSRC xp = x;
#endif

    const int nch = h >> 3;                       // full chunks of 8 columns
#if ALIGNED && U == 2
#pragma unroll 2
#elif ALIGNED && U == 4
#pragma unroll 4
#endif
    for (int ch = tl; ch < nch; ch += TEAM) {     // U > 1: several chunks' loads in flight
        const int c0 = ch << 3;
        float8 xv[BB];                            // (B, 8) slice of x, shared by the R rows
#if ALIGNED
        #pragma unroll
#endif
        for (int b = 0; b < BB; b++) xv[b] = XLOAD8(xp, b * h + c0);
#if NORMIN
        const float8 gv = GLOAD8(c0);
#if ALIGNED
        #pragma unroll
#endif
        for (int b = 0; b < BB; b++) {
            acc[NACC + b] += dot8(xv[b], xv[b]);
            xv[b] *= gv;
        }
#endif
#if ALIGNED
        #pragma unroll
#endif
        for (int rr = 0; rr < R; rr++) {
            const int r = min(r0 + rr, d - 1);    // rows past d compute garbage, never written
            const long base = (long) r * h + c0;
            const float8 wv = LOAD8(w, base);
#if MODE == 3
            const float8 wv2 = LOAD8(w2, base);
#if ALIGNED
            #pragma unroll
#endif
            for (int b = 0; b < BB; b++) {
                acc[(rr * BB + b) * NV] += dot8(xv[b], wv);
                acc[(rr * BB + b) * NV + 1] += dot8(xv[b], wv2);
            }
#elif NM == 0
#if ALIGNED
            #pragma unroll
#endif
            for (int b = 0; b < BB; b++) acc[(rr * BB + b) * NV] += dot8(xv[b], wv);
#else
            // this chunk's 8 bits of plane i are bits 0..7 of mrow[i·wpr] >> (c0 & 31); the loads
            // repeat per b in the source (a private array of NM words miscompiles on PoCL) and are
            // the same addresses, served by the cache
            const __global uint* mrow = bits + (long) r * NM * wpr + (c0 >> 5);
#if ALIGNED
            #pragma unroll
#endif
            for (int b = 0; b < BB; b++) {
                const float8 p = xv[b] * wv;      // x_b ⊙ w on the chunk
                acc[(rr * BB + b) * NV] += HSUM8(p);
#if ALIGNED
                #pragma unroll
#endif
                for (int i = 0; i < NM; i++) {
                    const uint mw = mrow[i * wpr] >> (c0 & 31);
                    MASKED_ADD(acc[(rr * BB + b) * NV + 1 + i], p, mw);
                }
            }
#endif
        }
    }
    // tail: the last h % 8 columns, one per thread
    for (int c = (nch << 3) + tl; c < h; c += TEAM) {
#if NORMIN
        for (int b = 0; b < BB; b++) acc[NACC + b] += xp[b * h + c] * xp[b * h + c];
        const float gc = nw[nwo + c];
#else
        const float gc = 1.0f;
#endif
#if ALIGNED
        #pragma unroll
#endif
        for (int rr = 0; rr < R; rr++) {
            const int r = min(r0 + rr, d - 1);
            const float wc = LOAD1(w, (long) r * h + c);
#if MODE == 3
            const float wc2 = LOAD1(w2, (long) r * h + c);
#endif
#if ALIGNED
            #pragma unroll
#endif
            for (int b = 0; b < BB; b++) {
                const float xc = xp[b * h + c] * gc;
                acc[(rr * BB + b) * NV] += xc * wc;
#if MODE == 3
                acc[(rr * BB + b) * NV + 1] += xc * wc2;
#elif NM > 0
#if ALIGNED
                #pragma unroll
#endif
                for (int i = 0; i < NM; i++)
                    if ((bits[((long) r * NM + i) * wpr + (c >> 5)] >> (c & 31)) & 1u)
                        acc[(rr * BB + b) * NV + 1 + i] += xc * wc;
#endif
            }
        }
    }
#if SHFL
#if ALIGNED
    #pragma unroll
#endif
    for (int k = 0; k < NSUM; k++) acc[k] = warp_sum(acc[k]);   // every lane holds every total
#define TOTAL0(k) acc[k]
#if ALIGNED
    #pragma unroll
#endif
    for (int rb = 0; rb < R * BB; rb++) {                      // lane rb % 32 writes (row, batch) rb
        const int rr = rb / BB, b = rb % BB, r = r0 + rr;
        if (tl != rb % TEAM || r >= d) continue;
#else
    // tree reduction over the work-group: red[k·LS + lid]
#if ALIGNED
    #pragma unroll
#endif
    for (int k = 0; k < NSUM; k++) red[k * LS + lid] = acc[k];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = LS >> 1; st > 0; st >>= 1) {
        if (lid < st)
#if ALIGNED
            #pragma unroll
#endif
            for (int k = 0; k < NSUM; k++) red[k * LS + lid] += red[k * LS + lid + st];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#define TOTAL0(k) red[(k) * LS]
    for (int once = 0; once < 1; once++) {                     // one thread per (row, batch); the rest go on
        const int rb = lid, rr = rb / BB, b = rb % BB, r = r0 + rr;
        if (rb >= R * BB || r >= d) continue;
#endif
        const int k0 = (rr * BB + b) * NV;
#if NORMIN
        const float rs = 1.0f / sqrt(TOTAL0(NACC + b) / h + eps);
#define TOTAL(k) (TOTAL0(k) * rs)
#else
#define TOTAL(k) TOTAL0(k)
#endif
        const float t = TOTAL(k0);
#if MODE == 0
        float y = 0.0f;
#if ALIGNED
        #pragma unroll
#endif
        for (int i = 0; i < NM; i++) {
            const float s = TOTAL(k0 + 1 + i);
            y += act(s) * (t - s);
        }
        out[b * d + r] = y;
#elif MODE == 1
        out[b * d + r] = t;
#if ALIGNED
        #pragma unroll
#endif
        for (int i = 0; i < NM; i++) out2[(i * BB + b) * d + r] = TOTAL(k0 + 1 + i);
#elif MODE == 2
#if ACC
        out[b * d + r] += t;
#else
        out[b * d + r] = t;
#endif
#else
        out[b * d + r] = act(t) * TOTAL(k0 + 1);
#endif
    }
}

// Naive MGLU, step 1 (like naive PyTorch): materialise route i's gate and value weights in the
// storage type, gate = M_i ⊙ W and value = (1 − M_i) ⊙ W, both (d, h). One thread per element.
__kernel void materialise(__global rawtype* restrict gate, __global rawtype* restrict value,
                          __global const rawtype* restrict w, __global const uint* restrict bits,
                          const int h, const int d, const int nm, const int i) {
    const long e = get_global_id(0);
    if (e >= (long) d * h) return;
    const int r = (int) (e / h), c = (int) (e % h);
    const int wpr = (h + 31) >> 5;
    const uint on = (bits[((long) r * nm + i) * wpr + (c >> 5)] >> (c & 31)) & 1u;
    const rawtype zero = 0;
    const rawtype v = w[e];
    gate[e] = on ? v : zero;
    value[e] = on ? zero : v;
}

// Naive MGLU, step 3: y (n) += g(a) ⊙ v (the GEMVs in between are `rows` with MODE 2).
__kernel void glu_acc(__global float* restrict y, __global const float* restrict a,
                      __global const float* restrict v, const int n) {
    const int e = get_global_id(0);
    if (e < n) y[e] += act(a[e]) * v[e];
}
