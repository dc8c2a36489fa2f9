//! needs shfl.cl attn_rows.cl
// jmglu OpenCL decode attention (issue 12; the default at every B, ClWarpAttention.group): what attn_warp.cl does (RoPE of q and k_p, k_p and
// v_p into the caches, attention split over the KV length, the merge of splits by the last one to finish), with one
// work-group of NW warps per (row, head, split of SK = NW·KW keys) and only KW keys a warp, so that B·nH·len/KW warps
// (thousands at B = 1) keep every SM's loads in flight where attn_warp's one warp per 32 keys gave B = 1 320 warps.
// H200, 16 heads of 128, 640 keys (lab/gpu/attn1-run): B = 1 13.5 µs (attn_warp 15.3), B = 8 31.6 µs (38.9).
//
// Layouts as attn_warp.cl and rope_attn (attention.cl): q, k, v rows at q[qo + b·qs] etc., query head j at j·HD, kv
// head hk = j / (nH / nKv); caches (B, maxT, kv), kv = nKv·HD, row b's position u at (b·maxT + u)·kv; tab (P, HD/2, 2)
// cos, sin; rope 0 none, 1 interleaved pairs (2e, 2e + 1), 2 halves (e, e + HD/2).
//
// Lane L of warp wi holds the DPL = ceil(HD/32) dims e0 = L·DPL .. e0 + DPL − 1 (0 past HD). A split has SK = KW·NW·IT
// keys from u0 = split·SK, taken in IT rounds; in round r warp wi takes keys u = uw + t, t < KW, uw = u0 + (r·NW + wi)·KW:
//   loads  its KW K rows and KW V rows at once (HD = 128: a float4 a lane, 512 contiguous bytes a row), then q and tab;
//   scores d_t = Σ_e q_e·k_t[e]: each lane its DPL products, then a transpose butterfly: at o = KW/2 .. 1 each lane
//          keeps the half of its values whose key bit o is its lane bit o and adds the partner's copy of it (KW − 1
//          shuffles), then the lane groups' partial sums meet (xor KW .. 16): lane L ends with the score of key
//          t = L mod KW; softmax: s_t = scale·d_t, m = max s_t (a xor butterfly over the KW keys, with the rounds
//          before), the running l and acc[e] rescaled by e^(m_old − m), one p_t = e^(s_t − m) a lane, l += Σ p_t (a
//          butterfly), then acc[e] += Σ_t p_t v_t[e] in registers, p_t from lane t. At KW = 8: 23 shuffles and one
//          exponential a lane a round, where a plain butterfly a key took 40 and eight (H200, B = 8, 640 keys: 26.4
//          against 27.9 µs a launch, lab/gpu/s8-run call 4).
// More rounds (IT) give fewer, longer-lived groups, so fewer tickets and merges: what bounds a large batch (B = 8: 2560
// groups of one round at 640 keys, each a chain of load, shuffles, fence, ticket; K and V from the L2 run no faster).
// The NW warps meet in local memory: lm[w], ll[w], la[w·HD + e]; M = max_w m_w, c_w = e^(m_w − M) (0 for a warp with
// no key), l = Σ c_w l_w, acc[e] = Σ c_w la[w·HD + e] (thread lid takes dims lid, lid + 32·NW, ...).
// ns = ceil(len / SK) = 1: out = acc / l. Else the group writes (M, l, acc) to part[(hq·nsplit + s)·(HD + 2)], a
// device-wide fence, one ticket (atomic_inc of tick[hq]); the group with the last ticket merges: warp wi takes splits
// wi, wi + NW, ... MC at a time (their loads at once, volatile: past the L1, which other groups' writes did not go
// through), online softmax across chunks, then the same local combine of the warps; it writes out and puts the ticket
// back to 0.
// The new position p = pos[b] (the row's last key) is taken from k (rotated) and v by the warp that holds it, and that
// warp of the group's first query head writes them into the caches; cache rows a warp reads past its cached keys are
// clamped to ≤ max(p − 1, 0) and masked by selects, so no one uses what another writes.
//
// Build-time: HD, DPL, KW (keys a warp: 4, 8, 16), NW (warps a group), IT (rounds a split, default 1), SHFL (1: shfl.sync via inline PTX, NVIDIA;
// 0: each shuffle through local memory, every thread reaching every barrier), F4 (1: rows read as aligned
// 4-element loads, the caches' offsets multiples of 4 elements; 0: vload4 / vload_half4), KVH (1: the caches hold
// halves, common.cl; HD = 128 then reads 256 contiguous bytes a row).

