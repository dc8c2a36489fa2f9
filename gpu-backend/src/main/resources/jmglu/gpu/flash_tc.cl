//! needs tc_mma.cl
// jmglu FlashMGLU on tensor cores: NVIDIA mma.sync (m16n8k16, f32 accumulators) through inline PTX,
// or EMU 1, an emulation of the same instruction in local memory, so that every index below is
// tested on any OpenCL device (PoCL in CI).
//
//   t (B, d) = x Wᵀ,  s_i (B, d) = x (M_i ⊙ W)ᵀ,  y (B, d) = Σ_i g(s_i) ⊙ (t − s_i)      B ≤ 8
//
// Tiles: row block blk = 16 rows, step st = 32 columns (h % 32 == 0). One work-group of KS warps owns
// one row block; warp w takes the contiguous steps [w·S/KS, (w+1)·S/KS) of it (S = h/32 steps) and the
// warps add their partial tiles in local memory at the end. Lane (q = lane/4, u = lane%4) of a step
// holds columns c = 32·st + 8u .. c+7 of rows 16·blk + q and + q + 8, and the same 8 columns of x for
// its B column n = q. The mma's k order is free as long as A and B agree, so the words are used as
// they come:
//   k-step 0: a0 = Wq.x  a1 = Wq8.x  a2 = Wq.y  a3 = Wq8.y   b0 = xn.x  b1 = xn.y   (columns c..c+3)
//   k-step 1: a0 = Wq.z  a1 = Wq8.z  a2 = Wq.w  a3 = Wq8.w   b0 = xn.z  b1 = xn.w   (columns c+4..c+7)
// (mma fragment layout: a0 = A[q][2u..2u+1], a1 = A[q+8][..], a2 = A[q][2u+8..], a3 = A[q+8][2u+8..];
//  b0 = B[2u..2u+1][q], b1 = B[2u+8..][q]; d_e = D[q + 8·(e/2)][2u + e%2].)
// Device layout (TcLayout.java packs it once, at upload): W as uint words
//   wp[((blk·S + st)·32 + lane)·8 + 4·hf + k] = W[16·blk + q + 8·hf][c + 2k .. c + 2k + 1]
// and the masks as MW = ⌈2·NM/4⌉ words per lane, byte hf·NM + i = the 8 bits of M_i[16·blk + q + 8·hf][c .. c+7]:
//   mp[((blk·S + st)·32 + lane)·MW + ...]
// so a warp's step is one contiguous 1 KiB of W and 128·MW contiguous bytes of masks (rows past d are
// zero). The B columns hold (batch row, x part) pairs: x is split into XS parts in W's 16-bit type
// (x ≈ x₀ + x₁, about 22 bits kept with XS = 2), column 8·j + n of n-tile j is batch b = (8j+n)/XS,
// part (8j+n)%XS, so B·XS ≤ 8 takes one mma per k-step and the parts are added in the epilogue.
// Route i uses the same fragments with A sign-flipped by its mask (FLIP, below). Each step's loads are
// issued PD steps ahead (registers double- or triple-buffered), so a warp always has loads in flight.
//
// NORMIN 1: the input is rmsnorm(x) with weight nw (nw[nwo + c], eps), x the raw rows: the group first sums x²
// of its B rows (every thread h/LS columns, a tree in local memory; the first W step is already in flight), then
// feeds x_c·rs_b·nw_c, the normed row as the reference forms it, to the 16-bit split below.
//
// Build-time: WT (1 fp16, 2 bf16), NM (0: GEMV), BB (1..8), ACT, MODE (0 flash, 1 scores, 2 gemv), KS,
// XS (1, 2), EMU, PD (prefetch distance in steps, 1 or 2; default 1), NORMIN (0, 1).

