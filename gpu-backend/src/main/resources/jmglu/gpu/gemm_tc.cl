//! needs tc_mma.cl
// jmglu GEMMs on tensor cores for many rows of x (prefill): NVIDIA mma.sync m16n8k16 (f32 accumulators)
// through inline PTX, or EMU 1, the same instruction emulated in local memory so that every index is
// tested on any OpenCL device (PoCL in CI). W is read row-major as stored (no tile copy):
//
//   MODE 0 linear: y (B, d) = x Wᵀ  (y += x Wᵀ when ACC)
//   MODE 1 glu:    y = g(x Wgᵀ) ⊙ (x Wvᵀ)                                  (w = Wg, w2 = Wv)
//   MODE 2 flash:  t = x Wᵀ, u_i = x (σ_i ⊙ W)ᵀ, s_i = (t + u_i)/2, y = Σ_i g(s_i) ⊙ (t − s_i)
//
// x arrives split (split_x below) into XS parts in W's 16-bit type, x ≈ x₀ + x₁ (about 22 bits with
// XS = 2; bf16 about 16), as xs[(p·Bp + b)·hp + c], rows padded with zeros to Bp, columns to hp (a
// multiple of 32). Each part is one more mma into the same f32 accumulator.
//
// Tiles: a work-group of WM × WN warps owns WM·MT·16 rows of W × WN·NT·8 rows of x; warp (wm, wn)
// owns MT m-tiles (16 W rows) × NT n-tiles (8 x rows) of it. The grid runs the batch tiles of one W
// block as consecutive groups (group g: W block g / nbt, batch tile g % nbt), so the groups that read
// the same W rows run together and W comes from L2 once per block; x (B·h·XS·2 bytes) stays in L2.
// One step = 32 columns c0 = 32·st; lane (q = lane/4, u = lane%4) loads the 8 columns c0 + 8u .. +7 of
// W rows q and q + 8 of each m-tile (one uint4 each, 16-byte aligned as h % 8 == 0) and of x row q of
// each n-tile. The mma's k order is free as long as A and B agree, so the words are used as they come
// (as flash_tc.cl does):
//   k-step 0: a0 = Wq.x  a1 = Wq8.x  a2 = Wq.y  a3 = Wq8.y   b0 = xq.x  b1 = xq.y   (columns c..c+3)
//   k-step 1: a0 = Wq.z  a1 = Wq8.z  a2 = Wq.w  a3 = Wq8.w   b0 = xq.z  b1 = xq.w   (columns c+4..c+7)
// and the accumulator's d_e = D[q + 8·(e/2)][2u + e%2] is W row q + 8·(e/2), x row 2u + e%2 of the tile.
// W rows past d are read as row d − 1 (results dropped), columns past h as 0 (x is 0 there too).
// Masks (MODE 2) are read from the row-major bit-planes bits[(r·NM + i)·S + st] (bit j = M_i[r][32·st + j],
// S = ⌈h/32⌉): byte u of that word is the lane's 8 columns; route i's A operand is W with the sign of every
// unmasked weight flipped (FLIP, tc_mma.cl), so u_i = s_i − (t − s_i).
//
// Build-time: WT (1 fp16, 2 bf16), MODE, NM, ACT, ACC, MT, NT, WM, WN, XS (1, 2), EMU, FULL (h % 32 == 0).

#define LS (32 * WM * WN)
#if MODE == 0
#define NV 1
#elif MODE == 1
#define NV 2
#else
#define NV (NM + 1)
#endif

// f → W's 16-bit type, round to nearest even
inline ushort to16(float f) {
#if WT == 1
    ushort s;
    vstore_half_rte(f, 0, (__private half*) &s);
    return s;
#else
    uint a = as_uint(f);
    return (ushort) ((a + 0x7fffu + ((a >> 16) & 1u)) >> 16);
#endif
}

// x (B, h) f32 → xs (XS, Bp, hp): part 0 = x rounded to 16 bits, part 1 = the rest rounded; zeros past (B, h)
__kernel void split_x(__global ushort* restrict xs, __global const float* restrict x, const int B, const int h,
                      const int Bp, const int hp) {
    const long g = get_global_id(0);
    if (g >= (long) Bp * hp) return;
    const int b = g / hp, c = g % hp;
    const float v = b < B && c < h ? x[(long) b * h + c] : 0.0f;
    const ushort p0 = to16(v);
    xs[g] = p0;
#if XS == 2
    xs[(long) Bp * hp + g] = to16(v - lo16((uint) p0));
#endif
}

// the tile loops unroll on the device (accumulators in registers); the emulation keeps them rolled, so that
// its barriers are not copied per mma (PoCL compiles every barrier region: a program of unrolled barriers
// took seconds to build)
#if EMU
#define UNROLL _Pragma("unroll 1")
#else
#define UNROLL _Pragma("unroll")
#endif

