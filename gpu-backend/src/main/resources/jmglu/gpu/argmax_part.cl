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
//      candidates: its thread t merges blocks t, t + LS, t + 2·LS, ... (ascending), the threads' results
//      meet in a tree in local memory, thread 0 writes ids[b]. It then sets *ticket back to 0 for the next launch.
// The host zeroes the ticket once when it allocates it; launches on one in-order queue never overlap.
// Helpers only (no kernel): the including kernel passes nb (its BB) and the local arrays (LS entries).

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

// step 2, run by every thread of every group after its blocks' step 1; lv, li: LS entries, last: one int, all local
inline void am_finish(__global volatile int* part, __global volatile int* ticket, __global int* ids, const int nblk, const int nb,
                      __local float* lv, __local int* li, __local int* last) {
    const int lid = get_local_id(0), LS = get_local_size(0);
    if (!last_group(ticket, (int) get_num_groups(0), last)) return;  // ticket.cl
    int p2 = 1;
    while (p2 < LS) p2 <<= 1;
    for (int b = 0; b < nb; b++) {
        float v = 0.0f;
        int i = AM_NONE;
        for (int k = lid; k < nblk; k += LS) am_merge(&v, &i, as_float(part[2 * (k * nb + b)]), part[2 * (k * nb + b) + 1]);
        lv[lid] = v; li[lid] = i;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int st = p2 >> 1; st > 0; st >>= 1) {                    // a tree; LS need not be a power of two
            if (lid < st && lid + st < LS) {
                v = lv[lid]; i = li[lid];
                am_merge(&v, &i, lv[lid + st], li[lid + st]);
                lv[lid] = v; li[lid] = i;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid == 0) ids[b] = li[0] == AM_BAD ? -1 : li[0];
        barrier(CLK_LOCAL_MEM_FENCE);                                 // lv, li are reused by the next row
    }
    if (lid == 0) *ticket = 0;
}
