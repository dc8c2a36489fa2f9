// lab prototype (issue 12): a whole B = 1 decode step of a SwiMGLU transformer in ONE launch of a persistent grid.
// Phases, each spread over every warp of the grid, a grid barrier between them (or one launch per phase: BAR 0):
//   per layer l:  QKV  xn = rmsnorm(x)·g1 (each group normalises its own copy); rows of Wqkv (3C, C) in pairs
//                      (2u, 2u+1) so RoPE (interleaved pairs) is applied where the pair is made; q → q_l, k, v → the
//                      cache at pos
//                 ATT  a warp per (head, split of SK keys): online softmax over its keys → a partial (m, l, acc);
//                      the warp that draws the head's last ticket merges the head's partials into att_l
//                 WO   xb_l = x + Wo · att_l
//                 UP   xn = rmsnorm(xb_l)·g2; h_l = Σ_i silu(s_i) ⊙ (t − s_i), t = W xn, s_i = (M_i ⊙ W) xn
//                 DOWN xc_l = xb_l + W2 · h_l                      (xc_l is layer l + 1's x)
//   then HEAD logits = Wh · rmsnorm(xc_{L−1})·gf, and ARGMAX (group 0).
// Every phase writes buffers of its own (per layer), which no SM has read before in the launch, so no L1 holds a
// stale line of them. W fp16 row-major (8 halves = one uint4), masks as bit-planes (d, NM, C/32) words, KV cache f32.
// Build-time: C, NH (HD = C/NH), D, NM, V, L, MAXT, SK, U (uint4 loads in flight per lane: C/8 and D/8 multiples of 32·U), LS (256 on NVIDIA: 8 warps; 32 elsewhere: a group = a warp,
// so warp sums through local memory stay uniform in the group), NV (NVIDIA: shuffles, PTX fences), PF (NVIDIA: each warp
// prefetches its first row of the next phase into L2 before a grid barrier).

#define HD (C / NH)
#define WARPS (LS / 32)
#define NSMAX ((MAXT + SK - 1) / SK)
#define EPS 1e-5f
// per-layer activations, in floats: q, att, xb, xc (C each), h (D), partials (NH · NSMAX · (HD + 2))
#define ACT_L ((4 * C + D + NH * NSMAX * (HD + 2) + 3) / 4 * 4)   /* a multiple of 4: float4 loads stay aligned */
#define A_Q(l) ((l) * ACT_L)
#define A_ATT(l) ((l) * ACT_L + C)
#define A_XB(l) ((l) * ACT_L + 2 * C)
#define A_XC(l) ((l) * ACT_L + 3 * C)
#define A_H(l) ((l) * ACT_L + 4 * C)
#define A_PART(l) ((l) * ACT_L + 4 * C + D)
#define A_XIN (L * ACT_L)
#define A_LOGITS (L * ACT_L + C)
// weights per layer, in uint4 (8 halves): Wqkv (3C, C), Wo (C, C), W (D, C), W2 (C, D); then the head (V, C)
#define W_L ((3 * C * C + C * C + D * C + C * D) / 8)
#define W_QKV(l) ((long) (l) * W_L)
#define W_O(l) (W_QKV(l) + 3 * C * C / 8)
#define W_UP(l) (W_O(l) + C * C / 8)
#define W_DN(l) (W_UP(l) + D * C / 8)
#define W_HEAD ((long) L * W_L)

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

// Σ over a warp's 32 lanes, every lane gets it (on LS = 32 devices: through local memory, the group is the warp)
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

inline void fence_gpu(void) {
#if NV
    asm volatile("fence.acq_rel.gpu;" ::: "memory");
#else
    mem_fence(CLK_GLOBAL_MEM_FENCE);
#endif
}

