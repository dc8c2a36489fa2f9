// jmglu causal attention of a prefill: P query rows (positions p0 .. p0 + P − 1 of the sequence in cache row crow)
// over the cached keys 0 .. p0 + i, all rows and heads in one launch (flash-attention tiling on CUDA cores, f32).
//
// Layouts as attention.cl's: row i of q at q[qo + i·qs], query head j at j·HD; KV caches (B, maxT, kv), kv =
// nKv·HD, head hk = j / (nH / nKv) of position u at kc[kco + (crow·maxT + u)·kv + hk·HD] (written, rotated, by
// rope_kv before this launch); tab (·, HD/2, 2) RoPE's cos, sin; rope 0 none, 1 interleaved, 2 halves.
// out (P, nH·HD) from oo.
//
// Work-group (query block qb of QB = 16 rows, head j), LS = 128 threads; block-major order, the last (longest)
// blocks first. q rows rotated and scaled by 1/√HD into ql. Then per tile of KB = 32 keys up to the block's last
// position: K and V into kl, vl (rows padded to HDP = HD + 1 floats: the threads of a warp reading 8 keys or 8
// columns fall in distinct banks), the scores S (QB × KB) into sl, thread (r = lid / 8, c = lid % 8) scoring keys
// c, c + 8, c + 16, c + 24 for query row r (keys past the row's position −∞); then every thread of row r reads the
// row's KB scores (the online softmax: m = running max, l = Σ e^(s − m), its output columns c + 8·t scaled by
// e^(m_old − m_new) and added Σ_k e^(s_k − m) v_k). out = o / l.
// Build-time: HD, ROPE, KVH (the caches' storage, common.cl: halves widened into kl, vl).

#define QB 16
#define KB 32
#define LS 128
#define HDP (HD + 1)
#define OD ((HD + 7) / 8)                /* output columns a thread owns: c + 8·t, t < OD */

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void prefill_attn(__global float* restrict out, const int oo, __global const float* restrict q, const int qo, const int qs,
                  __global const KV_T* restrict kc, const int kco, __global const KV_T* restrict vc, const int vco,
                  __global const float* restrict tab, const int crow, const int p0, const int P, const int nH, const int nKv,
                  const int maxT, const float scale, __local float* ql, __local float* kl, __local float* vl, __local float* sl) {
    const int lid = get_local_id(0), r = lid >> 3, c = lid & 7;
    const int nqb = (P + QB - 1) / QB, g = get_group_id(0);
    const int qb = nqb - 1 - g / nH, j = g % nH;
    const int kv = nKv * HD, hk = j / (nH / nKv), i0 = qb * QB;
    // q rows i0 .. i0 + QB − 1 (zero past P), rotated at their positions, times the scale
    for (int idx = lid; idx < QB * (HD / 2); idx += LS) {
        const int i = idx / (HD / 2), e = idx % (HD / 2), row = i0 + i;
#if ROPE == 0
        const int a = 2 * e, b = a + 1;
#elif ROPE == 1
        const int a = 2 * e, b = a + 1;
#else
        const int a = e, b = e + HD / 2;
#endif
        float x0 = 0.0f, x1 = 0.0f;
        if (row < P) {
            __global const float* src = q + qo + (long) row * qs + j * HD;
            x0 = src[a];
            x1 = src[b];
#if ROPE != 0
            __global const float* t = tab + (long) (p0 + row) * HD;
            const float cs = t[2 * e], sn = t[2 * e + 1], y0 = x0 * cs - x1 * sn, y1 = x0 * sn + x1 * cs;
            x0 = y0;
            x1 = y1;
#endif
        }
        ql[i * HDP + a] = x0 * scale;
        ql[i * HDP + b] = x1 * scale;
    }
#if HD % 2 == 1
    for (int i = lid; i < QB; i += LS) ql[i * HDP + HD - 1] = i0 + i < P ? q[qo + (long) (i0 + i) * qs + j * HD + HD - 1] * scale : 0.0f;
#endif
    const int qpos = p0 + i0 + r;                                   // this thread's query position
    const bool live = i0 + r < P;
    const int nkeys = p0 + min(P, i0 + QB);                          // keys 0 .. the block's last position
    const long base = (long) crow * maxT * kv + hk * HD;
    float m = -INFINITY, l = 0.0f, o[OD];
    #pragma unroll
    for (int t = 0; t < OD; t++) o[t] = 0.0f;
    for (int u0 = 0; u0 < nkeys; u0 += KB) {
        barrier(CLK_LOCAL_MEM_FENCE);                                // the previous tile's kl, vl, sl read by all
        for (int idx = lid; idx < KB * HD; idx += LS) {
            const int k = idx / HD, e = idx % HD, u = u0 + k;
            const bool in = u < nkeys;
            kl[k * HDP + e] = in ? KV_LD(kc, kco + base + (long) u * kv + e) : 0.0f;
            vl[k * HDP + e] = in ? KV_LD(vc, vco + base + (long) u * kv + e) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int e = 0; e < HD; e++) {
            const float qe = ql[r * HDP + e];
            #pragma unroll
            for (int t = 0; t < 4; t++) s[t] += qe * kl[(c + 8 * t) * HDP + e];
        }
        #pragma unroll
        for (int t = 0; t < 4; t++) sl[r * KB + c + 8 * t] = u0 + c + 8 * t <= qpos && live ? s[t] : -INFINITY;
        barrier(CLK_LOCAL_MEM_FENCE);
        float mx = m;
        #pragma unroll
        for (int k = 0; k < KB; k++) mx = fmax(mx, sl[r * KB + k]);
        if (mx == -INFINITY) continue;                                // a row past P, or no key of this tile yet
        const float alpha = exp(m - mx);                             // 0 on the first tile (m = −∞)
        float p[KB], sum = 0.0f;
        #pragma unroll
        for (int k = 0; k < KB; k++) { p[k] = exp(sl[r * KB + k] - mx); sum += p[k]; }
        l = l * alpha + sum;
        m = mx;
        #pragma unroll
        for (int t = 0; t < OD; t++) {
            const int e = c + 8 * t;
            if (e < HD) {
                float a = o[t] * alpha;
                #pragma unroll
                for (int k = 0; k < KB; k++) a += p[k] * vl[k * HDP + e];
                o[t] = a;
            }
        }
    }
    if (!live) return;
    __global float* dst = out + oo + (long) (i0 + r) * nH * HD + j * HD;
    #pragma unroll
    for (int t = 0; t < OD; t++)
        if (c + 8 * t < HD) dst[c + 8 * t] = o[t] / l;
}
