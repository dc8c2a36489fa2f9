// lab probe (issue 12): what a persistent decode kernel would save. A chain of GEMVs
//   y_k (rows_k) = W_k (rows_k, h_k) · x_k,   x_0 given, x_k = y_{k−1}[0, h_k)  for k ≥ 1,
// W fp16 row-major (8 halves = one uint4 = 16 B), x and y f32, all y_k in one buffer at offsets yo_k,
// run either as one launch per GEMV (gemv: one warp per row) or as ONE launch of a persistent grid
// (chain: G groups that stay resident; warp w of the grid takes rows w, w + nw, ...; a grid barrier
// between GEMVs). Each y_k has its own slots, so no SM can hold a stale L1 line of a buffer that another
// SM writes during the launch (y_k is read only after the barrier that follows its writes).
//
// Build-time: NV (1: NVIDIA — warp shuffles, PTX fences and L2 prefetch; 0: any OpenCL device, local memory).

#ifndef NV
#define NV 0
#endif
#define LS 256
#define WARPS (LS / 32)

inline float lo16(uint u) {
#if NV
    float f;
    asm("{.reg .b16 l, h; mov.b32 {l, h}, %1; cvt.f32.f16 %0, l;}" : "=f"(f) : "r"(u));
    return f;
#else
    return vload_half(0, (const __private half*) &u);
#endif
}
inline float hi16(uint u) { return lo16(u >> 16); }

// Σ over the 32 lanes of a warp (every lane gets it). Called by all work-items of the group the same number of times.
inline float warp_sum(float v, __local float* red, int lid) {
#if NV
    for (int o = 16; o > 0; o >>= 1) {
        float t;
        asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v), "r"(o));
        v += t;
    }
    return v;
#else
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int o = 16; o > 0; o >>= 1) {
        if ((lid & 31) < o) red[lid] += red[lid + o];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[lid & ~31];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#endif
}

// lane's share of W_row · x: columns 8·i .. 8·i + 7 for i = lane, lane + 32, ... (h8 = h / 8)
inline float row_dot(__global const uint4* restrict w, __global const float* x, int h8, int lane) {
    float s = 0.0f;
#pragma unroll 8
    for (int i = lane; i < h8; i += 32) {
        uint4 q = w[i];
        float4 a = vload4(2 * i, x), b = vload4(2 * i + 1, x);
        s += lo16(q.x) * a.x + hi16(q.x) * a.y + lo16(q.y) * a.z + hi16(q.y) * a.w
           + lo16(q.z) * b.x + hi16(q.z) * b.y + lo16(q.w) * b.z + hi16(q.w) * b.w;
    }
    return s;
}

// GEMV k of the chain alone, one warp per row: groups = ⌈rows / WARPS⌉.
__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void gemv(__global float* ys, __global const float* x0, __global const uint4* restrict ws, __global const int* desc, int k) {
    __local float red[LS];
    const int rows = desc[5 * k], h8 = desc[5 * k + 1], wo = desc[5 * k + 2], yo = desc[5 * k + 3], xo = desc[5 * k + 4];
    const int lid = get_local_id(0), lane = lid & 31, r = get_group_id(0) * WARPS + (lid >> 5);
    float s = r < rows ? row_dot(ws + wo + (long) r * h8, xo < 0 ? x0 : ys + xo, h8, lane) : 0.0f;
    s = warp_sum(s, red, lid);
    if (r < rows && lane == 0) ys[yo + r] = s;
}

