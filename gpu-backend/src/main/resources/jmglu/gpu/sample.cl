// jmglu OpenCL sampling: out[oo + b] = the token drawn from row b of logits (B, V) with temperature T,
// top-k k (0 or ≥ V: all) and the uniform u_b, as jmglu.engine.Sampling.draw draws it (there in double, here in
// float); −1 for a row with a NaN or +Inf, or only −Inf. One work-group of SLS work-items per row:
//   1. the row's max and its non-finite flag (a tree in local memory);
//   2. when 0 < k < V, the k-th largest value, by radix select over order-preserving 32-bit keys, 8 bits a pass from
//      the top: a histogram (local atomics) of the next 8 bits among the entries whose higher bits match those found
//      so far, then, counting down from the top bin, the bin that holds the k-th largest;
//   3. p_j = exp((l_j − max) / T) for kept j (key ≥ the cut). Work-item t sums the contiguous chunk
//      [t·n, t·n + n), n = ⌈V / SLS⌉; z = Σ chunk sums; the first chunk whose running total passes u·z is walked in
//      ascending j as the reference walks the row (its last kept j if rounding leaves the walk short).
// Build-time: none (SLS fixed).

#define SLS 256

// a key whose unsigned order is the float order; −0 maps to +0's key, so equal floats have equal keys
inline uint fkey(float f) {
    const uint u = as_uint(f == 0.0f ? 0.0f : f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// ubits: u_b as float bits for the ≤ 16 rows of one launch
__kernel __attribute__((reqd_work_group_size(SLS, 1, 1)))
void sample_rows(__global int* restrict out, const int oo, __global const float* restrict x, const int xo, const int V, const float T,
                 const int k, const int16 ubits) {
    __local float red[SLS];
    __local int bad[SLS];
    __local uint hist[256];
    __local uint sh[2];
    const int lid = get_local_id(0), b = get_group_id(0);
    __global const float* row = x + xo + (long) b * V;

    // 1. max and non-finite
    float m = -INFINITY;
    int nf = 0;
    for (int j = lid; j < V; j += SLS) {
        const float v = row[j];
        nf |= isnan(v) || v == INFINITY;
        m = fmax(m, v);
    }
    red[lid] = m;
    bad[lid] = nf;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = SLS / 2; st > 0; st >>= 1) {
        if (lid < st) { red[lid] = fmax(red[lid], red[lid + st]); bad[lid] |= bad[lid + st]; }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    // no distribution: the steps below still run (every work-item must meet every barrier), their answer is dropped
    const int none = bad[0] || m == -INFINITY;
    barrier(CLK_LOCAL_MEM_FENCE);                               // red and bad are reused below

    // 2. the cut: keep j with fkey(l_j) ≥ cut
    uint cut = 0;
    if (k > 0 && k < V) {
        uint prefix = 0, mask = 0, remain = (uint) k;
        for (int shift = 24; shift >= 0; shift -= 8) {
            hist[lid] = 0;                                      // SLS = 256 = the bins
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int j = lid; j < V; j += SLS) {
                const uint key = fkey(row[j]);
                if ((key & mask) == prefix) atomic_inc(&hist[(key >> shift) & 255u]);
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (lid == 0) {
                uint above = 0;
                int bin = 255;
                while (bin > 0 && above + hist[bin] < remain) above += hist[bin--];
                sh[0] = prefix | ((uint) bin << shift);
                sh[1] = remain - above;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            prefix = sh[0];
            remain = sh[1];
            mask |= 255u << shift;
            barrier(CLK_LOCAL_MEM_FENCE);                       // sh is written again by the next pass
        }
        cut = prefix;
    }

    // 3. chunk sums, the chunk where u·z falls, the walk
    const int n = (V + SLS - 1) / SLS, j0 = min(V, lid * n), j1 = min(V, j0 + n);
    float s = 0.0f;
    for (int j = j0; j < j1; j++) {
        const float v = row[j];
        if (fkey(v) >= cut) s += exp((v - m) / T);
    }
    red[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        int us[16];
        vstore16(ubits, 0, us);
        float z = 0.0f;
        for (int t = 0; t < SLS; t++) z += red[t];
        const float target = as_float(us[b & 15]) * z;
        float before = 0.0f;
        int t = 0, lastFull = 0;
        for (; t < SLS; t++) {
            if (red[t] > 0.0f) lastFull = t;
            if (target < before + red[t]) break;
            before += red[t];
        }
        if (t == SLS) {                                         // rounding: u·z at or past the total, take the last kept j
            t = lastFull;
            before = -INFINITY;                                 // so the walk never stops early and ends on its last kept j
        }
        sh[0] = (uint) t;
        sh[1] = as_uint(before);
        red[0] = target;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == (int) sh[0]) {
        const float target = red[0];
        float acc = as_float(sh[1]);
        int pick = -1, last = -1;
        for (int j = j0; j < j1 && pick < 0; j++) {
            const float v = row[j];
            if (fkey(v) < cut) continue;
            acc += exp((v - m) / T);
            last = j;
            if (target < acc) pick = j;
        }
        out[oo + b] = none ? -1 : pick >= 0 ? pick : last;
    }
}
