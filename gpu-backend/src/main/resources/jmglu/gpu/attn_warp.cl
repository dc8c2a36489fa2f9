//! needs attn_rows.cl
// jmglu OpenCL decode attention, one warp per (row, head, split of SK keys): what attention.cl's rope_attn does for a
// decode step (crow < 0), without local memory or barriers on NVIDIA (warp shuffles through inline PTX).
//
// Layouts as rope_attn's (attention.cl): q, k, v rows at q[qo + b·qs] etc., query head j at j·HD, kv head
// hk = j / (nH / nKv); caches (B, maxT, kv), kv = nKv·HD, row b's position u at (b·maxT + u)·kv; tab (P, HD/2, 2)
// cos, sin; rope 0 none, 1 interleaved pairs (2e, 2e + 1), 2 halves (e, e + HD/2).
//
// Lane L of a warp owns the DPL = ceil(HD/32) dims e0 = L·DPL .. e0 + DPL − 1 of a head (lanes past HD hold zeros):
//   q      RoPE in registers (each lane reads its dims and their pair partners from q and tab: no exchange);
//   scores the split's keys u0 + t, t < SK = 32·KPL, are read at once, one DPL-float run per lane and key (HD = 128:
//          one float4 a lane, 512 contiguous bytes a key); lane L keeps the partial dots d_t = Σ_{its dims} q·k_t,
//          then a transpose butterfly adds them across lanes: at offset o ∈ {16, 8, 4, 2, 1} each lane keeps the
//          half of its values whose key bit o matches its own lane bit o, sends the other half to lane L ^ o and adds
//          what comes back. 16 + 8 + 4 + 2 + 1 = 31 shuffles leave the full score of key t = L in lane L (per 32 keys);
//   softmax m = max, p_t = e^(s_t − m), l = Σ p_t: butterflies of 5 shuffles;
//   values acc[e] = Σ_t p_t v_t[e], p_t broadcast from lane t (its V rows read at once, as K's).
// Order per 32 keys (what keeps the chain short): K rows issued before q's RoPE, V rows issued right after the dots
// (in flight during the butterfly and softmax), the 32 p_t gathered before the value sums. No shuffle sits between a
// load and its use: with the broadcasts inside the value loop (lab/gpu/attn-run call 1) the loads went one at a time
// and B = 1 was no faster than rope_attn. 64 keys (KPL = 2): two such chunks, an online softmax between them.
// The split that holds the new position p = pos[b] (its last key) takes k_p (rotated) and v_p from k, v instead of
// the caches, and the warp of the first query head of the group writes them there: no warp reads what another writes.
// Splits leave (m, l, acc) in part[(hq·nsplit + s)·(HD + 2)], take a ticket tick[hq] (atomic_inc after a device-wide
// fence); the last of a (row, head)'s ns splits merges them: lane s reads split s's (m_s, l_s), M = max m_s,
// w_s = e^(m_s − M), out[e] = Σ_s w_s acc_s[e] / Σ_s w_s l_s (in chunks of 32 splits, an online softmax between chunks),
// then puts the ticket back to 0. ns = 1: out written directly.
//
// Build-time: HD, DPL, KPL (1 or 2), WPG warps a work-group, SHFL (1: shfl.sync, NVIDIA; 0: through local memory,
// where the work-group is one warp, WPG = 1, and every lane reaches every exchange), SHV (1: the shuffles asm volatile),
// F4 (1: K and V rows read as aligned 4-element loads, the caches' offsets multiples of 4 elements; 0: vload4 /
// vload_half4), KVH (1: the caches hold halves, common.cl).

#define SK (32 * KPL)

inline int pick16w(int16 v, int i) {
    int a[16];
    vstore16(v, 0, a);
    return a[i];
}