// all groups meet; a spin past 2^20 reads sets err and goes on (groups not all resident) rather than hang
inline void grid_sync(volatile __global uint* ctr, uint target, __global uint* err) {
    barrier(CLK_GLOBAL_MEM_FENCE);
    if (get_local_id(0) == 0) {
        fence_gpu();
        atomic_inc(ctr);
        int spins = 0;
        while (*ctr < target) if (++spins > (1 << 20)) { *err = 1; break; }
        fence_gpu();
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
}

// x (n floats) into local memory as float4s; with g: times rsqrt(mean x² + eps)·g (the group computes the norm itself)
inline void stage(__local float4* xl, __global const float* x, int n, __global const float* g, __local float* red) {
    const int lid = get_local_id(0);
    float ss = 0.0f;
    for (int i = lid; i < n / 4; i += LS) {
        float4 v = ((__global const float4*) x)[i];
        xl[i] = v;
        ss += dot(v, v);
    }
    if (g) {
        red[lid] = ss;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int st = LS / 2; st > 0; st >>= 1) {
            if (lid < st) red[lid] += red[lid + st];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const float inv = rsqrt(red[0] / n + EPS);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = lid; i < n / 4; i += LS) xl[i] *= inv * ((__global const float4*) g)[i];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

// lane's share of row · x for a row of h8 uint4: U loads of 16 B in flight per lane (h8 % (32·U) == 0)
inline float row_dot(__global const uint4* restrict w, __local const float4* xl, int h8, int lane) {
    float s = 0.0f;
    for (int b = 0; b < h8; b += 32 * U) {
        uint4 t[U];
#pragma unroll
        for (int j = 0; j < U; j++) t[j] = w[b + lane + 32 * j];
#pragma unroll
        for (int j = 0; j < U; j++) {
            const int i = b + lane + 32 * j;
            const float4 a = xl[2 * i], c = xl[2 * i + 1];
            s += lo16(t[j].x) * a.x + hi16(t[j].x) * a.y + lo16(t[j].y) * a.z + hi16(t[j].y) * a.w
               + lo16(t[j].z) * c.x + hi16(t[j].z) * c.y + lo16(t[j].w) * c.z + hi16(t[j].w) * c.w;
        }
    }
    return s;
}

// one MGLU row: t = W_r·x and s_i = (M_i ⊙ W_r)·x in one pass; returns Σ_i silu(s_i)·(t − s_i) (every lane)
inline float mglu_row(__global const uint4* restrict w, __global const uint* restrict m, __local const float4* xl, int lane, __local float* red) {
    float t = 0.0f, s[NM];
#pragma unroll
    for (int i = 0; i < NM; i++) s[i] = 0.0f;
    for (int b = 0; b < C / 8; b += 32 * U) {
        uint4 q[U];
#pragma unroll
        for (int j = 0; j < U; j++) q[j] = w[b + lane + 32 * j];
#pragma unroll
        for (int j = 0; j < U; j++) {
            const int i4 = b + lane + 32 * j;                        // columns 8·i4 .. 8·i4 + 7
            const float4 a = xl[2 * i4], c = xl[2 * i4 + 1];
            float p[8] = {lo16(q[j].x) * a.x, hi16(q[j].x) * a.y, lo16(q[j].y) * a.z, hi16(q[j].y) * a.w,
                          lo16(q[j].z) * c.x, hi16(q[j].z) * c.y, lo16(q[j].w) * c.z, hi16(q[j].w) * c.w};
#pragma unroll
            for (int e = 0; e < 8; e++) t += p[e];
#pragma unroll
            for (int i = 0; i < NM; i++) {
                const uint bits = m[i * (C / 32) + i4 / 4] >> (8 * (i4 & 3));
#pragma unroll
                for (int e = 0; e < 8; e++) s[i] += (bits >> e) & 1u ? p[e] : 0.0f;
            }
        }
    }
    t = warp_sum(t, red, get_local_id(0));
    float y = 0.0f;
#pragma unroll
    for (int i = 0; i < NM; i++) {
        const float si = warp_sum(s[i], red, get_local_id(0));
        y += si / (1.0f + exp(-si)) * (t - si);
    }
    return y;
}

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void decode_step(__global const uint4* restrict W, __global const uint* restrict M, __global const float* restrict G, __global float* KV,
          __global const float* restrict rope, __global float* A, __global uint* T, __global int* out,
          const int pos, const int p0, const int p1, const uint base, const int bar) {
    __local float4 xl[(C > D ? C : D) / 4];
    __local float red[LS];
    const int lid = get_local_id(0), lane = lid & 31;
    const int nw = get_num_groups(0) * WARPS, gw = get_group_id(0) * WARPS + lid / 32;
    const int ns = pos / SK + 1;                                      // splits of keys 0 .. pos
    volatile __global uint* ctr = (volatile __global uint*) T + L * NH;
    for (int p = p0; p < p1; p++) {
        const int l = p / 5, ph = p < 5 * L ? p % 5 : 5 + (p - 5 * L);
        __global const float* x = l == 0 ? A + A_XIN : A + A_XC(l - 1);
        __global float* Kc = KV + (long) (2 * l) * MAXT * C;
        __global float* Vc = KV + (long) (2 * l + 1) * MAXT * C;
        if (ph == 0) {                                                // QKV, RoPE, the cache row at pos
            stage(xl, x, C, G + 2 * l * C, red);
            for (int u0 = 0; u0 < 3 * C / 2; u0 += nw) {
                const int u = u0 + gw;                                // every warp runs the same count: warp_sum may use the group
                float a = 0.0f, b = 0.0f;
                if (u < 3 * C / 2) {
                    a = row_dot(W + W_QKV(l) + (long) (2 * u) * (C / 8), xl, C / 8, lane);
                    b = row_dot(W + W_QKV(l) + (long) (2 * u + 1) * (C / 8), xl, C / 8, lane);
                }
                a = warp_sum(a, red, lid);
                b = warp_sum(b, red, lid);
                if (u < 3 * C / 2 && lane == 0) {
                    const int r = 2 * u, part = r / C, c = r % C;
                    if (part < 2) {                                   // interleaved pair (c, c + 1) of a head, at pos
                        const int jj = (c % HD) / 2;
                        const float cs = rope[(pos * (HD / 2) + jj) * 2], sn = rope[(pos * (HD / 2) + jj) * 2 + 1];
                        const float ra = a * cs - b * sn, rb = a * sn + b * cs;
                        a = ra; b = rb;
                    }
                    __global float* dst = part == 0 ? A + A_Q(l) + c : part == 1 ? Kc + (long) pos * C + c : Vc + (long) pos * C + c;
                    dst[0] = a; dst[1] = b;
                }
            }
        } else if (ph == 1) {                                         // ATT: (head, split) per warp, last ticket merges
            for (int u0 = 0; u0 < NH * ns; u0 += nw) {
                const int u = u0 + gw, hh = u / ns, sp = u % ns;
                float mx = -INFINITY, ls = 0.0f;
                float4 acc = (float4)(0.0f);
                float4 q4 = (float4)(0.0f);
                if (u < NH * ns && 4 * lane < HD) q4 = *(__global const float4*) (A + A_Q(l) + hh * HD + 4 * lane);
                const int t0 = sp * SK, t1 = min(pos + 1, t0 + SK);
                // the split's SK keys loaded together (one memory round trip), their scores, then its SK values
                float4 kv4[SK];
                float sc[SK];
#pragma unroll
                for (int j = 0; j < SK; j++) {
                    kv4[j] = (float4)(0.0f);
                    if (u < NH * ns && t0 + j < t1 && 4 * lane < HD) kv4[j] = *(__global const float4*) (Kc + (long) (t0 + j) * C + hh * HD + 4 * lane);
                }
#pragma unroll
                for (int j = 0; j < SK; j++) sc[j] = warp_sum(dot(q4, kv4[j]), red, lid) * rsqrt((float) HD);
#pragma unroll
                for (int j = 0; j < SK; j++) {
                    if (u < NH * ns && t0 + j < t1) mx = fmax(mx, sc[j]);
                    kv4[j] = (float4)(0.0f);
                    if (u < NH * ns && t0 + j < t1 && 4 * lane < HD) kv4[j] = *(__global const float4*) (Vc + (long) (t0 + j) * C + hh * HD + 4 * lane);
                }
#pragma unroll
                for (int j = 0; j < SK; j++)
                    if (u < NH * ns && t0 + j < t1) {
                        const float e = exp(sc[j] - mx);
                        ls += e;
                        acc += e * kv4[j];
                    }
                if (u < NH * ns) {
                    __global float* part = A + A_PART(l) + (hh * NSMAX + sp) * (HD + 2);
                    if (4 * lane < HD) vstore4(acc, 0, part + 2 + 4 * lane);
                    if (lane == 0) { part[0] = mx; part[1] = ls; }
                }
                fence_gpu();
                __local int* last = (__local int*) red + WARPS + lid / 32;   // red[0..WARPS) holds nothing now
                if (lane == 0) last[0] = u < NH * ns && atomic_inc(T + l * NH + hh) == (uint) (ns - 1);
                barrier(CLK_LOCAL_MEM_FENCE);
                if (last[0]) {                                        // all ns partials of head hh are written
                    fence_gpu();
                    volatile __global const float* pa = A + A_PART(l) + hh * NSMAX * (HD + 2);
                    float M = -INFINITY;
                    for (int s2 = 0; s2 < ns; s2++) M = fmax(M, pa[s2 * (HD + 2)]);
                    float Lsum = 0.0f;
                    float4 o = (float4)(0.0f);
                    for (int s2 = 0; s2 < ns; s2++) {
                        const float f = exp(pa[s2 * (HD + 2)] - M);
                        Lsum += pa[s2 * (HD + 2) + 1] * f;
                        if (4 * lane < HD) o += f * (float4)(pa[s2 * (HD + 2) + 2 + 4 * lane], pa[s2 * (HD + 2) + 3 + 4 * lane],
                                                              pa[s2 * (HD + 2) + 4 + 4 * lane], pa[s2 * (HD + 2) + 5 + 4 * lane]);
                    }
                    if (4 * lane < HD) vstore4(o / Lsum, 0, A + A_ATT(l) + hh * HD + 4 * lane);
                    if (lane == 0) T[l * NH + hh] = 0;                // the ticket, for the next step
                }
                barrier(CLK_LOCAL_MEM_FENCE);
            }
        } else if (ph == 2 || ph == 4) {                              // WO / DOWN: residual GEMVs
            const int n = ph == 2 ? C : D;
            stage(xl, ph == 2 ? A + A_ATT(l) : A + A_H(l), n, 0, red);
            __global const float* res = ph == 2 ? x : A + A_XB(l);
            __global float* y = A + (ph == 2 ? A_XB(l) : A_XC(l));
            const long wo = ph == 2 ? W_O(l) : W_DN(l);
            for (int r0 = 0; r0 < C; r0 += nw) {
                const int r = r0 + gw;
                float s = r < C ? row_dot(W + wo + (long) r * (n / 8), xl, n / 8, lane) : 0.0f;
                s = warp_sum(s, red, lid);
                if (r < C && lane == 0) y[r] = res[r] + s;
            }
        } else if (ph == 3) {                                         // UP: FlashMGLU rows
            stage(xl, A + A_XB(l), C, G + (2 * l + 1) * C, red);
            for (int r0 = 0; r0 < D; r0 += nw) {
                const int r = r0 + gw;
                const int rr = r < D ? r : D - 1;                     // past the end: a real row, result dropped
                const float y = mglu_row(W + W_UP(l) + (long) rr * (C / 8), M + ((long) l * D + rr) * NM * (C / 32), xl, lane, red);
                if (r < D && lane == 0) A[A_H(l) + r] = y;
            }
        } else if (ph == 5) {                                         // HEAD
            stage(xl, A + A_XC(L - 1), C, G + 2 * L * C, red);
            for (int r0 = 0; r0 < V; r0 += nw) {
                const int r = r0 + gw;
                float s = r < V ? row_dot(W + W_HEAD + (long) r * (C / 8), xl, C / 8, lane) : 0.0f;
                s = warp_sum(s, red, lid);
                if (r < V && lane == 0) A[A_LOGITS + r] = s;
            }
        } else if (get_group_id(0) == 0) {                            // ARGMAX (ties to the lower index)
            float best = -INFINITY;
            int at = 0x7fffffff;
            for (int j = lid; j < V; j += LS) { const float v = A[A_LOGITS + j]; if (v > best) { best = v; at = j; } }
            red[lid] = best;
            barrier(CLK_LOCAL_MEM_FENCE);
            __local int* ia = (__local int*) xl;
            ia[lid] = at;
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int st = LS / 2; st > 0; st >>= 1) {
                if (lid < st && (red[lid + st] > red[lid] || (red[lid + st] == red[lid] && ia[lid + st] < ia[lid]))) { red[lid] = red[lid + st]; ia[lid] = ia[lid + st]; }
                barrier(CLK_LOCAL_MEM_FENCE);
            }
            if (lid == 0) out[0] = ia[0];
        }
        if (bar && p + 1 < p1) {
#if PF && NV
            // the warp's first row of the next phase's matrix into L2 while the barrier waits (W does not depend on x)
            const int q = p + 1, lq = q / 5, pq = q < 5 * L ? q % 5 : 5 + (q - 5 * L);
            const long wq = pq == 0 ? W_QKV(lq) + (long) (2 * gw) * (C / 8) : pq == 2 ? W_O(lq) + (long) gw * (C / 8)
                    : pq == 3 ? W_UP(lq) + (long) gw * (C / 8) : pq == 4 ? W_DN(lq) + (long) gw * (D / 8) : pq == 5 ? W_HEAD + (long) gw * (C / 8) : -1;
            const int n8 = pq == 4 ? D / 8 : pq == 0 ? C / 4 : C / 8, rows = pq == 0 ? 3 * C / 2 : pq == 3 ? D : pq == 5 ? V : C;
            if (wq >= 0 && gw < rows)
                for (int i = 8 * lane; i < n8; i += 256) asm volatile("prefetch.global.L2 [%0];" :: "l"(W + wq + i));
#endif
            grid_sync(ctr, base + (uint) (p + 1 - p0) * get_num_groups(0), T + L * NH + 1);
        }
    }
}