// All groups of the grid meet here for the n-th time (n = 1, 2, ...) of this launch; the counter runs on from
// base across launches. Writes before it are visible to every group after it (the fence pattern of CUDA's grid
// sync: bar.sync orders the group's writes before lane 0's device-scope fence and atomic). A spin past
// 2^22 reads (seconds: the groups are not all resident) sets err and goes on rather than hang.
inline void grid_sync(volatile __global uint* ctr, uint target, __global int* err) {
    barrier(CLK_GLOBAL_MEM_FENCE);
    if (get_local_id(0) == 0) {
#if NV
        asm volatile("fence.acq_rel.gpu;" ::: "memory");
#else
        mem_fence(CLK_GLOBAL_MEM_FENCE);
#endif
        atomic_inc(ctr);
        int spins = 0;
        while (*ctr < target) {
            if (++spins > (1 << 22)) { *err = 1; break; }
        }
#if NV
        asm volatile("fence.acq_rel.gpu;" ::: "memory");
#else
        mem_fence(CLK_GLOBAL_MEM_FENCE);
#endif
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
}

// Touch (into L2) the first row this warp will read in the next GEMV: one 128-byte line per lane and step.
inline void prefetch_row(__global const uint4* w, int h8, int lane) {
#if NV
    for (int i = 8 * lane; i < h8; i += 8 * 32) asm volatile("prefetch.global.L2 [%0];" :: "l"(w + i));
#endif
}

// GEMVs k0 .. k1 − 1 of the chain in one launch. desc holds 5 ints per GEMV: rows, h8, W offset in uint4s (fits an int:
// < 32 GiB), y offset, x offset (−1: x0). base = the counter's value at the start of this launch.
__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void chain(__global float* ys, __global const float* x0, __global const uint4* restrict ws, __global const int* desc, int k0, int k1,
           volatile __global uint* ctr, uint base, __global int* err, int prefetch) {
    __local float red[LS];
    const int lid = get_local_id(0), lane = lid & 31;
    const uint G = get_num_groups(0);
    const int nw = G * WARPS, gw = get_group_id(0) * WARPS + (lid >> 5);
    for (int k = k0; k < k1; k++) {
        const int rows = desc[5 * k], h8 = desc[5 * k + 1], wo = desc[5 * k + 2], yo = desc[5 * k + 3], xo = desc[5 * k + 4];
        __global const float* x = xo < 0 ? x0 : ys + xo;
        const int iters = (rows + nw - 1) / nw;
        for (int it = 0; it < iters; it++) {
            const int r = gw + it * nw;
            float s = r < rows ? row_dot(ws + wo + (long) r * h8, x, h8, lane) : 0.0f;
            s = warp_sum(s, red, lid);
            if (r < rows && lane == 0) ys[yo + r] = s;
        }
        if (k + 1 < k1) {
            if (prefetch && gw < desc[5 * k + 5]) prefetch_row(ws + desc[5 * k + 7] + (long) gw * desc[5 * k + 6], desc[5 * k + 6], lane);
            grid_sync(ctr, base + (uint) (k + 1 - k0) * G, err);
        }
    }
}

// W[o, o + n) = uniform in [−a, a) from a hash of the element index (a = √(3/h): y has the variance of x), as fp16.
__kernel void init_w(__global ushort* w, long o, long n, float a) {
    for (long i = o + get_global_id(0); i < o + n; i += get_global_size(0)) {
        uint z = (uint) i * 0x9E3779B1u ^ (uint) (i >> 32) * 0x85EBCA77u;
        z ^= z >> 15; z *= 0x2C1B3C6Du; z ^= z >> 12; z *= 0x297A2D39u; z ^= z >> 15;
        float v = a * ((z >> 8) * (2.0f / 16777216.0f) - 1.0f);
        vstore_half_rte(v, 0, (__private half*) &z);
        w[i] = (ushort) z;
    }
}

// ---------------------------------------------------------------- chain, pipelined (chain2)
// The same chain, but every warp keeps U uint4 loads per lane (U·512 B a warp) in flight: a row is read in tiles
// of 32·U uint4 (h8 % (32·U) == 0), and the tile after the current one — the next tile of the row, of the warp's
// next row, or, at the end of a GEMV, the warp's first tile of the NEXT GEMV — is loaded into registers before the
// current one is used. W does not depend on x, so the next GEMV's first tiles are in flight while the grid
// barrier waits: the barrier and the next GEMV's ramp-up overlap its first loads.
#ifndef U
#define U 8
#endif

inline void load_tile(uint4* t, __global const uint4* restrict w, int lane) {
#pragma unroll
    for (int j = 0; j < U; j++) t[j] = w[lane + 32 * j];
}

// XL: how lanes read x — 0 vload4 (only 4-byte alignment known: may become scalar loads), 1 float4 loads from
// global, 2 float4 loads from a copy of x in local memory made once per GEMV (XMAX floats at most).
#ifndef XL
#define XL 0
#endif
#ifndef XMAX
#define XMAX 8192
#endif
#if XL == 2
#define XPTR __local const float*
#define X4(x, i) (((__local const float4*) (x))[i])
#elif XL == 1
#define XPTR __global const float*
#define X4(x, i) (((__global const float4*) (x))[i])
#else
#define XPTR __global const float*
#define X4(x, i) vload4(i, x)
#endif

inline float use_tile(const uint4* t, XPTR x, int lane) {
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < U; j++) {
        const int i = lane + 32 * j;
        uint4 q = t[j];
        float4 a = X4(x, 2 * i), b = X4(x, 2 * i + 1);
        s += lo16(q.x) * a.x + hi16(q.x) * a.y + lo16(q.y) * a.z + hi16(q.y) * a.w
           + lo16(q.z) * b.x + hi16(q.z) * b.y + lo16(q.w) * b.z + hi16(q.w) * b.w;
    }
    return s;
}

