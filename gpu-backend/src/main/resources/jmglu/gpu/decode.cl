// jmglu OpenCL decode kernels: everything one decode step needs besides the matrix kernels of
// mglu.cl / mglu_fast.cl / flash_tc.cl. One program, no build options: the activation and the
// embedding table's dtype are run-time arguments (the kernels are memory-bound; a uniform branch
// costs nothing), so the whole file compiles once.
//
// Layouts (row-major float32 unless said): a batch of n ≤ 16 rows per launch, row b an independent
// sequence; activations (n, C); per-row integers (token ids, positions) travel as one int16 argument;
// KV caches (B, maxT, nKv·hd), row b's position p at ((b·maxT + p)·nKv + head)·hd. Every buffer
// argument is followed by the element offset of the tensor in it (tensors are views into buffers).

// element i < 16 of an int16 argument
inline int pick(int16 v, int i) {
    int a[16];
    vstore16(v, 0, a);
    return a[i];
}

// g(x) for g = 0 silu, 1 gelu (tanh form), 2 relu: the formulas of act() in common.cl, chosen at run time
// The sum of v over the work-group, as every thread's result: a tree in local memory red (LS floats, LS a power
// of two), the same order on every device; red is not reused after it by the callers.
inline float group_sum(float v, __local float* red) {
    const int lid = get_local_id(0), LS = get_local_size(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = LS >> 1; st > 0; st >>= 1) {
        if (lid < st) red[lid] += red[lid + st];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return red[0];
}

inline float act_of(float x, int g) {
    if (g == 0) return x / (1.0f + exp(-x));
    if (g == 1) return 0.5f * x * (1.0f + tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    return fmax(x, 0.0f);
}

// out (n, C) = table[ids[b]] widened to float; table (V, C) of type wt (0 f32, 1 f16, 2 bf16), to in its elements
inline float table_at(__global const uchar* table, const int wt, const long i) {
    if (wt == 0) return ((__global const float*) table)[i];
    if (wt == 1) return vload_half(i, (__global const half*) table);
    return as_float((uint) ((__global const ushort*) table)[i] << 16);
}

__kernel void embed(__global float* restrict out, const int oo, __global const uchar* restrict table, const int to,
                    const int wt, const int16 ids, const int n, const int C) {
    const int g = get_global_id(0);
    if (g >= n * C) return;
    out[oo + g] = table_at(table, wt, to + (long) pick(ids, g / C) * C + g % C);
}

// embed with the n ids read from a buffer (a pipelined step: the step before chose them on the device); an id outside
// [0, V) — the −1 a corrupt row of logits gives — makes a row of NaN instead of a read outside the table
__kernel void embed_ids(__global float* restrict out, const int oo, __global const uchar* restrict table, const int to,
                        const int wt, __global const int* ids, const int n, const int C, const int V) {
    const int g = get_global_id(0);
    if (g >= n * C) return;
    const int id = ids[g / C];
    out[oo + g] = id >= 0 && id < V ? table_at(table, wt, to + (long) id * C + g % C) : NAN;
}

// out (rows, C) = x · rstd · w per row, rstd = 1/√(mean(x²) + eps); one work-group per row, red has LS floats
__kernel void rmsnorm(__global float* restrict out, const int oo, __global const float* restrict x, const int xo,
                      __global const float* restrict w, const int wo, const int C, const float eps, __local float* red) {
    const int lid = get_local_id(0), LS = get_local_size(0);
    const long r = (long) get_group_id(0) * C;
    float ss = 0.0f;
    for (int j = lid; j < C; j += LS) ss += x[xo + r + j] * x[xo + r + j];
    const float rs = 1.0f / sqrt(group_sum(ss, red) / C + eps);
    for (int j = lid; j < C; j += LS) out[oo + r + j] = x[xo + r + j] * rs * w[wo + j];
}

// RoPE in place on x (n, nH, hd), row b at position pos[b]: pair j of each head, (x_a, x_b) rotated by
// θ = pos · invFreq[j]; (a, b) = (2j, 2j + 1) (halves == 0, interleaved) or (j, j + hd/2) (halves != 0,
// Hugging Face's rotate_half); tab (P, hd/2, 2) holds cos θ, sin θ for positions < P (float64 on the host)
__kernel void rope(__global float* restrict x, const int xo, __global const float* restrict tab, const int16 pos,
                   const int n, const int nH, const int hd, const int halves) {
    const int g = get_global_id(0), np = hd / 2;
    if (g >= n * nH * np) return;
    const int b = g / (nH * np), j = g % np;                       // pair g: head g / np, pair j of it
    const int ia = xo + (g / np) * hd + (halves ? j : 2 * j), ib = ia + (halves ? np : 1);
    const long t = ((long) pick(pos, b) * np + j) * 2;
    const float c = tab[t], s = tab[t + 1], x0 = x[ia], x1 = x[ib];
    x[ia] = x0 * c - x1 * s;
    x[ib] = x0 * s + x1 * c;
}

// x = g(x)
__kernel void act_inplace(__global float* restrict x, const int xo, const int n, const int g) {
    const int i = get_global_id(0);
    if (i < n) x[xo + i] = act_of(x[xo + i], g);
}

// x += p
__kernel void add_inplace(__global float* restrict x, const int xo, __global const float* restrict p, const int po, const int n) {
    const int i = get_global_id(0);
    if (i < n) x[xo + i] += p[po + i];
}

// a = a ⊙ b
__kernel void mul_inplace(__global float* restrict a, const int ao, __global const float* restrict b, const int bo, const int n) {
    const int i = get_global_id(0);
    if (i < n) a[ao + i] *= b[bo + i];
}

// Top-K routed MGLU epilogue for n rows: keep the K largest router logits r[b] (nm, ties to the lower
// index), G = softmax over them, y[b] = Σ_{i kept} G_i · g(s_i) ⊙ (t − s_i); t (n, d), s (nm, n, d), r (n, nm)
// from offset 0 of their buffers. nm ≤ 16.
__kernel void topk_combine(__global float* restrict y, const int yo, __global const float* restrict t,
                           __global const float* restrict s, __global const float* restrict r,
                           const int n, const int d, const int nm, const int K, const int g) {
    const int id = get_global_id(0);
    if (id >= n * d) return;
    const int b = id / d;
    __global const float* rb = r + b * nm;
    uint keep = 0u;
    for (int k = 0; k < K; k++) {
        int best = -1;
        for (int i = 0; i < nm; i++)
            if (!((keep >> i) & 1u) && (best < 0 || rb[i] > rb[best])) best = i;
        keep |= 1u << best;
    }
    float mx = -INFINITY, z = 0.0f;
    for (int i = 0; i < nm; i++) if ((keep >> i) & 1u) mx = fmax(mx, rb[i]);
    for (int i = 0; i < nm; i++) if ((keep >> i) & 1u) z += exp(rb[i] - mx);
    const float tv = t[id];
    float acc = 0.0f;
    for (int i = 0; i < nm; i++) {
        if (!((keep >> i) & 1u)) continue;
        const float si = s[(long) i * n * d + id], G = exp(rb[i] - mx) / z;
        acc += G * act_of(si, g) * (tv - si);
    }
    y[yo + id] = acc;
}

// Greedy sampling (Backend.argmax), one work-group per row b: out[b] = the index of the largest of x[b] (V),
// ties to the lower index, or −1 when the row holds a NaN or +Inf. bv, bi, bad: LS entries each
__kernel void argmax_rows(__global int* restrict out, __global const float* restrict x, const int xo, const int V,
                          __local float* bv, __local int* bi, __local int* bad) {
    const int lid = get_local_id(0), LS = get_local_size(0), b = get_group_id(0);
    __global const float* row = x + xo + (long) b * V;
    float best = -INFINITY;
    int at = INT_MAX, nf = 0;
    for (int j = lid; j < V; j += LS) {                        // j grows: a later equal value never wins
        const float v = row[j];
        nf |= isnan(v) || v == INFINITY;
        if (v > best || at == INT_MAX) { best = v; at = j; }
    }
    bv[lid] = best; bi[lid] = at; bad[lid] = nf;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = LS >> 1; st > 0; st >>= 1) {
        if (lid < st) {
            const float o = bv[lid + st];
            const int oi = bi[lid + st];
            if (o > bv[lid] || (o == bv[lid] && oi < bi[lid]) || bi[lid] == INT_MAX) { bv[lid] = o; bi[lid] = oi; }
            bad[lid] |= bad[lid + st];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) out[b] = bad[0] ? -1 : bi[0];
}