// 8 columns c .. c + 7 of the W row at wr (zero at or past h; h % 8 == 0, so a lane's 8 are all in or all out;
// FULL: h % 32 == 0, never past)
#if FULL
#define WLOAD(wr, c) (*(__global const uint4*) ((wr) + (c)))
#else
#define WLOAD(wr, c) ((c) < h ? *(__global const uint4*) ((wr) + (c)) : (uint4)(0u))
#endif

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void gemm_tc(__global float* restrict y, __global const ushort* restrict xs, __global const ushort* restrict w,
             __global const ushort* restrict w2, __global const uint* restrict mb,
             const int h, const int d, const int B, const int Bp, const int hp, const int nbt) {
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int q = lane >> 2, u = lane & 3;
    const int g = get_group_id(0), wblk = g / nbt, bt = g % nbt;
    const int wm = warp % WM, wn = warp / WM;
    const int r0 = (wblk * WM + wm) * MT * 16, b0 = (bt * WN + wn) * NT * 8;
    const int steps = hp >> 5;
#if EMU
    __local uint sAll[WM * WN * 192];
    __local uint* sA = sAll + warp * 192;
    __local uint* sB = sA + 128;
#endif
    int ra[MT], rb[MT];                                                   // this lane's W rows (clamped into the matrix)
    UNROLL
    for (int m = 0; m < MT; m++) { ra[m] = min(r0 + 16 * m + q, d - 1); rb[m] = min(r0 + 16 * m + q + 8, d - 1); }
    __global const ushort* pa[MT];                                        // row starts: W rows ra, rb (and Wv's)
    __global const ushort* pb[MT];
#if MODE == 1
    __global const ushort* va_[MT];
    __global const ushort* vb_[MT];
#endif
    UNROLL
    for (int m = 0; m < MT; m++) {
        pa[m] = w + (long) ra[m] * h; pb[m] = w + (long) rb[m] * h;
#if MODE == 1
        va_[m] = w2 + (long) ra[m] * h; vb_[m] = w2 + (long) rb[m] * h;
#endif
    }
    float acc[MT][NT][NV][4];
    UNROLL
    for (int m = 0; m < MT; m++)
        UNROLL
        for (int j = 0; j < NT; j++)
            UNROLL
            for (int v = 0; v < NV; v++) { acc[m][j][v][0] = 0.0f; acc[m][j][v][1] = 0.0f; acc[m][j][v][2] = 0.0f; acc[m][j][v][3] = 0.0f; }
    __global const uint4* xp = (__global const uint4*) (xs + (long) (b0 + q) * hp + 8 * u);  // x row b0 + q, part 0, step 0
    const long partStride = (long) Bp * hp / 8, rowStride = (long) hp;                        // in uint4: part, 8 rows
    for (int st = 0; st < steps; st++) {
        const int c = (st << 5) + (u << 3);
        uint4 xv[NT][XS];
        UNROLL
        for (int j = 0; j < NT; j++)
            UNROLL
            for (int p = 0; p < XS; p++) xv[j][p] = xp[p * partStride + j * rowStride + 4 * st];
        UNROLL
        for (int m = 0; m < MT; m++) {
            const uint4 wa = WLOAD(pa[m], c), wb = WLOAD(pb[m], c);
#if MODE == 1
            const uint4 va = WLOAD(va_[m], c), vb = WLOAD(vb_[m], c);
#endif
#if MODE == 2
            uint ma[NM], mbq[NM];                                            // byte u of the mask words: rows q, q + 8
            UNROLL
            for (int i = 0; i < NM; i++) {
                ma[i] = (mb[((long) ra[m] * NM + i) * steps + st] >> (8 * u)) & 0xffu;
                mbq[i] = (mb[((long) rb[m] * NM + i) * steps + st] >> (8 * u)) & 0xffu;
            }
#endif
            UNROLL
            for (int j = 0; j < NT; j++)
                UNROLL
                for (int p = 0; p < XS; p++) {
                    MMA2(acc[m][j][0], wa, wb, xv[j][p]);
#if MODE == 1
                    MMA2(acc[m][j][1], va, vb, xv[j][p]);
#elif MODE == 2
                    UNROLL
                    for (int i = 0; i < NM; i++) {
                        const uint4 fa = FLIP4(wa, ma[i]), fb = FLIP4(wb, mbq[i]);
                        MMA2(acc[m][j][1 + i], fa, fb, xv[j][p]);
                    }
#endif
                }
        }
    }
    // d_e = D[q + 8·(e/2)][2u + e%2]: W row r, x row b
    UNROLL
    for (int m = 0; m < MT; m++)
        UNROLL
        for (int j = 0; j < NT; j++)
            UNROLL
            for (int e = 0; e < 4; e++) {
                const int r = r0 + 16 * m + q + 8 * (e >> 1), b = b0 + 8 * j + 2 * u + (e & 1);
                if (r >= d || b >= B) continue;
                const long o = (long) b * d + r;
#if MODE == 0
#if ACC
                y[o] += acc[m][j][0][e];
#else
                y[o] = acc[m][j][0][e];
#endif
#elif MODE == 1
                y[o] = act(acc[m][j][0][e]) * acc[m][j][1][e];
#else
                const float t = acc[m][j][0][e];
                float s = 0.0f;
                UNROLL
                for (int i = 0; i < NM; i++) {
                    const float si = 0.5f * (t + acc[m][j][1 + i][e]);
                    s += act(si) * (t - si);
                }
                y[o] = s;
#endif
            }
}
