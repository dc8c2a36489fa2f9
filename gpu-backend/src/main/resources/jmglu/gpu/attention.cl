// jmglu OpenCL attention of one decode step, split over the KV length (flash-decoding):
// RoPE of q and k + the KV-cache write + the attention of every query head + the merge of the splits,
// in one launch of n·nH·nsplit work-groups (the last split of a (row, head) to finish merges them).
//
// Layouts (float32; the caches KV_T, common.cl: float, or halves when built with KVH = 1): row b < n of q, k, v at
// q[qo + b·qs], k[ko + b·ks], v[vo + b·vs] (separate tensors, or the columns of one (n, nH·hd + 2·kv) buffer made by
// one GEMV over [Wq; Wk; Wv]);
// query head j at j·hd, key/value head hk = j / (nH / nKv) at hk·hd. KV caches (B, maxT, kv),
// kv = nKv·hd, row b's position u at (b·maxT + u)·kv. tab (P, hd/2, 2): cos, sin of RoPE's angles; rope:
// 0 none, 1 interleaved pairs (2j, 2j + 1), 2 halves (j, j + hd/2).
//
// Work-group (b, j, split s) with LS threads owns keys u ∈ [s·SK, min((s+1)·SK, len)), len = pos[b] + 1
// (SK keys a split: more splits, more work-groups in flight at B = 1). The new position p = pos[b] is the last key of the last non-empty split; that
// split rotates k_p itself (local memory) instead of reading the cache, and the work-group of the
// first query head of the group writes k_p, v_p to the caches: no work-group reads what another
// writes in the same launch. Each split leaves (m, l, acc) with m = max score, l = Σ e^(s_u − m),
// acc = Σ e^(s_u − m) v_u; out = Σ_s e^(m_s − M) acc_s / Σ_s e^(m_s − M) l_s, M = max_s m_s. Only the
// ns = ceil(len / SK) non-empty splits of a row take part: each writes its partial, then takes a ticket from
// tick[row·nH + head] (atomic_inc); the one that draws ns − 1 merges the ns partials into out and puts the
// counter back to 0 for the next launch (saves the merge launch, 16 µs a layer at 80 splits on the H200,
// lab/gpu/decode-run6). A row of ns = 1 writes out directly.

inline int pick16(int16 v, int i) {
    int a[16];
    vstore16(v, 0, a);
    return a[i];
}

// dst[0, hd) = src[0, hd) rotated by RoPE at position row t of tab (rope != 0), else copied: pair e turns by
// (cos, sin) = (t[2e], t[2e + 1]); its elements are (2e, 2e + 1) for rope == 1 (interleaved) or (e, e + hd/2)
// for rope == 2 (halves, Hugging Face's rotate_half); kv: rounded as the caches store it (a new key, KV_ROUND)
inline void rotate(__local float* dst, __global const float* src, __global const float* t, const int hd,
                   const int rope, const int lid, const int LS, const bool kv) {
    if (!rope) {
        for (int e = lid; e < hd; e += LS) dst[e] = kv ? KV_ROUND(src[e]) : src[e];
        return;
    }
    const int np = hd / 2;
    for (int e = lid; e < np; e += LS) {
        const int a = rope == 2 ? e : 2 * e, b = a + (rope == 2 ? np : 1);
        const float x0 = src[a], x1 = src[b], c = t[2 * e], s = t[2 * e + 1];
        const float ya = x0 * c - x1 * s, yb = x0 * s + x1 * c;
        dst[a] = kv ? KV_ROUND(ya) : ya;
        dst[b] = kv ? KV_ROUND(yb) : yb;
    }
}

