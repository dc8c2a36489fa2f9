//! needs tc_mma.cl shfl.cl ticket.cl argmax_part.cl
// jmglu GEMV and GLU on tensor cores for a decode batch of B ≤ 16 rows of x: NVIDIA mma.sync m16n8k16
// (f32 accumulators) through inline PTX, or EMU 1, the same instruction emulated in local memory, so that
// every index is tested on any OpenCL device (PoCL in CI). W is read ROW-MAJOR as stored (no tile copy):
//
//   MODE 0 linear: y (B, d) = x Wᵀ          (ACC 1: y += x Wᵀ, the residual add of Wo / W2)
//   MODE 1 glu:    y (B, d) = g(x Wgᵀ) ⊙ (x Wvᵀ)                   (w = Wg, w2 = Wv: SwiGLU's up projection)
//
// Tiles: one work-group of KS warps owns one block of 16 rows of W (rows 16·blk .. +15; rows past d are read
// as row d − 1 and their results dropped); the h columns go in steps of 32, and warp w takes the steps
// st = w, w + KS, w + 2·KS, ... (S = ⌈h/32⌉ steps), U of them loaded before their math (U·KS steps in flight
// per group). The warps add their partial tiles in local memory at the end. With B ≤ 16 the grid has ⌈d/16⌉
// groups, enough for the H200's 132 SMs at the decode matrices' d ≥ 2048, and every weight is read once.
// Lane (q = lane/4, u = lane%4) of a step loads the 8 columns c = 32·st + 8u .. c+7 of W rows q and q + 8 of
// the block (one uint4 each: 16-byte aligned as h % 8 == 0, so a lane's 8 columns are all inside h or all
// past it, then read as zeros), and the same 8 columns of the x row of its B column n = q. The mma's k order
// is free as long as A and B agree, so the words are used as they come (as flash_tc.cl and gemm_tc.cl do):
//   k-step 0: a0 = Wq.x  a1 = Wq8.x  a2 = Wq.y  a3 = Wq8.y   b0 = xn.x  b1 = xn.y   (columns c..c+3)
//   k-step 1: a0 = Wq.z  a1 = Wq8.z  a2 = Wq.w  a3 = Wq8.w   b0 = xn.z  b1 = xn.w   (columns c+4..c+7)
// The B columns hold (batch row, x part) pairs: x is split into XS parts in W's 16-bit type (x_part,
// tc_mma.cl), column 8·j + n of n-tile j is batch b = (8j + n)/XS, part (8j + n)%XS; NT = ⌈B·XS/8⌉ n-tiles.
// The accumulator's d_e = D[q + 8·(e/2)][2u + e%2] is W row q + 8·(e/2), B column 2u + e%2 of the tile.
//
// NORMIN 1: the input is rmsnorm(x) = x_c · rs_b · nw[nwo + c], rs_b = 1/√(Σ_c x_bc²/h + eps). rs_b is one
// factor per output row of x, so it moves out of the sum: the mma is fed x_c · nw_c and the f32 result is
// scaled by rs_b in the epilogue. Σx² is summed in the same pass from the x values the part-0 lanes load
// (every column of every batch row exactly once over the group), then added up in local memory: no prologue.
//
// NORMOUT 1 (MODE 0): also n (B, d) = rmsnorm(y) with weight nw2[nwo2 + r], eps2, of the y this launch leaves (the
// residual stream after Wo or W2, normed for the next consumer): every group writes its y, makes it visible device-wide
// and takes a ticket (ticket.cl); the group with the last ticket reads all of y back past the L1 (this SM's L1 may hold
// lines of y from before other groups wrote them), sums y² per batch row in a fixed order (the same n on every run),
// writes n and puts the ticket back to 0. So the step needs no norm launch after the GEMV.
//
// ARGMAX 1 (MODE 0, ACC 0: an lm head): also ids[b] = argmax of y[b] (argmax_part.cl): warp 0 stages the block's
// 16 × BB outputs in local memory, threads lid < BB write its candidate per batch row to part (2·BB ints per group),
// and the group that finishes last merges them all and writes ids.
//
// Build-time: WT (1 fp16, 2 bf16), MODE (0, 1), ACT, ACC, BB (1..16), KS (warps per group), U (steps per load
// batch), PF (1: the next batch's W loaded before this batch's math; default 0), XS (1, 2), EMU, NORMIN (0, 1),
// NORMOUT (0, 1), ARGMAX (0, 1).

