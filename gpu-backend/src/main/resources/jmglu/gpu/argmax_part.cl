// jmglu greedy sampling fused into a GEMV (gemv_b1.cl, gemv_tc.cl built with ARGMAX 1): besides y (B, d) the launch
// writes ids[b] = the index of the largest of y[b, 0 .. d), ties to the lower index, or −1 when y[b] holds a NaN or
// +Inf: Backend.argmaxRow's answer, as decode.cl argmax_rows gives it in a launch of its own.
//
// A candidate is a pair (v, i): i ≥ 0 a logit v at index i; i = AM_BAD a NaN or +Inf was seen (it wins every merge);
// i = AM_NONE nothing seen yet (it loses every merge). Merging is associative and, with the index as tie-breaker,
// commutative, so any fixed merge order gives the one answer.
//   1. Each block of rows blk of a group (the rows of one output tile) merges its own logits, per batch row b, into
//      part[2·(blk·nb + b)] (the value's bits) and part[2·(blk·nb + b) + 1] (the index).
//   2. Every group then takes a ticket (ticket.cl's last_group); the group that draws the last one sees every group's
//      candidates and merges all nb batch rows at once. Its ls threads form nb teams of T threads, T the largest power
//      of two with nb·T ≤ ls (nb ≤ ls, so T ≥ 1): thread lid is thread t = lid % T of team b = lid / T, and threads
//      lid ≥ nb·T only meet the barriers. Thread t of team b takes row b's blocks k = t, t + T, t + 2·T, ... in
//      batches of AM_U: the batch's 2·AM_U part words are loaded (volatile: past the L1) into registers before any
//      of them is merged, so the loads are in flight together. The team's T results then meet in a tree of log2(T)
//      levels over its own slots lv[b·T .. b·T + T), li[...] (level st: thread t < st merges slot t + st into its
//      own); thread 0 of team b holds the row's answer and writes ids[b]. Thread 0 of the group then sets *ticket
//      back to 0 for the next launch.
// The host zeroes the ticket once when it allocates it; launches on one in-order queue never overlap.
// Helpers only (no kernel): the including kernel passes nb (its BB, at most its group size) and the local arrays (one
// entry per thread of the group).

#define AM_BAD (-1)
#define AM_NONE INT_MAX

// (v, i) becomes the better of (v, i) and (ov, oi): a NaN/+Inf seen is kept, then the larger value, then the lower index
inline void am_merge(float* v, int* i, const float ov, const int oi) {
    if (*i == AM_BAD || oi == AM_BAD) { *i = AM_BAD; return; }
    if (oi == AM_NONE) return;
    if (*i == AM_NONE || ov > *v || (ov == *v && oi < *i)) { *v = ov; *i = oi; }
}

// the candidate of one logit y at index r merged into (v, i)
inline void am_take(float* v, int* i, const float y, const int r) { am_merge(v, i, y, isnan(y) || y == INFINITY ? AM_BAD : r); }

// step 1 for batch row b: the candidate of ys[0], ys[stride], ... (n logits of rows r0, r0 + 1, ...) into block blk's slot
inline void am_block(__global volatile int* part, const int blk, const int nb, const int b, __local const float* ys,
                     const int stride, const int n, const int r0) {
    float v = 0.0f;
    int i = AM_NONE;
    for (int k = 0; k < n; k++) am_take(&v, &i, ys[k * stride], r0 + k);
    part[2 * (blk * nb + b)] = as_int(v);
    part[2 * (blk * nb + b) + 1] = i;
}

#ifndef AM_U
#define AM_U 4                                                        // step 2: blocks a thread loads before it merges them
#endif

// step 2, run by every thread of every group after its blocks' step 1; lv, li: an entry per thread, last: one int, all local
inline void am_finish(__global volatile int* part, __global volatile int* ticket, __global int* ids, const int nblk, const int nb,
                      __local float* lv, __local int* li, __local int* last) {
    const int lid = get_local_id(0), ls = get_local_size(0);
    if (!last_group(ticket, (int) get_num_groups(0), last)) return;  // ticket.cl
    int T = 1;
    while (2 * T * nb <= ls) T <<= 1;
    const int b = lid / T, t = lid - b * T;                           // team b (b ≥ nb: idle), its thread t
    float v = 0.0f;
    int i = AM_NONE;
    if (b < nb)
        for (int k0 = t; k0 < nblk; k0 += AM_U * T) {
            int pv[AM_U], pi[AM_U];
            #pragma unroll
            for (int u = 0; u < AM_U; u++) {                          // blocks k0, k0 + T, ...: every load first
                const int k = k0 + u * T;
                pv[u] = k < nblk ? part[2 * (k * nb + b)] : 0;
                pi[u] = k < nblk ? part[2 * (k * nb + b) + 1] : AM_NONE;
            }
            #pragma unroll
            for (int u = 0; u < AM_U; u++) am_merge(&v, &i, as_float(pv[u]), pi[u]);
        }
    lv[lid] = v; li[lid] = i;
    for (int st = T >> 1; st > 0; st >>= 1) {                         // the team's tree; T is uniform, so are the barriers
        barrier(CLK_LOCAL_MEM_FENCE);
        if (b < nb && t < st) {                                       // reads slots t + st of level st, writes slots t < st
            am_merge(&v, &i, lv[lid + st], li[lid + st]);
            lv[lid] = v; li[lid] = i;
        }
    }
    if (b < nb && t == 0) ids[b] = i == AM_BAD ? -1 : i;
    if (lid == 0) *ticket = 0;
}
