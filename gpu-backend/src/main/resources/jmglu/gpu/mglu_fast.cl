//! needs shfl.cl
// jmglu FlashMGLU / MGLU scores, the fast path for h % 8 == 0 (one (d, h) row-major W, bit-plane masks).
// Same math as `rows` in mglu.cl (MODE 0: y (B, d) = Σ_i g(s_i)(t − s_i); MODE 1: t (B, d), s (NM, B, d)),
// laid out for memory-level parallelism and fewer instructions per weight:
//
// - One warp (32 lanes) owns a task of R consecutive rows; a work-group is LS/32 warps. The task loop
//   is grid-strided (persistent when the host launches fewer groups than tasks) and uniform over the
//   group, so the local-memory reduction (SHFL 0) may use barriers.
// - Along h a warp steps over 32·CPL chunks of 8 columns: lane l takes chunks c + 32j + l, j < CPL,
//   so each load instruction is a coalesced 512-byte (fp16) run. Every W vector and mask word of a
//   step (R·CPL 16-byte loads, R·CPL·NM word loads) is issued before any is consumed.
// - Chunk ch's 8 bits of plane i sit in word ch >> 2 of the row's plane at bit 8·(ch & 3); ch & 3 is
//   l & 3 because c + 32j is a multiple of 4, so 4 lanes share one word and one shift.
// - SMEAR 1: per chunk and plane, u_i = M_i ⊙ w is formed once with select() on the mask bit moved to
//   the sign position, shared by the B rows of x: t_b += x_b·w, s_ib += x_b·u_i (8 FMAs each).
//   SMEAR 0: p = x_b ⊙ w, t_b += Σ p, s_ib += Σ_{bit j set} p_j (predicated adds). On the H200 (run 8)
//   SMEAR 0 was faster at B = 1 and at B = 8 (0.202 vs 0.247 ms, nm = 4): the default.
// The host sends here only the (B, nm) where this kernel beat `rows` (ClFastMglu.run).
//
// Build-time parameters: WT (0 f32, 1 f16, 2 bf16), NM ≥ 1, BB (batch), ACT, LS, R, CPL, SMEAR, SHFL,
// MODE (0 flash, 1 scores), EVEN (h is a multiple of 8·32·CPL: no bounds checks along h).

#if WT == 0
typedef float wtype;
#define LOAD8(p, i) (*(const __global float8*) ((p) + (i)))
#elif WT == 1
typedef half wtype;
#define LOAD8(p, i) vloada_half8(0, (p) + (i))
#else
typedef ushort wtype;
#define LOAD8(p, i) as_float8(convert_uint8(*(const __global ushort8*) ((p) + (i))) << (uint8)16)
#endif

#define NV (NM + 1)              /* per (row, batch): t, s_1 .. s_NM */
#define NACC (R * NV * BB)       /* acc[(rr·BB + b)·NV + v] */
#define WPG (LS / 32)            /* warps per work-group */

// bit j of m moved to bit 31 of lane j: select(a, b, c) takes b where c's sign bit is set
#define SMEAR8(m) as_int8((uint8)(m) << (uint8)(31, 30, 29, 28, 27, 26, 25, 24))