#ifndef IT
#define IT 1
#endif
#define SK (KW * NW * IT)                           /* keys a split */
#define NT (32 * NW)
#define MC 8                                        /* splits a merge warp reads at once */

inline int pick_pos(int16 v, int i) {               // v[i] without a private array (no stack)
    switch (i) {
        case 0: return v.s0;  case 1: return v.s1;  case 2: return v.s2;  case 3: return v.s3;
        case 4: return v.s4;  case 5: return v.s5;  case 6: return v.s6;  case 7: return v.s7;
        case 8: return v.s8;  case 9: return v.s9;  case 10: return v.sa; case 11: return v.sb;
        case 12: return v.sc; case 13: return v.sd; case 14: return v.se; default: return v.sf;
    }
}

#if SHFL                                             /* shx, shi: shfl.cl */
#define SHX_TO(dst, v, o) (dst) = shx(v, o)
#else
// the same exchange through the warp's floats of local memory sc (every thread of the group reaches every barrier)
#define SHX_TO(dst, v, o) { sc[L] = (v); barrier(CLK_LOCAL_MEM_FENCE); (dst) = sc[L ^ (o)]; barrier(CLK_LOCAL_MEM_FENCE); }
#endif
#define KH (KW > 2 ? KW / 2 : 1)                    /* values a lane sends at the widest level of the transpose */


// The warps' (m, l, acc) through local memory into the group's: sets M, Lsum and A[k] = acc of dim lid + k·NT.
#define EPT ((HD + NT - 1) / NT)
#define COMBINE                                                                            \
    if (L == 0) { lm[wi] = m; ll[wi] = l; }                                                \
    for (int i = 0; i < DPL; i++) if (e0 + i < HD) la[wi * HD + e0 + i] = acc[i];          \
    barrier(CLK_LOCAL_MEM_FENCE);                                                          \
    float M = -INFINITY, Lsum = 0.0f, A[EPT], cw[NW];                                      \
    for (int w2 = 0; w2 < NW; w2++) M = fmax(M, lm[w2]);                                   \
    for (int w2 = 0; w2 < NW; w2++) { cw[w2] = lm[w2] == -INFINITY ? 0.0f : exp(lm[w2] - M); Lsum += cw[w2] * ll[w2]; } \
    for (int k2 = 0; k2 < EPT; k2++) {                                                     \
        const int e = lid + k2 * NT;                                                       \
        float a = 0.0f;                                                                    \
        if (e < HD) for (int w2 = 0; w2 < NW; w2++) a += cw[w2] * la[w2 * HD + e];        \
        A[k2] = a;                                                                         \
    }