#define LS (32 * KS)
#define NT ((BB * XS + 7) / 8)
#if MODE == 0
#define NV 1
#else
#define NV 2
#endif
#ifndef NORMIN
#define NORMIN 0
#endif
#ifndef NORMOUT
#define NORMOUT 0
#endif
#ifndef ARGMAX
#define ARGMAX 0
#endif
// the tile loops unroll on the device (operands in registers); the emulation keeps them rolled, so that its
// barriers are not copied per mma (as in gemm_tc.cl)
#if EMU
#define UNROLL _Pragma("unroll 1")
#else
#define UNROLL _Pragma("unroll")
#endif

// 8 columns c .. c + 7 of the W row at wr, zeros at or past h
#define WLOAD(wr, c) ((c) < h ? *(__global const uint4*) ((wr) + (c)) : (uint4)(0u))

#if NORMOUT
// NORMOUT: the last group to finish writes n = rmsnorm(y) · nw (see the top); every thread of every group calls it.
// part: NPART floats of local memory (the Σy² of each batch row by warp: shuffles on the device; the emulation
// keeps a slot per thread and adds them in a tree), lastl: one int.
#if EMU
#define NPART (BB * LS)
#else
#define NPART (BB * KS)
#endif
// y as the last group reads it: past the L1, as plain loads the hardware keeps in flight (ld.global.cg on the
// device; the emulation reads volatile)
#if EMU
#define LD_Y(p) (*(__global volatile const float*) (p))
#else
inline float ld_cg(__global const float* p) {
    float v;
    asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p));
    return v;
}
#define LD_Y(p) ld_cg(p)
#endif
#define NCOL 4                     /* columns a thread keeps in registers between the sums and the writes (d ≤ NCOL·LS) */
inline void norm_out(__global float* y, const int d, __global float* restrict n, __global const float* restrict nw,
                     const int nwo, const float eps, __global volatile int* tick, __local float* part, __local int* lastl) {
    const int lid = get_local_id(0);
    if (!last_group(tick, get_num_groups(0), lastl)) return;       // ticket.cl
    float s[BB], yk[NCOL][BB];
    for (int b = 0; b < BB; b++) s[b] = 0.0f;
    for (int i = 0; i < NCOL; i++) {                                  // all of a thread's loads at once
        const int c = lid + i * LS;
        for (int b = 0; b < BB; b++) yk[i][b] = c < d ? LD_Y(y + (long) b * d + c) : 0.0f;
    }
    for (int i = 0; i < NCOL; i++)
        for (int b = 0; b < BB; b++) s[b] += yk[i][b] * yk[i][b];
    for (int c = lid + NCOL * LS; c < d; c += LS)                     // wider rows: the rest read as they come
        for (int b = 0; b < BB; b++) { const float v = LD_Y(y + (long) b * d + c); s[b] += v * v; }
#if EMU
    for (int b = 0; b < BB; b++) part[b * LS + lid] = s[b];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int o = LS / 2; o > 0; o >>= 1) {                            // LS is a power of two (32·KS)
        if (lid < o)
            for (int b = 0; b < BB; b++) part[b * LS + lid] += part[b * LS + lid + o];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#define ROWSUM(b) part[(b) * LS]
#else
    for (int b = 0; b < BB; b++) {                                    // a warp's butterfly, then its lane 0's sum by warp
        const float v = warp_sum(s[b]);                                // shfl.cl
        if ((lid & 31) == 0) part[b * KS + (lid >> 5)] = v;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < BB) {
        float t = 0.0f;
        for (int k = 0; k < KS; k++) t += part[lid * KS + k];
        part[lid * KS] = t;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
#define ROWSUM(b) part[(b) * KS]
#endif
    float rs[BB];
    for (int b = 0; b < BB; b++) rs[b] = 1.0f / sqrt(ROWSUM(b) / d + eps);
    for (int i = 0; i < NCOL; i++) {
        const int c = lid + i * LS;
        if (c < d) {
            const float g = nw[nwo + c];
            for (int b = 0; b < BB; b++) n[(long) b * d + c] = yk[i][b] * rs[b] * g;
        }
    }
    for (int c = lid + NCOL * LS; c < d; c += LS) {
        const float g = nw[nwo + c];
        for (int b = 0; b < BB; b++) n[(long) b * d + c] = LD_Y(y + (long) b * d + c) * rs[b] * g;
    }
    if (lid == 0) *tick = 0;
}
#endif

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void gemv_tc(__global float* restrict y, __global const float* restrict x, __global const ushort* restrict w,
             __global const ushort* restrict w2, const int h, const int d, __local float* red
#if NORMIN
             , __global const float* restrict nw, const int nwo, const float eps
#endif
#if NORMOUT
             , __global float* restrict nout, __global const float* restrict nw2, const int nwo2, const float eps2,
             __global volatile int* tick
#endif
#if ARGMAX
             , __global volatile int* part, __global volatile int* ticket, __global int* ids
#endif
             ) {
#if ARGMAX
    __local float amy[16 * BB], lv[LS];                                // the block's outputs; the last group's merge
    __local int li[LS], last;
#endif
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int q = lane >> 2, u = lane & 3;
    const int r0 = get_group_id(0) * 16;
    const int steps = (h + 31) >> 5, per = (steps + KS - 1) / KS;     // every warp runs per steps (some past h: zeros)
#if EMU
    __local uint sAll[KS * 192];                                      // the emulated mma's A, B of each warp
    __local uint* sA = sAll + warp * 192;
    __local uint* sB = sA + 128;
#endif
    __global const ushort* pa = w + (long) min(r0 + q, d - 1) * h;       // W rows q, q + 8 of the block
    __global const ushort* pb = w + (long) min(r0 + q + 8, d - 1) * h;
#if MODE == 1
    __global const ushort* va = w2 + (long) min(r0 + q, d - 1) * h;
    __global const ushort* vb = w2 + (long) min(r0 + q + 8, d - 1) * h;
#endif
    // the x row of B column q of each n-tile
    int xb[NT];
    UNROLL
    for (int j = 0; j < NT; j++) xb[j] = (8 * j + q) / XS;
    float acc[NT][NV][4];                                              // acc[j][v][e], v = 0: x Wᵀ, 1: x Wvᵀ
    UNROLL
    for (int j = 0; j < NT; j++)
        UNROLL
        for (int v = 0; v < NV; v++) { acc[j][v][0] = 0.0f; acc[j][v][1] = 0.0f; acc[j][v][2] = 0.0f; acc[j][v][3] = 0.0f; }
#if NORMIN
    float ss[NT];                                                       // Σx² of row xb[j] over this lane's columns
    UNROLL
    for (int j = 0; j < NT; j++) ss[j] = 0.0f;
#endif
#ifndef PF
#define PF 0
#endif
#if PF
    // PF 1: the W words of the next U steps are loaded before the math of these (registers double-buffered)
    uint4 na[U], nb[U];
#if MODE == 1
    uint4 nva[U], nvb[U];
#endif
    UNROLL
    for (int kk = 0; kk < U; kk++) {
        const int c = (kk * KS + warp) * 32 + 8 * u;
        na[kk] = WLOAD(pa, c); nb[kk] = WLOAD(pb, c);
#if MODE == 1
        nva[kk] = WLOAD(va, c); nvb[kk] = WLOAD(vb, c);
#endif
    }
#endif
    for (int k0 = 0; k0 < per; k0 += U) {
        // loads of U steps first (W, x and the norm weight), then their math
        uint4 wa[U], wb[U];
#if MODE == 1
        uint4 wva[U], wvb[U];
#endif
        float4 xl[U][NT][2];
#if NORMIN
        float4 gl[U][2];
#endif
        UNROLL
        for (int kk = 0; kk < U; kk++) {
            const int c = ((k0 + kk) * KS + warp) * 32 + 8 * u;       // past the warp's last step: c ≥ h
#if PF
            const int cn = c + U * KS * 32;                             // the same step of the next batch (c ≥ h: no load)
            wa[kk] = na[kk]; wb[kk] = nb[kk];
            na[kk] = WLOAD(pa, cn); nb[kk] = WLOAD(pb, cn);
#if MODE == 1
            wva[kk] = nva[kk]; wvb[kk] = nvb[kk];
            nva[kk] = WLOAD(va, cn); nvb[kk] = WLOAD(vb, cn);
#endif
#else
            wa[kk] = WLOAD(pa, c); wb[kk] = WLOAD(pb, c);
#if MODE == 1
            wva[kk] = WLOAD(va, c); wvb[kk] = WLOAD(vb, c);
#endif
#endif
            UNROLL
            for (int j = 0; j < NT; j++) {
                xl[kk][j][0] = (float4)(0.0f); xl[kk][j][1] = (float4)(0.0f);
                if (c < h && xb[j] < BB) {                               // 32-byte aligned: h % 8 == 0, c % 8 == 0
                    xl[kk][j][0] = *(__global const float4*) (x + xb[j] * h + c);
                    xl[kk][j][1] = *(__global const float4*) (x + xb[j] * h + c + 4);
                }
            }
#if NORMIN
            gl[kk][0] = (float4)(0.0f); gl[kk][1] = (float4)(0.0f);
            if (c < h) { gl[kk][0] = vload4(0, nw + nwo + c); gl[kk][1] = vload4(0, nw + nwo + c + 4); }
#endif
        }
        UNROLL
        for (int kk = 0; kk < U; kk++)
            UNROLL
            for (int j = 0; j < NT; j++) {
                float4 x0 = xl[kk][j][0], x1 = xl[kk][j][1];
#if NORMIN
                if ((8 * j + q) % XS == 0) ss[j] += dot(x0, x0) + dot(x1, x1);
                x0 *= gl[kk][0]; x1 *= gl[kk][1];
#endif
                const uint4 xv = x_part(x0, x1, (8 * j + q) % XS);
                MMA2(acc[j][0], wa[kk], wb[kk], xv);
#if MODE == 1
                MMA2(acc[j][1], wva[kk], wvb[kk], xv);
#endif
            }
    }
#if NORMIN
    // Σx² partials by (warp, lane, n-tile): ssl[(warp·32 + lane)·NT + j]
    __local float ssl[KS * 32 * NT];
    UNROLL
    for (int j = 0; j < NT; j++) ssl[lid * NT + j] = ss[j];
#endif
#if KS > 1
    // warps 1..KS-1 hand their tiles to warp 0: red[((warp − 1)·NT·NV·4 + (j·NV + v)·4 + e)·32 + lane]
    if (warp > 0)
        UNROLL
        for (int j = 0; j < NT; j++)
            UNROLL
            for (int v = 0; v < NV; v++)
                UNROLL
                for (int e = 0; e < 4; e++) red[((warp - 1) * NT * NV * 4 + (j * NV + v) * 4 + e) * 32 + lane] = acc[j][v][e];
#endif
    barrier(CLK_LOCAL_MEM_FENCE);
    if (warp == 0) {                                                   // (NORMOUT, ARGMAX: every warp meets their barriers)
#if KS > 1
        for (int k = 1; k < KS; k++)
            UNROLL
            for (int j = 0; j < NT; j++)
                UNROLL
                for (int v = 0; v < NV; v++)
                    UNROLL
                    for (int e = 0; e < 4; e++) acc[j][v][e] += red[((k - 1) * NT * NV * 4 + (j * NV + v) * 4 + e) * 32 + lane];
#endif
        // d_e = D[q + 8·(e/2)][n = 2u + e%2]: batch row (8j + n)/XS; the XS parts of one row sit side by side
        UNROLL
        for (int j = 0; j < NT; j++)
            UNROLL
            for (int sl = 0; sl < 2 / XS; sl++) {
                const int b = (8 * j + 2 * u) / XS + sl;
                if (b >= BB) continue;
                float rs = 1.0f;
#if NORMIN
                // Σx² of row b: its part-0 B column n = b·XS sits in n-tile n/8, lanes q' = n % 8, u' = 0..3, of every warp
                const int n = b * XS;
                float s2 = 0.0f;
                for (int k = 0; k < KS; k++)
                    for (int v = 0; v < 4; v++) s2 += ssl[(k * 32 + 4 * (n % 8) + v) * NT + n / 8];
                rs = 1.0f / sqrt(s2 / h + eps);
#endif
                UNROLL
                for (int hf = 0; hf < 2; hf++) {
                    const int r = r0 + q + 8 * hf, e0 = 2 * hf + sl * XS;
                    if (r >= d) continue;
                    float tot[NV];
                    UNROLL
                    for (int v = 0; v < NV; v++) tot[v] = rs * (XS == 2 ? acc[j][v][e0] + acc[j][v][e0 + 1] : acc[j][v][e0]);
                    const long o = (long) b * d + r;
#if MODE == 1
                    y[o] = act(tot[0]) * tot[1];
#elif ACC
                    y[o] += tot[0];
#else
                    y[o] = tot[0];
#if ARGMAX
                    amy[(q + 8 * hf) * BB + b] = tot[0];                 // amy[row in block · BB + b]
#endif
#endif
                }
            }
    }
#if NORMOUT
    __local float npart[NPART];
    __local int nlast;
    norm_out(y, d, nout, nw2, nwo2, eps2, tick, npart, &nlast);
#endif
#if ARGMAX
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < BB) am_block(part, get_group_id(0), BB, lid, amy + lid, BB, min(16, d - r0), r0);
    am_finish(part, ticket, ids, get_num_groups(0), BB, lv, li, &last);
#endif
}