// The merge of ns partials pv[s·(hd + 2)] = (m_s, l_s, acc_s) of one (row, head) into o[0, hd) by one work-group,
// after the other groups wrote them. Thread lid owns elements e1 = e0 + lid and e2 = e1 + LS of each block of 2·LS
// and runs an online softmax over the splits in chunks of CAP: per chunk it issues the CAP m's and l's (the same
// addresses in every thread: one transaction a warp) and its CAP·2 acc elements at once, then with
// M' = max(M, m_s of the chunk): (L, a) ← e^(M − M')·(L, a) + Σ_s e^(m_s − M')·(l_s, acc_s[e]). No trees, no barriers:
// ceil(ns / CAP) round trips to L2. The loads are volatile (past the non-coherent caches: other groups wrote them).
#define CAP 16
inline void merge(__global float* restrict o, __global volatile const float* pv, const int hd, const int ns, const int lid, const int LS) {
    const int st = hd + 2;
    for (int e0 = 0; e0 < hd; e0 += 2 * LS) {
        const int e1 = e0 + lid, e2 = e1 + LS;
        float M = -INFINITY, L = 0.0f, a1 = 0.0f, a2 = 0.0f;
        for (int s0 = 0; s0 < ns; s0 += CAP) {
            float m[CAP], l[CAP], x1[CAP], x2[CAP];
            #pragma unroll
            for (int k = 0; k < CAP; k++) {
                const bool in = s0 + k < ns;
                const long r = (long) (s0 + k) * st;
                m[k] = in ? pv[r] : -INFINITY;
                l[k] = in ? pv[r + 1] : 0.0f;
                x1[k] = in && e1 < hd ? pv[r + 2 + e1] : 0.0f;
                x2[k] = in && e2 < hd ? pv[r + 2 + e2] : 0.0f;
            }
            float mc = M;
            #pragma unroll
            for (int k = 0; k < CAP; k++) mc = fmax(mc, m[k]);
            const float sc = exp(M - mc);                  // 0 on the first chunk (M = −∞)
            L *= sc;
            a1 *= sc;
            a2 *= sc;
            #pragma unroll
            for (int k = 0; k < CAP; k++) {
                const float w = exp(m[k] - mc);            // 0 past ns (m = −∞)
                L += w * l[k];
                a1 += w * x1[k];
                a2 += w * x2[k];
            }
            M = mc;
        }
        if (e1 < hd) o[e1] = a1 / L;
        if (e2 < hd) o[e2] = a2 / L;
    }
}

