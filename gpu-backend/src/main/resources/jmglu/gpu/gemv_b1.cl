//! needs shfl.cl ticket.cl argmax_part.cl
// jmglu GEMV and GLU of the smallest decode batches (B = BB ≤ 4, made for B = 1) on the CUDA cores, W row-major as stored.
// At B = 1 a GEMV does 2 flops per weight read: no tensor cores needed, the only job is to keep enough loads of W in
// flight (memory-level parallelism) on every SM, and to issue few instructions per weight.
//
//   MODE 0 linear: y (B, d) = x Wᵀ          (ACC 1: y += x Wᵀ, the residual add of Wo / W2)
//   MODE 1 glu:    y (B, d) = g(x Wgᵀ) ⊙ (x Wvᵀ)                   (w = Wg, w2 = Wv: SwiGLU's up projection)
//
// Split: work-group g owns the RR rows r0 = g·RR .. r0 + RR − 1 (rows past d are read as row d − 1 and dropped) and
// all h columns (with fewer groups than blocks of RR rows, a persistent grid, it takes every get_num_groups(0)-th block), in chunks of 256 columns (ch = 0 .. ⌈h/256⌉ − 1). Its KS warps split the chunks (split-K): warp w takes
// chunks w, w + KS, w + 2·KS, ... Lane l of a chunk reads columns c = 256·ch + 8·l .. c + 7: one 16-byte word per W
// row (a warp reads 512 contiguous bytes of each row, coalesced; h % 8 == 0, so a lane's 8 columns are all inside h
// or all past it, then read as zeros) and the same 8 floats of each x row, which serve all RR rows (and both
// matrices of the glu). U chunks are loaded (RR·NV·U W words per lane) before their math.
//
// Each lane ends with NACC partial dot products acc[(i·NV + v)·BB + b] (row r0 + i, matrix v, batch row b). A warp
// adds its lanes with shfl.sync (PTX 1, NVIDIA) and the KS warps add theirs in local memory; without PTX the
// whole group adds through a local-memory tree. Threads lid < RR·BB then run the epilogue of one output each.
//
// NORMIN 1: the input is rmsnorm(x) = x_c · rs_b · nw[nwo + c], rs_b = 1/√(Σ_c x_bc²/h + eps). rs_b moves out of
// the sum: the dot products take x_c · nw_c, and their totals are scaled by rs_b. Σx² is summed from the x values
// the lanes load (the group's warps load every column of every x row exactly once) and reduced with the dots.
//
// ARGMAX 1 (MODE 0, ACC 0: an lm head): also ids[b] = argmax of y[b] (argmax_part.cl): each block of RR rows stages its
// outputs in local memory, threads lid < BB write the block's candidate per batch row to part, and the group that
// finishes last merges them all and writes ids. Part holds 2·BB ints per block of RR rows.
//
// EMBIN 1 (a step's first GEMV, the embedding owed: OpenClBackend.embeddingRmsnorm): x row b is table[id_b] (V, h) of
// type TWT (0 f32, 1 f16, 2 bf16), id_b = ids[b] (id0 == INT_MIN) or id0 (B = 1, an id from the host); an id outside
// [0, V) gives a row of NaN, as decode.cl embed_ids. The lanes load the table's row instead of x, and the group that
// runs block 0 also stores what it loads into x (it loads every column of every row once): x, the residual stream, is
// then written as the embedding op would have, before any later launch on the queue reads it.
//
// Build-time: WT (1 fp16, 2 bf16), MODE (0, 1), ACT, ACC, BB (1..4), RR (rows a group), KS (warps a group, a power of
// two), U (chunks per load batch), NORMIN (0, 1), ARGMAX (0, 1), EMBIN (0, 1), TWT, PTX (1: inline PTX shfl and f16 conversion, NVIDIA only).