#define NV (NM + 1)
#define LS (32 * KS)
#define NT ((BB * XS + 7) / 8)       /* n-tiles of 8 B columns */
#define MW ((2 * NM + 3) / 4)        /* mask words per lane and step */

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void flash_tc(__global float* restrict out, __global float* restrict out2, __global const float* restrict x,
              __global const uint4* restrict w, __global const uint* restrict mb, const int h, const int d,
              __local float* red
#if NORMIN
              , __global const float* restrict nw, const int nwo, const float eps
#endif
              ) {
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int q = lane >> 2, u = lane & 3;
    const int blk = get_group_id(0), r0 = blk * 16;
    const int steps = h >> 5, per = (steps + KS - 1) / KS;
    const int s0 = warp * per, s1 = min(steps, s0 + per);              // this warp's steps
#if EMU
    __local uint sA[128], sB[64];
#endif
    float acc[NT][NV][4];                                               // acc[j][v][e], v = 0: t, 1 + i: u_i
    #pragma unroll
    for (int j = 0; j < NT; j++)
        #pragma unroll
        for (int v = 0; v < NV; v++) { acc[j][v][0] = 0.0f; acc[j][v][1] = 0.0f; acc[j][v][2] = 0.0f; acc[j][v][3] = 0.0f; }

    // software pipeline: the loads of step st + PD are issued before the math of step st (PD = 1, 2)
#ifndef PD
#define PD 1
#endif
    uint4 wa, wb, na, nb, na2, nb2;                                     // W words of rows q, q+8: now, next, after
#if NM > 0
    uint mw[MW], nm_[MW], nm2[MW];                                      // mask bytes of rows q, q+8
#endif
#if NM > 0 && MW == 2
#define LOAD_MASKS(p, M) do { const uint2 v_ = *(__global const uint2*) (p); M[0] = v_.x; M[1] = v_.y; } while (0)
#elif NM > 0 && MW == 4
#define LOAD_MASKS(p, M) do { const uint4 v_ = *(__global const uint4*) (p); M[0] = v_.x; M[1] = v_.y; M[2] = v_.z; M[3] = v_.w; } while (0)
#elif NM > 0
#define LOAD_MASKS(p, M) do { for (int k_ = 0; k_ < MW; k_++) M[k_] = (p)[k_]; } while (0)
#else
#define LOAD_MASKS(p, M)
#endif
#define LOAD_STEP(st, A, Bv, M) do { \
        const long e_ = ((long) blk * steps + (st)) * 32 + lane; \
        A = w[2 * e_]; Bv = w[2 * e_ + 1]; \
        LOAD_MASKS(mb + e_ * MW, M); } while (0)
    if (s0 < s1) LOAD_STEP(s0, na, nb, nm_);
#if PD == 2
    if (s0 < s1) LOAD_STEP(min(s0 + 1, s1 - 1), na2, nb2, nm2);