__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void flash(__global float* restrict out, __global float* restrict out2, __global const float* restrict x,
           __global const wtype* restrict w, __global const uint* restrict bits,
           const int h, const int d, __local float* red) {
    const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;
    const int wpr = (h + 31) >> 5;               // mask words per row and plane
    const int nch = h >> 3;                      // chunks of 8 columns per row
    const int stride = get_num_groups(0) * WPG * R;
    for (int base = get_group_id(0) * WPG * R; base < d; base += stride) {   // same trip count in the group
        const int r0 = base + warp * R;          // this warp's rows r0 .. r0 + R − 1
        float acc[NACC];
        #pragma unroll
        for (int k = 0; k < NACC; k++) acc[k] = 0.0f;
        for (int c = 0; c < nch; c += 32 * CPL) {
            // 1. issue the step's loads: R·CPL vectors of W and their R·CPL·NM mask words (already shifted)
            float8 wv[R][CPL];
            uint mw[R][CPL][NM];
            #pragma unroll
            for (int rr = 0; rr < R; rr++) {
                const int r = min(r0 + rr, d - 1);    // rows past d compute garbage, never written
                #pragma unroll
                for (int j = 0; j < CPL; j++) {
#if EVEN
                    const int ch = c + 32 * j + lane;
#else
                    const int ch = min(c + 32 * j + lane, nch - 1);   // chunks past the row are zeroed below
#endif
                    wv[rr][j] = LOAD8(w, (long) r * h + (ch << 3));
                    #pragma unroll
                    for (int i = 0; i < NM; i++)
                        mw[rr][j][i] = bits[((long) r * NM + i) * wpr + (ch >> 2)] >> ((lane & 3) << 3);
#if !EVEN
                    if (c + 32 * j + lane >= nch) wv[rr][j] = (float8) 0.0f;
#endif
                }
            }
            // 2. the math, chunk by chunk; x (B, 8) is loaded once per chunk (as float8: vload8 became 8 scalar
            //    loads on NVIDIA, run 7) and reused by the R rows
            #pragma unroll
            for (int j = 0; j < CPL; j++) {
#if EVEN
                const int c0 = (c + 32 * j + lane) << 3;
#else
                const int c0 = min(c + 32 * j + lane, nch - 1) << 3;
#endif
                float8 xv[BB];
                #pragma unroll
                for (int b = 0; b < BB; b++) xv[b] = *(const __global float8*) (x + b * h + c0);   // 32-byte aligned: h % 8 == 0
                #pragma unroll
                for (int rr = 0; rr < R; rr++) {
#if SMEAR
                    #pragma unroll
                    for (int b = 0; b < BB; b++) acc[(rr * BB + b) * NV] += dot8(xv[b], wv[rr][j]);
                    #pragma unroll
                    for (int i = 0; i < NM; i++) {
                        const float8 u = select((float8) 0.0f, wv[rr][j], SMEAR8(mw[rr][j][i]));   // M_i ⊙ w
                        #pragma unroll
                        for (int b = 0; b < BB; b++) acc[(rr * BB + b) * NV + 1 + i] += dot8(xv[b], u);
                    }
#else
                    #pragma unroll
                    for (int b = 0; b < BB; b++) {
                        const float8 p = xv[b] * wv[rr][j];
                        acc[(rr * BB + b) * NV] += HSUM8(p);
                        #pragma unroll
                        for (int i = 0; i < NM; i++) MASKED_ADD(acc[(rr * BB + b) * NV + 1 + i], p, mw[rr][j][i]);
                    }
#endif
                }
            }
        }
        // 3. reduce over the warp's lanes, then one lane per (row, batch) runs the epilogue
#if SHFL
        #pragma unroll
        for (int k = 0; k < NACC; k++) acc[k] = warp_sum(acc[k]);
        #pragma unroll
        for (int rb = 0; rb < R * BB; rb++) {
            const int rr = rb / BB, b = rb % BB, r = r0 + rr;
            if (lane != (rb & 31) || r >= d) continue;
#define TOT(v) acc[rb * NV + (v)]
#else
        #pragma unroll
        for (int k = 0; k < NACC; k++) red[k * LS + lid] = acc[k];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int rb = lane; rb < R * BB; rb += 32) {
            const int rr = rb / BB, b = rb % BB, r = r0 + rr;
            if (r >= d) continue;
            float tot[NV];
            for (int v = 0; v < NV; v++) {
                float s = 0.0f;
                for (int l = 0; l < 32; l++) s += red[(rb * NV + v) * LS + warp * 32 + l];
                tot[v] = s;
            }
#define TOT(v) tot[v]
#endif
            const float t = TOT(0);
#if MODE == 0
            float y = 0.0f;
            #pragma unroll
            for (int i = 0; i < NM; i++) {
                const float s = TOT(1 + i);
                y += act(s) * (t - s);
            }
            out[b * d + r] = y;
#else
            out[b * d + r] = t;
            #pragma unroll
            for (int i = 0; i < NM; i++) out2[(i * BB + b) * d + r] = TOT(1 + i);
#endif
        }
#if !SHFL
        barrier(CLK_LOCAL_MEM_FENCE);            // red is reused by the next task
#endif
    }
}