// part (n·nH·nsplit, hd + 2): each split's m, l, acc (unused when ns == 1: out is written directly); tick (n·nH)
// the tickets, 0 between launches.
// A split holds SK keys (SK a power of two dividing LS): for the scores each key takes TPK = LS / SK threads,
// thread (key kk, part qq) summing the 4-float pieces qq, qq + TPK, ... of q·k (one piece apart: coalesced
// 4·TPK-float runs of one key row); the pieces meet in red, the softmax of the SK scores is done by every
// thread from local memory, then thread e of the value pass sums p_u v_u[e] over the split's keys.
// Local: ql, kl, vl hd floats each, pl SK floats, red LS floats. hd is even when rope != 0.
// crow < 0: row b is a sequence of its own (cache row b) and brings position pos[b] with it (k, v are read);
// crow ≥ 0: every row is a position of the one sequence in cache row crow (a prefill), whose k, v
// rope_kv has already written to the cache: all keys are read from it (k, v are not read).
__kernel void rope_attn(__global float* restrict out, const int oo, __global float* restrict part, __global volatile uint* tick,
                        __global const float* q, const int qo, const int qs,
                        __global const float* k, const int ko, const int ks,
                        __global const float* v, const int vo, const int vs,
                        __global KV_T* kc, const int kco, __global KV_T* vc, const int vco,
                        __global const float* tab, const int rope, const int16 pos, const int crow,
                        const int nH, const int nKv, const int hd, const int maxT, const float scale, const int nsplit,
                        const int SK, __local float* ql, __local float* kl, __local float* vl, __local float* pl, __local float* red) {
    __local int last;
    const int grp = get_group_id(0), sp = grp % nsplit, hq = grp / nsplit, b = hq / nH, j = hq % nH;
    const int lid = get_local_id(0), LS = get_local_size(0), TPK = LS / SK;
    const int p = pick16(pos, b), len = p + 1, kv = nKv * hd, group = nH / nKv, hk = j / group;
    const int u0 = sp * SK, u1 = min(u0 + SK, len), cnt = u1 - u0, ns = (len + SK - 1) / SK;
    __global float* pp = part + (long) grp * (hd + 2);
    if (cnt <= 0) return;                             // a split past this row's length: no partial, no ticket
    const bool mine = crow < 0 && u1 == len;          // this split holds the new position p (its last key)
    __global const float* tp = tab + (long) p * hd;
    rotate(ql, q + qo + (long) b * qs + j * hd, tp, hd, rope, lid, LS, false);
    if (mine) {
        rotate(kl, k + ko + (long) b * ks + hk * hd, tp, hd, rope, lid, LS, true);    // k_p, v_p as the caches will hold them
        for (int e = lid; e < hd; e += LS) vl[e] = KV_ROUND(v[vo + (long) b * vs + hk * hd + e]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const long row0 = (long) (crow < 0 ? b : crow) * maxT * kv + hk * hd;   // the cache row, head hk, position 0
    if (mine && j % group == 0)
        for (int e = lid; e < hd; e += LS) {
            KV_ST(kl[e], kc, kco + row0 + (long) p * kv + e);
            KV_ST(vl[e], vc, vco + row0 + (long) p * kv + e);
        }
    const int kk = lid / TPK, qq = lid % TPK;
    float a = 0.0f;
    if (kk < cnt) {
        const int u = u0 + kk;
        __global const KV_T* kr = kc + kco + row0 + (long) u * kv;
        if (mine && u == p) {
            for (int e = qq; e < hd; e += TPK) a += ql[e] * kl[e];
        } else if ((hd & 3) == 0) {
            for (int e = 4 * qq; e < hd; e += 4 * TPK) a += dot(vload4(0, ql + e), KV_LD4(kr + e));
        } else {
            for (int e = qq; e < hd; e += TPK) a += ql[e] * KV_LD(kr, e);
        }
    }
    red[lid] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < cnt) {
        float s = 0.0f;
        for (int t = 0; t < TPK; t++) s += red[lid * TPK + t];
        pl[lid] = s * scale;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float m = -INFINITY;
    for (int t = 0; t < cnt; t++) m = fmax(m, pl[t]);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < cnt) pl[lid] = exp(pl[lid] - m);
    barrier(CLK_LOCAL_MEM_FENCE);
    float l = 0.0f;
    for (int t = 0; t < cnt; t++) l += pl[t];
    const int old = mine ? cnt - 1 : cnt;                         // keys read from the cache
    __global const KV_T* vr = vc + vco + row0 + (long) u0 * kv;
    for (int e = lid; e < hd; e += LS) {
        float acc = 0.0f;
        #pragma unroll 4
        for (int t = 0; t < old; t++) acc += pl[t] * KV_LD(vr, (long) t * kv + e);
        if (mine) acc += pl[cnt - 1] * vl[e];
        if (ns == 1) out[oo + (long) hq * hd + e] = acc / l;
        else pp[2 + e] = acc;
    }
    if (ns == 1) return;
    if (lid == 0) {
        pp[0] = m;
        pp[1] = l;
    }
    mem_fence(CLK_GLOBAL_MEM_FENCE);                  // this split's partial is visible device-wide ...
    barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
    if (lid == 0) last = atomic_inc(tick + hq) == (uint) (ns - 1);   // ... before its ticket
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!last) return;
    mem_fence(CLK_GLOBAL_MEM_FENCE);
    merge(out + oo + (long) hq * hd, (__global volatile const float*) (part + (long) hq * nsplit * (hd + 2)), hd, ns, lid, LS);
    if (lid == 0) tick[hq] = 0u;
}

// k, v rows i < n (positions p0 + i of the sequence in cache row crow) → caches, k rotated by RoPE (pairs as
// rotate's, halves != 0 for (j, j + hd/2)); one work-item per (row, kv head, pair); rows as in rope_attn (offset, row stride)
__kernel void rope_kv(__global KV_T* restrict kc, const int kco, __global KV_T* restrict vc, const int vco,
                      __global const float* k, const int ko, const int ks, __global const float* v, const int vo, const int vs,
                      __global const float* tab, const int n, const int p0, const int crow, const int nKv, const int hd, const int maxT,
                      const int halves) {
    const int g = get_global_id(0), np = hd / 2, kv = nKv * hd;
    if (g >= n * nKv * np) return;
    const int i = g / (nKv * np), r = g % (nKv * np), j = r % np;               // row i, head r / np, pair j
    const int ea = (r / np) * hd + (halves ? j : 2 * j), eb = ea + (halves ? np : 1);
    const int p = p0 + i;
    __global const float* t = tab + (long) p * hd + 2 * j;
    const float x0 = k[ko + (long) i * ks + ea], x1 = k[ko + (long) i * ks + eb], c = t[0], s = t[1];
    const long at = ((long) crow * maxT + p) * kv;
    KV_ST(x0 * c - x1 * s, kc, kco + at + ea);
    KV_ST(x0 * s + x1 * c, kc, kco + at + eb);
    KV_ST(v[vo + (long) i * vs + ea], vc, vco + at + ea);
    KV_ST(v[vo + (long) i * vs + eb], vc, vco + at + eb);
}