#define LS (32 * KS)
#if MODE == 0
#define NV 1
#else
#define NV 2
#endif
#ifndef NORMIN
#define NORMIN 0
#endif
#ifndef ACC
#define ACC 0
#endif
#ifndef ARGMAX
#define ARGMAX 0
#endif
#ifndef EMBIN
#define EMBIN 0
#endif
#if EMBIN
#define XCONST
// columns c .. c + 7 of x row b = table[id] (see EMBIN above), as two float4
inline void emb8(__global const uchar* table, const int to, __global const int* ids, const int id0, const int V,
                 const int b, const int c, const int h, float4* lo, float4* hi) {
    const int id = id0 == INT_MIN ? ids[b] : id0;
    if (id < 0 || id >= V) { *lo = (float4)(NAN); *hi = (float4)(NAN); return; }
    const long o = to + (long) id * h + c;
#if TWT == 0
    *lo = vload4(0, (__global const float*) table + o); *hi = vload4(0, (__global const float*) table + o + 4);
#elif TWT == 1
    *lo = vload_half4(0, (__global const half*) table + o); *hi = vload_half4(0, (__global const half*) table + o + 4);
#else
    *lo = as_float4(convert_uint4(vload4(0, (__global const ushort*) table + o)) << 16);
    *hi = as_float4(convert_uint4(vload4(0, (__global const ushort*) table + o + 4)) << 16);
#endif
}
#else
#define XCONST const
#endif
#define NACC (RR * NV * BB)            // dot products per lane
#define NS (NACC + NORMIN * BB)        // and with NORMIN, Σx² of batch row b at NACC + b

// the two 16-bit values of a word (little-endian: low half first) as floats
#if WT == 2
#define CVT2(u, a, b) do { a = as_float((u) << 16); b = as_float((u) & 0xffff0000u); } while (0)
#elif PTX
#define CVT2(u, a, b) asm("{.reg .b16 l, h; mov.b32 {l, h}, %2; cvt.f32.f16 %0, l; cvt.f32.f16 %1, h;}" : "=f"(a), "=f"(b) : "r"(u))
#else
#define CVT2(u, a, b) do { uint t_ = (u); a = vload_half(0, (const __private half*) &t_); b = vload_half(1, (const __private half*) &t_); } while (0)
#endif

// the 8 weights of one word as two float4 (columns c..c+3, c+4..c+7)
inline void cvt8(uint4 u, float4* lo, float4* hi) {
    float a, b, e, f;
    CVT2(u.x, a, b); CVT2(u.y, e, f); *lo = (float4)(a, b, e, f);
    CVT2(u.z, a, b); CVT2(u.w, e, f); *hi = (float4)(a, b, e, f);
}

#if PTX                                 /* warp_sum: shfl.cl */
#define RED (KS * NS)                  // red[warp·NS + j]: warp's total j
#else
#define RED (NS * LS)                  // red[j·LS + lid]: a tree over the group
#endif