// The tile (row r, tile b) of GEMV k, or of the warp's first row of GEMV k + 1 when (r, b) runs past GEMV k.
inline __global const uint4* tile_at(__global const uint4* ws, __global const int* desc, int k, int k1, int r, int b) {
    const int rows = desc[5 * k], h8 = desc[5 * k + 1];
    if (r < rows) return ws + desc[5 * k + 2] + (long) r * h8 + 32 * U * b;
    return 0;
}

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void chain2(__global float* ys, __global const float* x0, __global const uint4* restrict ws, __global const int* desc, int k0, int k1,
            volatile __global uint* ctr, uint base, __global int* err, int bar) {
    __local float red[LS];
    const int lid = get_local_id(0), lane = lid & 31;
    const uint G = get_num_groups(0);
    const int nw = G * WARPS, gw = get_group_id(0) * WARPS + (lid >> 5);
    uint4 cur[U], nxt[U];
#if XL == 2
    __local float4 xl4[XMAX / 4];
#endif
    __global const uint4* first = tile_at(ws, desc, k0, k1, gw, 0);
    if (first) load_tile(cur, first, lane);
    for (int k = k0; k < k1; k++) {
        const int rows = desc[5 * k], h8 = desc[5 * k + 1], yo = desc[5 * k + 3], xo = desc[5 * k + 4];
        const int nb = h8 / (32 * U), iters = (rows + nw - 1) / nw;
        __global const float* xg = xo < 0 ? x0 : ys + xo;
#if XL == 2
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < 2 * h8; i += LS) xl4[i] = ((__global const float4*) xg)[i];
        barrier(CLK_LOCAL_MEM_FENCE);
        __local const float* x = (__local const float*) xl4;
#else
        __global const float* x = xg;
#endif
        for (int it = 0; it < iters; it++) {
            const int r = gw + it * nw;
            float s = 0.0f;
            for (int b = 0; b < nb; b++) {
                // the tile after (r, b): (r, b + 1), (r + nw, 0), or the first tile of GEMV k + 1
                __global const uint4* nt = b + 1 < nb ? (r < rows ? tile_at(ws, desc, k, k1, r, b + 1) : 0)
                        : it + 1 < iters ? tile_at(ws, desc, k, k1, r + nw, 0)
                        : k + 1 < k1 ? tile_at(ws, desc, k + 1, k1, gw, 0) : 0;
                if (nt) load_tile(nxt, nt, lane);
                if (r < rows) s += use_tile(cur, x + 256 * U * b, lane);
#pragma unroll
                for (int j = 0; j < U; j++) cur[j] = nxt[j];
            }
            s = warp_sum(s, red, lid);
            if (r < rows && lane == 0) ys[yo + r] = s;
        }
        if (k + 1 < k1 && bar) grid_sync(ctr, base + (uint) (k + 1 - k0) * G, err);   // bar 0: no barriers (timing only)
    }
}