__kernel __attribute__((reqd_work_group_size(NT, 1, 1)))
void attn_wg(__global float* restrict out, const int oo, __global float* restrict part, __global volatile uint* tick,
             __global const float* q, const int qo, const int qs,
             __global const float* k, const int ko, const int ks,
             __global const float* v, const int vo, const int vs,
             __global KV_T* kc, const int kco, __global KV_T* vc, const int vco,
             __global const float* tab, const int rope, const int16 pos,
             const int nH, const int nKv, const int maxT, const float scale, const int nsplit) {
    __local float lm[NW], ll[NW], la[NW * HD];
    __local uint lastl;
#if !SHFL
    __local float scAll[NW * KH * 32];
    __local float* sc = scAll + (get_local_id(0) / 32) * KH * 32;
#endif
    const int lid = get_local_id(0), L = lid % 32, wi = lid / 32, g = get_group_id(0);
    const int sp = g % nsplit, hq = g / nsplit, b = hq / nH, j = hq % nH;
    const int p = pick_pos(pos, b), len = p + 1, kv = nKv * HD, group = nH / nKv, hk = j / group;
    const int u0 = sp * SK, ns = (len + SK - 1) / SK;
    if (u0 >= len) return;                                    // (the whole group) a split past this row's length
    const int e0 = L * DPL, top = max(p - 1, 0);
    const long row0 = (long) b * maxT * kv + hk * HD;         // cache row b, head hk, position 0
    __global const KV_T* kr = kc + kco + row0 + e0;
    __global const KV_T* vr = vc + vco + row0 + e0;
    __global const float* tp = tab + (long) p * HD;
    float x[KW][DPL], y[KW][DPL], d[KW], qr[DPL], kn[DPL], vn[DPL], acc[DPL], m = -INFINITY, l = 0.0f;
    for (int i = 0; i < DPL; i++) acc[i] = kn[i] = vn[i] = 0.0f;
    for (int it = 0; it < IT; it++) {                         // the warp's keys of round it, online softmax across rounds
        const int uw = u0 + (it * NW + wi) * KW, cnt = clamp(len - uw, 0, KW);   // cnt 0: the round changes nothing
#if SHFL
        if (cnt == 0) break;                                  // (this warp) no keys in this round or later ones
#endif
        const bool mine = uw + cnt == len;                    // this warp holds p, as its last key
        const int old = mine ? cnt - 1 : cnt, nt = mine ? cnt - 1 : -1;
        float dn = 0.0f;
        #pragma unroll
        for (int t = 0; t < KW; t++) LOAD_ROW(x[t], kr + (long) min(uw + t, top) * kv)
        #pragma unroll
        for (int t = 0; t < KW; t++) LOAD_ROW(y[t], vr + (long) min(uw + t, top) * kv)
        if (it == 0) ROTATE(qr, q + qo + (long) b * qs + j * HD, tp, rope, e0)
        if (mine) {
            TAKE_NEW_KV(kn, vn, tp)                           // the group's first query head writes k_p, v_p
            for (int i = 0; i < DPL; i++) dn += qr[i] * kn[i];
        }
        #pragma unroll
        for (int t = 0; t < KW; t++) {
            float a = 0.0f;
            for (int i = 0; i < DPL; i++) a += qr[i] * x[t][i];
            d[t] = t < old ? a : t == nt ? dn : 0.0f;         // selects: a clamped row never counts
        }
        // the transpose butterfly (see the top): lane L ends with the score of key t = L mod KW
        #pragma unroll
        for (int o = KW / 2; o > 0; o >>= 1) {
            const bool up = (L & o) != 0;
            float send[KH], keep[KH];
            #pragma unroll
            for (int t = 0; t < o; t++) { send[t] = up ? d[t] : d[t + o]; keep[t] = up ? d[t + o] : d[t]; }
#if SHFL
            #pragma unroll
            for (int t = 0; t < o; t++) d[t] = keep[t] + shx(send[t], o);
#else
            for (int t = 0; t < o; t++) sc[t * 32 + L] = send[t];      // the level's o values at once: one barrier pair
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int t = 0; t < o; t++) d[t] = keep[t] + sc[t * 32 + (L ^ o)];
            barrier(CLK_LOCAL_MEM_FENCE);
#endif
        }
        #pragma unroll
        for (int o = KW; o < 32; o <<= 1) {
            float got;
            SHX_TO(got, d[0], o);
            d[0] += got;
        }
        const int kt = L % KW;                                 // this lane's key
        const float st = kt < cnt ? d[0] * scale : -INFINITY;
        float mx = st;
        #pragma unroll
        for (int o = 1; o < KW; o <<= 1) {
            float got;
            SHX_TO(got, mx, o);
            mx = fmax(mx, got);
        }
        const float mr = fmax(m, mx);                          // −∞ only while the warp has seen no key
        const float r = m == -INFINITY ? 0.0f : exp(m - mr);
        const float pl = kt < cnt ? exp(st - mr) : 0.0f;       // one exponential a lane: its key's
        float ps = pl, pn = 0.0f;
        #pragma unroll
        for (int o = 1; o < KW; o <<= 1) {
            float got;
            SHX_TO(got, ps, o);
            ps += got;
        }
        l = l * r + ps;
        for (int i = 0; i < DPL; i++) acc[i] *= r;
#if !SHFL
        sc[L] = pl;
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        #pragma unroll
        for (int t = 0; t < KW; t++) {
#if SHFL
            const float pt = shi(pl, t);                       // key t's weight, from lane t
#else
            const float pt = sc[t];
#endif
            for (int i = 0; i < DPL; i++) acc[i] += t < old ? pt * y[t][i] : 0.0f;
            pn = t == nt ? pt : pn;
        }
#if !SHFL
        barrier(CLK_LOCAL_MEM_FENCE);                         // sc read by every lane before the next round writes it
#endif
        for (int i = 0; i < DPL; i++) acc[i] += pn * vn[i];  // pn = 0 unless mine
        m = mr;
    }
    {
        COMBINE
        if (ns == 1) {
            for (int k2 = 0; k2 < EPT; k2++) if (lid + k2 * NT < HD) out[oo + (long) hq * HD + lid + k2 * NT] = A[k2] / Lsum;
            return;
        }
        __global float* pp = part + ((long) hq * nsplit + sp) * (HD + 2);
        if (lid == 0) { pp[0] = M; pp[1] = Lsum; }
        for (int k2 = 0; k2 < EPT; k2++) if (lid + k2 * NT < HD) pp[2 + lid + k2 * NT] = A[k2];
    }
    // this group's partial visible device-wide, then its ticket; the group with the last ticket merges