#if SHFL
#if SHV                                            /* asm volatile: the compiler keeps the shuffles in place */
#define ASM asm volatile
#else
#define ASM asm
#endif
inline float shx(float v, int o) {                 // the value of lane L ^ o
    float t;
    ASM("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v), "r"(o));
    return t;
}
inline float shi(float v, int s) {                 // the value of lane s
    float t;
    ASM("shfl.sync.idx.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v), "r"(s));
    return t;
}
#define SHX(v, o) shx(v, o)
#define BCAST_BEGIN(v)                             /* lane t's value: shi(v, t) */
#define BCAST(v, t) shi(v, t)
#define BCAST_END
#else
inline float shx_l(float v, int o, __local float* sc, int L) {
    sc[L] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    const float t = sc[L ^ o];
    barrier(CLK_LOCAL_MEM_FENCE);
    return t;
}
#define SHX(v, o) shx_l(v, o, sc, L)
#define BCAST_BEGIN(v) sc[L] = (v); barrier(CLK_LOCAL_MEM_FENCE);
#define BCAST(v, t) sc[t]
#define BCAST_END barrier(CLK_LOCAL_MEM_FENCE);
#endif


// one step of the transpose butterfly over d[0, 2o): d[t] ← (kept half) + (the partner's copy of it)
#define BFLY(d, o)                                                                         \
    _Pragma("unroll") for (int t = 0; t < o; t++) {                                        \
        const bool up = (L & o) != 0;                                                      \
        const float send = up ? d[t] : d[t + o], keep = up ? d[t + o] : d[t];              \
        d[t] = keep + SHX(send, o);                                                        \
    }

__kernel __attribute__((reqd_work_group_size(32 * WPG, 1, 1)))
void attn_warp(__global float* restrict out, const int oo, __global float* restrict part, __global volatile uint* tick,
               __global const float* q, const int qo, const int qs,
               __global const float* k, const int ko, const int ks,
               __global const float* v, const int vo, const int vs,
               __global KV_T* kc, const int kco, __global KV_T* vc, const int vco,
               __global const float* tab, const int rope, const int16 pos,
               const int nH, const int nKv, const int maxT, const float scale, const int nsplit, const int nwarps) {
#if !SHFL
    __local float sc[32];
    __local uint lastl;
#endif
    const int L = get_local_id(0) % 32, w = get_group_id(0) * WPG + get_local_id(0) / 32;
    if (w >= nwarps) return;                                  // whole warps only
    const int sp = w % nsplit, hq = w / nsplit, b = hq / nH, j = hq % nH;
    const int p = pick16w(pos, b), len = p + 1, kv = nKv * HD, group = nH / nKv, hk = j / group;
    const int u0 = sp * SK, cnt = min(SK, len - u0), ns = (len + SK - 1) / SK;
    if (cnt <= 0) return;                                     // a split past this row's length: no partial, no ticket
    const bool mine = u0 + cnt == len;                        // holds the new position p, as its last key
    const int old = mine ? cnt - 1 : cnt, e0 = L * DPL;       // keys read from the cache; this lane's first dim
    const int lastc = max(old - 1, 0), nt = mine ? cnt - 1 : -1;       // the last cached key (rows past it clamped to it); the new key
    const long row0 = (long) b * maxT * kv + hk * HD;         // cache row b, head hk, position 0
    __global const KV_T* kr = kc + kco + row0 + (long) u0 * kv + e0;
    __global const KV_T* vr = vc + vco + row0 + (long) u0 * kv + e0;
    // Per 32 keys: their K rows are read at once (unconditionally: rows past the cached ones clamped, masked by selects
    // after), the partial dots taken, their V rows put in flight, then the butterfly, the softmax and the value sums,
    // online across chunks (KPL = 2): with m' = max(m, the chunk's max), (l, acc) ← e^(m − m')·(l, acc) + the chunk's.
    float qr[DPL], kn[DPL], vn[DPL], acc[DPL], m = -INFINITY, l = 0.0f, pn = 0.0f, dn = 0.0f;   // kn, vn: k_p, v_p (0 unless mine)
    for (int i = 0; i < DPL; i++) kn[i] = vn[i] = acc[i] = 0.0f;
    #pragma unroll
    for (int c = 0; c < KPL; c++) {
        if (32 * c >= cnt) break;                             // (uniform) no key of this chunk
        float x[32][DPL], d[32];
        #pragma unroll
        for (int t = 0; t < 32; t++) LOAD_ROW(x[t], kr + (long) min(32 * c + t, lastc) * kv)
        if (c == 0) {                                         // while K is in flight: RoPE of q, and of k_p by its split
            __global const float* tp = tab + (long) p * HD;
            ROTATE(qr, q + qo + (long) b * qs + j * HD, tp, rope, e0)
            if (mine) {
                TAKE_NEW_KV(kn, vn, tp)                       // the group's first query head writes k_p, v_p
                for (int i = 0; i < DPL; i++) dn += qr[i] * kn[i];    // the lane's part of q·k_p
            }
        }
        #pragma unroll
        for (int t = 0; t < 32; t++) {
            const int tt = 32 * c + t;
            float a = 0.0f;
            for (int i = 0; i < DPL; i++) a += qr[i] * x[t][i];
            d[t] = tt < old ? a : tt == nt ? dn : 0.0f;       // selects: a stale row never counts
        }
        #pragma unroll
        for (int t = 0; t < 32; t++) LOAD_ROW(x[t], vr + (long) min(32 * c + t, lastc) * kv)   // V in flight from here
        BFLY(d, 16) BFLY(d, 8) BFLY(d, 4) BFLY(d, 2) BFLY(d, 1)
        const float sl = 32 * c + L < cnt ? d[0] * scale : -INFINITY;    // the score of key 32c + L
        float mc = sl;
        for (int o = 16; o > 0; o >>= 1) mc = fmax(mc, SHX(mc, o));
        const float mn = fmax(m, mc), r = exp(m - mn), pl = exp(sl - mn);  // r = 0 on the first chunk; pl = 0 past cnt
        float lc = pl;
        for (int o = 16; o > 0; o >>= 1) lc += SHX(lc, o);
        l = l * r + lc;
        pn *= r;
        for (int i = 0; i < DPL; i++) acc[i] *= r;
        m = mn;
        float pt[32];                                         // p of key 32c + t, from lane t
        BCAST_BEGIN(pl)
        #pragma unroll
        for (int t = 0; t < 32; t++) pt[t] = BCAST(pl, t);
        BCAST_END
        #pragma unroll
        for (int t = 0; t < 32; t++) {
            const int tt = 32 * c + t;
            for (int i = 0; i < DPL; i++) acc[i] += tt < old ? pt[t] * x[t][i] : 0.0f;
            pn = tt == nt ? pt[t] : pn;
        }
    }
    for (int i = 0; i < DPL; i++) acc[i] += pn * vn[i];          // pn = 0 unless mine
    if (ns == 1) {
        for (int i = 0; i < DPL; i++) if (e0 + i < HD) out[oo + (long) hq * HD + e0 + i] = acc[i] / l;
        return;
    }
    __global float* pp = part + (long) w * (HD + 2);
    if (L == 0) {
        pp[0] = m;
        pp[1] = l;
    }
    for (int i = 0; i < DPL; i++) if (e0 + i < HD) pp[2 + e0 + i] = acc[i];
    // this split's partial visible device-wide, then its ticket; the last split merges
#if SHFL
    asm volatile("membar.gl;" ::: "memory");
    asm volatile("bar.warp.sync 0xffffffff;" ::: "memory");   // every lane's fence before lane 0's ticket
    uint tk = 0u;
    if (L == 0) tk = atomic_inc(tick + hq);
    const bool last = as_uint(shi(as_float(tk), 0)) == (uint) (ns - 1);
    if (!last) return;
    asm volatile("membar.gl;" ::: "memory");
#else
    mem_fence(CLK_GLOBAL_MEM_FENCE);
    barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
    if (L == 0) lastl = atomic_inc(tick + hq) == (uint) (ns - 1);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!lastl) return;
    mem_fence(CLK_GLOBAL_MEM_FENCE);
#endif
    // the merge, 32 splits a chunk: lane L reads split s0 + L's (m, l), every lane its dims of the chunk's 32 acc's (all
    // loads at once; volatile: past the caches that other warps' writes did not go through; split index clamped)
    __global volatile const float* pv = (__global volatile const float*) (part + (long) hq * nsplit * (HD + 2));
    const int st = HD + 2;
    float M = -INFINITY, Ls = 0.0f;
    for (int i = 0; i < DPL; i++) acc[i] = 0.0f;
    for (int s0 = 0; s0 < ns; s0 += 32) {
        const bool in = s0 + L < ns;
        const float ms = in ? pv[(long) (s0 + L) * st] : -INFINITY, ls = in ? pv[(long) (s0 + L) * st + 1] : 0.0f;
        float x[32][DPL], wt[32];
        #pragma unroll
        for (int t = 0; t < 32; t++) {
            __global volatile const float* r = pv + (long) min(s0 + t, ns - 1) * st + 2 + e0;
            for (int i = 0; i < DPL; i++) x[t][i] = e0 + i < HD ? r[i] : 0.0f;
        }
        float mc = fmax(M, ms);
        for (int o = 16; o > 0; o >>= 1) mc = fmax(mc, SHX(mc, o));
        const float sc0 = exp(M - mc), ws = exp(ms - mc);     // 0 on the first chunk (M = −∞); 0 past ns
        float wl = ws * ls;
        for (int o = 16; o > 0; o >>= 1) wl += SHX(wl, o);
        Ls = Ls * sc0 + wl;
        for (int i = 0; i < DPL; i++) acc[i] *= sc0;
        const int cn = min(32, ns - s0);
        BCAST_BEGIN(ws)
        #pragma unroll
        for (int t = 0; t < 32; t++) wt[t] = BCAST(ws, t);
        BCAST_END
        #pragma unroll
        for (int t = 0; t < 32; t++)
            for (int i = 0; i < DPL; i++) acc[i] += t < cn ? wt[t] * x[t][i] : 0.0f;
        M = mc;
    }
    for (int i = 0; i < DPL; i++) if (e0 + i < HD) out[oo + (long) hq * HD + e0 + i] = acc[i] / Ls;
    if (L == 0) tick[hq] = 0u;
}
