// jmglu OpenCL: the row helpers of the decode attention kernels attn_warp.cl and attn_wg.cl (both "//! needs" this
// file; it comes first in their programs). Lane L holds the DPL = ceil(HD/32) dims e0 = L·DPL .. e0 + DPL − 1 of a
// head row (0 past HD). Build-time: HD, DPL, F4 (the kernels'), KVH (the caches' storage, common.cl); the macros expect
// the lane's e0 in scope.

#define VEC4 (DPL % 4 == 0 && HD == 32 * DPL)    /* whole float4 runs a lane */

// r[i] = src[e0 + i] rotated by RoPE with the angles of row t of tab (rope != 0), or copied; 0 past HD.
// Element e of pair pe turns by (c, s) = (t[2pe], t[2pe + 1]): the first of the pair becomes x0·c − x1·s, the second x0·s + x1·c.
#define ROTATE(r, src, t, rope, e0)                                                        \
    for (int i = 0; i < DPL; i++) {                                                        \
        const int e = (e0) + i;                                                            \
        float y = 0.0f;                                                                    \
        if (e < HD) {                                                                      \
            if (rope == 0) y = (src)[e];                                                   \
            else {                                                                         \
                const int np = HD / 2, first = rope == 1 ? (e & 1) == 0 : e < np;          \
                const int pe = rope == 1 ? e >> 1 : (first ? e : e - np), d = rope == 1 ? 1 : np; \
                const float c = (t)[2 * pe], s = (t)[2 * pe + 1];                          \
                y = first ? (src)[e] * c - (src)[e + d] * s : (src)[e - d] * s + (src)[e] * c; \
            }                                                                              \
        }                                                                                  \
        (r)[i] = y;                                                                        \
    }

// x[0, DPL) = the lane's dims of one key row of a cache (KV_T, common.cl; 0 past HD)
#if VEC4 && F4                                     /* rows aligned (4 elements): one aligned 4-element load a lane */
#define LOAD_ROW(dst, row)                                                                 \
    for (int i = 0; i < DPL; i += 4) {                                                     \
        const float4 f = KV_LDA4((row) + i);                                               \
        (dst)[i] = f.s0; (dst)[i + 1] = f.s1; (dst)[i + 2] = f.s2; (dst)[i + 3] = f.s3;     \
    }
#elif VEC4
#define LOAD_ROW(x, row) for (int i = 0; i < DPL; i += 4) vstore4(KV_LD4((row) + i), 0, (x) + i);
#else
#define LOAD_ROW(x, row) for (int i = 0; i < DPL; i++) x[i] = e0 + i < HD ? KV_LD(row, i) : 0.0f;
#endif

// The new position p's k_p (rotated, with the angles tp) and v_p of kv head hk, from the step's k, v rows into kn, vn,
// rounded as the caches store them (KV_ROUND); the first query head of the kv group (j % group == 0) writes them into
// the caches at p (so one writer a kv head).
// Expects the kernels' names in scope: k, ko, ks, v, vo, vs, kc, kco, vc, vco, b, j, hk, group, row0, p, kv, rope, e0.
#define TAKE_NEW_KV(kn, vn, tp)                                                            \
    ROTATE(kn, k + ko + (long) b * ks + hk * HD, tp, rope, e0)                             \
    for (int i = 0; i < DPL; i++) {                                                        \
        kn[i] = KV_ROUND(kn[i]);                                                           \
        vn[i] = e0 + i < HD ? KV_ROUND(v[vo + (long) b * vs + hk * HD + e0 + i]) : 0.0f;   \
    }                                                                                      \
    if (j % group == 0)                                                                    \
        for (int i = 0; i < DPL; i++)                                                      \
            if (e0 + i < HD) {                                                             \
                KV_ST(kn[i], kc, kco + row0 + (long) p * kv + e0 + i);                     \
                KV_ST(vn[i], vc, vco + row0 + (long) p * kv + e0 + i);                     \
            }