// 8 columns c .. c + 7 of the 16-bit W row at p, zeros at or past h
#define WLOAD(p, c) ((c) < h ? *(__global const uint4*) ((p) + (c)) : (uint4)(0u))

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void gemv_b1(__global float* restrict y, __global XCONST float* restrict x, __global const ushort* restrict w,
             __global const ushort* restrict w2, const int h, const int d
#if NORMIN
             , __global const float* restrict nw, const int nwo, const float eps
#endif
#if EMBIN
             , __global const uchar* restrict table, const int to, __global const int* restrict tids, const int id0, const int V
#endif
#if ARGMAX
             , __global volatile int* part, __global volatile int* ticket, __global int* ids
#endif
             ) {
    __local float red[RED];
#if ARGMAX
    __local float amy[RR * BB], lv[LS];                                   // a block's outputs; the last group's merge
    __local int li[LS], last;
#endif
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int chunks = (h + 255) >> 8, per = (chunks + KS - 1) / KS;   // every warp runs per chunks (some past h: zeros)
    // row blocks of RR rows: one per group, or (a persistent grid, fewer groups) every get_num_groups(0)-th
    const int nblk = (d + RR - 1) / RR;
    for (int blk = get_group_id(0); blk < nblk; blk += get_num_groups(0)) {
        const int r0 = blk * RR;
        long ro[RR];                                                         // the element offset of each row of the group
        #pragma unroll
        for (int i = 0; i < RR; i++) ro[i] = (long) min(r0 + i, d - 1) * h;
        float acc[NS];
        #pragma unroll
        for (int j = 0; j < NS; j++) acc[j] = 0.0f;

        for (int k0 = 0; k0 < per; k0 += U) {
            // all loads of U chunks first (W of RR rows and NV matrices, x of BB rows, the norm weight), then the math
            uint4 wl[U][RR][NV];
            float4 xl[U][BB][2];
#if NORMIN
            float4 gl[U][2];
#endif
            #pragma unroll
            for (int kk = 0; kk < U; kk++) {
                const int c = ((k0 + kk) * KS + warp) * 256 + 8 * lane;    // past the warp's last chunk: c ≥ h
                #pragma unroll
                for (int i = 0; i < RR; i++) {
                    wl[kk][i][0] = WLOAD(w + ro[i], c);
#if MODE == 1
                    wl[kk][i][1] = WLOAD(w2 + ro[i], c);
#endif
                }
                #pragma unroll
                for (int b = 0; b < BB; b++) {
                    xl[kk][b][0] = (float4)(0.0f); xl[kk][b][1] = (float4)(0.0f);
                    if (c < h) {                                             // 32-byte aligned: h % 8 == 0, c % 8 == 0
#if EMBIN
                        emb8(table, to, tids, id0, V, b, c, h, &xl[kk][b][0], &xl[kk][b][1]);
                        if (blk == 0) {                                      // the group of block 0 writes x
                            *(__global float4*) (x + (long) b * h + c) = xl[kk][b][0];
                            *(__global float4*) (x + (long) b * h + c + 4) = xl[kk][b][1];
                        }
#else
                        xl[kk][b][0] = *(__global const float4*) (x + (long) b * h + c);
                        xl[kk][b][1] = *(__global const float4*) (x + (long) b * h + c + 4);
#endif
                    }
                }
#if NORMIN
                gl[kk][0] = (float4)(0.0f); gl[kk][1] = (float4)(0.0f);
                if (c < h) { gl[kk][0] = vload4(0, nw + nwo + c); gl[kk][1] = vload4(0, nw + nwo + c + 4); }
#endif
            }
            #pragma unroll
            for (int kk = 0; kk < U; kk++) {
#if NORMIN
                #pragma unroll
                for (int b = 0; b < BB; b++) {
                    acc[NACC + b] += dot(xl[kk][b][0], xl[kk][b][0]) + dot(xl[kk][b][1], xl[kk][b][1]);
                    xl[kk][b][0] *= gl[kk][0]; xl[kk][b][1] *= gl[kk][1];
                }
#endif
                #pragma unroll
                for (int i = 0; i < RR; i++)
                    #pragma unroll
                    for (int v = 0; v < NV; v++) {
                        float4 lo, hi;
                        cvt8(wl[kk][i][v], &lo, &hi);
                        #pragma unroll
                        for (int b = 0; b < BB; b++) acc[(i * NV + v) * BB + b] += dot(lo, xl[kk][b][0]) + dot(hi, xl[kk][b][1]);
                    }
            }
        }

#if PTX
        #pragma unroll
        for (int j = 0; j < NS; j++) acc[j] = warp_sum(acc[j]);
        if (lane == 0)
            #pragma unroll
            for (int j = 0; j < NS; j++) red[warp * NS + j] = acc[j];
        barrier(CLK_LOCAL_MEM_FENCE);
#define TOTAL(j, t) do { t = 0.0f; for (int k_ = 0; k_ < KS; k_++) t += red[k_ * NS + (j)]; } while (0)
#else
        for (int j = 0; j < NS; j++) red[j * LS + lid] = acc[j];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int s = LS / 2; s > 0; s >>= 1) {
            if (lid < s)
                for (int j = 0; j < NS; j++) red[j * LS + lid] += red[j * LS + lid + s];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
#define TOTAL(j, t) do { t = red[(j) * LS]; } while (0)
#endif
        // epilogue: thread lid < RR·BB writes output (row r0 + lid / BB, batch row lid % BB)
        if (lid < RR * BB && r0 + lid / BB < d) {
            const int i = lid / BB, b = lid % BB, r = r0 + i;
            float rs = 1.0f;
#if NORMIN
            float s2;
            TOTAL(NACC + b, s2);
            rs = 1.0f / sqrt(s2 / h + eps);
#endif
            float t0;
            TOTAL(i * NV * BB + b, t0);
            const long o = (long) b * d + r;
#if MODE == 1
            float t1;
            TOTAL((i * NV + 1) * BB + b, t1);
            y[o] = act(rs * t0) * (rs * t1);
#elif ACC
            y[o] += rs * t0;
#else
            y[o] = rs * t0;
#if ARGMAX
            amy[lid] = rs * t0;                                              // amy[i·BB + b]: the value just written
#endif
#endif
        }
#if ARGMAX
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < BB) am_block(part, blk, BB, lid, amy + lid, BB, min(RR, d - r0), r0);
#endif
        barrier(CLK_LOCAL_MEM_FENCE);                                          // red is reused by the group's next block
    }
#if ARGMAX
    am_finish(part, ticket, ids, nblk, BB, lv, li, &last);
#endif
}