#if SHFL
    asm volatile("membar.gl;" ::: "memory");
#else
    mem_fence(CLK_GLOBAL_MEM_FENCE);
#endif
    barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);     // every thread's fence (and the combine's reads) done
    if (lid == 0) lastl = atomic_inc(tick + hq) == (uint) (ns - 1);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!lastl) return;
#if SHFL
    asm volatile("membar.gl;" ::: "memory");
#else
    mem_fence(CLK_GLOBAL_MEM_FENCE);
#endif
    __global volatile const float* pv = (__global volatile const float*) (part + (long) hq * nsplit * (HD + 2));
    const int st = HD + 2;
    m = -INFINITY; l = 0.0f;
    for (int i = 0; i < DPL; i++) acc[i] = 0.0f;
    for (int s0 = wi; s0 < ns; s0 += MC * NW) {               // this warp's splits s0 + c·NW, c < MC
        float ms[MC], ls[MC], z[MC][DPL];
        #pragma unroll
        for (int c = 0; c < MC; c++) {
            const int s = min(s0 + c * NW, ns - 1);            // clamped, masked below
            ms[c] = pv[(long) s * st];
            ls[c] = pv[(long) s * st + 1];
            for (int i = 0; i < DPL; i++) z[c][i] = e0 + i < HD ? pv[(long) s * st + 2 + e0 + i] : 0.0f;
        }
        float mc = m;
        for (int c = 0; c < MC; c++) mc = fmax(mc, s0 + c * NW < ns ? ms[c] : -INFINITY);   // finite: split s0 is in
        const float r = m == -INFINITY ? 0.0f : exp(m - mc);
        l *= r;
        for (int i = 0; i < DPL; i++) acc[i] *= r;
        #pragma unroll
        for (int c = 0; c < MC; c++) {
            const float w = s0 + c * NW < ns ? exp(ms[c] - mc) : 0.0f;
            l += w * ls[c];
            for (int i = 0; i < DPL; i++) acc[i] += w * z[c][i];
        }
        m = mc;
    }
    barrier(CLK_LOCAL_MEM_FENCE);                             // the split's combine done with lm, ll, la
    {
        COMBINE
        for (int k2 = 0; k2 < EPT; k2++) if (lid + k2 * NT < HD) out[oo + (long) hq * HD + lid + k2 * NT] = A[k2] / Lsum;
    }
    if (lid == 0) tick[hq] = 0u;
}