#endif
#ifndef NORMIN
#define NORMIN 0
#endif
#if NORMIN
    __local float nred[BB * LS], rsl[BB];                               // Σx² partials nred[b·LS + lid]; rs_b
    {
        float ss[BB];
        #pragma unroll
        for (int b = 0; b < BB; b++) {
            ss[b] = 0.0f;
            for (int c4 = lid; c4 < (h >> 2); c4 += LS) {               // h % 32 == 0: float4s, 16-byte aligned
                const float4 v = *(__global const float4*) (x + b * h + 4 * c4);
                ss[b] += dot(v, v);
            }
            nred[b * LS + lid] = ss[b];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int st = LS >> 1; st > 0; st >>= 1) {
            if (lid < st)
                #pragma unroll
                for (int b = 0; b < BB; b++) nred[b * LS + lid] += nred[b * LS + lid + st];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid < BB) rsl[lid] = 1.0f / sqrt(nred[lid * LS] / h + eps);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#endif
    for (int st = s0; st < s1; st++) {
        wa = na; wb = nb;
#if NM > 0
        #pragma unroll
        for (int k = 0; k < MW; k++) mw[k] = nm_[k];
#endif
#if PD == 2
        na = na2; nb = nb2;
#if NM > 0
        #pragma unroll
        for (int k = 0; k < MW; k++) nm_[k] = nm2[k];
#endif
        LOAD_STEP(min(st + 2, s1 - 1), na2, nb2, nm2);                  // past the end: reloads, unused
#else
        LOAD_STEP(min(st + 1, s1 - 1), na, nb, nm_);                    // the last one reloads, unused
#endif
        const int c = (st << 5) + (u << 3);
        uint4 xv[NT];                                                    // B column q of each n-tile
        #pragma unroll
        for (int j = 0; j < NT; j++) {
            const int b = (8 * j + q) / XS;
            float4 x0 = (float4)(0.0f), x1 = (float4)(0.0f);
            if (b < BB) {                                                // 32-byte aligned: h % 32 == 0, c % 8 == 0
                x0 = *(__global const float4*) (x + b * h + c);
                x1 = *(__global const float4*) (x + b * h + c + 4);
#if NORMIN
                const float rs = rsl[b];
                x0 *= rs * vload4(0, nw + nwo + c);
                x1 *= rs * vload4(0, nw + nwo + c + 4);
#endif
            }
            xv[j] = x_part(x0, x1, XS == 2 && (q & 1));                   // odd columns carry the residual part
        }
        #pragma unroll
        for (int j = 0; j < NT; j++) MMA2(acc[j][0], wa, wb, xv[j]);
#if NM > 0
        #pragma unroll
        for (int i = 0; i < NM; i++) {
            const uint ma = (mw[i >> 2] >> (8 * (i & 3))) & 0xffu;                  // byte i: row q
            const uint mbq = (mw[(NM + i) >> 2] >> (8 * ((NM + i) & 3))) & 0xffu;  // byte NM + i: row q + 8
            const uint4 mwa = FLIP4(wa, ma), mwb = FLIP4(wb, mbq);           // σ_i ⊙ W on rows q, q+8
            #pragma unroll
            for (int j = 0; j < NT; j++) MMA2(acc[j][1 + i], mwa, mwb, xv[j]);
        }
#endif
    }
#if KS > 1
    // warps 1..KS-1 hand their tiles to warp 0: red[((warp − 1)·NT·NV·4 + (j·NV + v)·4 + e)·32 + lane]
    if (warp > 0)
        #pragma unroll
        for (int j = 0; j < NT; j++)
            #pragma unroll
            for (int v = 0; v < NV; v++)
                #pragma unroll
                for (int e = 0; e < 4; e++) red[((warp - 1) * NT * NV * 4 + (j * NV + v) * 4 + e) * 32 + lane] = acc[j][v][e];
    barrier(CLK_LOCAL_MEM_FENCE);
    if (warp > 0) return;
    for (int k = 1; k < KS; k++)
        #pragma unroll
        for (int j = 0; j < NT; j++)
            #pragma unroll
            for (int v = 0; v < NV; v++)
                #pragma unroll
                for (int e = 0; e < 4; e++) acc[j][v][e] += red[((k - 1) * NT * NV * 4 + (j * NV + v) * 4 + e) * 32 + lane];
#endif
    // d_e = D[q + 8·(e/2)][n = 2u + e%2]: batch row (8j + n)/XS; the XS parts of one row sit side by side
    #pragma unroll
    for (int j = 0; j < NT; j++)
        #pragma unroll
        for (int hf = 0; hf < 2; hf++)
            #pragma unroll
            for (int sl = 0; sl < 2 / XS; sl++) {
                const int r = r0 + q + 8 * hf, b = (8 * j + 2 * u) / XS + sl, e0 = 2 * hf + sl * XS;
                if (b >= BB || r >= d) continue;
                float tot[NV];
                #pragma unroll
                for (int v = 0; v < NV; v++) tot[v] = XS == 2 ? acc[j][v][e0] + acc[j][v][e0 + 1] : acc[j][v][e0];
                #pragma unroll
                for (int i = 0; i < NM; i++) tot[1 + i] = 0.5f * (tot[0] + tot[1 + i]);   // u_i → s_i
#if MODE == 0
                float y = 0.0f;
                #pragma unroll
                for (int i = 0; i < NM; i++) y += act(tot[1 + i]) * (tot[0] - tot[1 + i]);
                out[b * d + r] = y;
#else
                out[b * d + r] = tot[0];
#if MODE == 1
                #pragma unroll
                for (int i = 0; i < NM; i++) out2[(i * BB + b) * d + r] = tot[1 + i];
#endif
#endif
            }
}
