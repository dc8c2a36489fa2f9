// jmglu OpenCL decode kernels: everything a decoder step needs besides the row kernels of mglu.cl
// (GEMV, FlashMGLU, SwiGLU). One token at a time; vectors are (C) floats, caches (maxSeq, nH, hd).
// Build-time: ACT (0 silu, 1 gelu tanh form, 2 relu) for act_inplace.

// out (C) = x · rstd · w, rstd = 1/√(mean(x²) + eps). One work-group; red has LS floats.
__kernel void rmsnorm(__global float* restrict out, __global const float* restrict x, __global const float* restrict w,
                      const int C, const float eps, __local float* red) {
    const int lid = get_local_id(0), LS = get_local_size(0);
    float ss = 0.0f;
    for (int j = lid; j < C; j += LS) ss += x[j] * x[j];
    red[lid] = ss;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = LS >> 1; st > 0; st >>= 1) {
        if (lid < st) red[lid] += red[lid + st];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float rs = 1.0f / sqrt(red[0] / C + eps);
    for (int j = lid; j < C; j += LS) out[j] = x[j] * rs * w[j];
}

// Rotary embedding in place on v (nH, hd), interleaved pairs, for position pos; tab (maxSeq, hd/2, 2)
// holds cos θ, sin θ with θ = pos · theta^(−2j/hd), computed on the host in float64 like the reference.
__kernel void rope(__global float* restrict v, __global const float* restrict tab, const int pos, const int nH, const int hd) {
    const int g = get_global_id(0), np = hd / 2;   // pairs per head
    if (g >= nH * np) return;
    const int hh = g / np, j = g % np, i = hh * hd + 2 * j;
    const float c = tab[(pos * np + j) * 2], s = tab[(pos * np + j) * 2 + 1];
    const float x0 = v[i], x1 = v[i + 1];
    v[i] = x0 * c - x1 * s;
    v[i + 1] = x0 * s + x1 * c;
}

// One decode step of attention, one work-group per head hh: scores over positions 0..len−1 of the
// caches, max-subtracted softmax, weighted sum of values. sc is scratch (nH, maxSeq); red has LS floats.
__kernel void attn_step(__global float* restrict out, __global const float* restrict q,
                        __global const float* restrict kc, __global const float* restrict vc,
                        __global float* restrict sc, const int len, const int nH, const int hd,
                        const int maxSeq, const float scale, __local float* red) {
    const int hh = get_group_id(0), lid = get_local_id(0), LS = get_local_size(0), C = nH * hd;
    __global float* s = sc + hh * maxSeq;
    float mx = -INFINITY;
    for (int u = lid; u < len; u += LS) {
        float a = 0.0f;
        for (int e = 0; e < hd; e++) a += q[hh * hd + e] * kc[u * C + hh * hd + e];
        a *= scale;
        s[u] = a;
        mx = fmax(mx, a);
    }
    red[lid] = mx;
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    for (int st = LS >> 1; st > 0; st >>= 1) {
        if (lid < st) red[lid] = fmax(red[lid], red[lid + st]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    mx = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float z = 0.0f;
    for (int u = lid; u < len; u += LS) z += exp(s[u] - mx);
    red[lid] = z;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = LS >> 1; st > 0; st >>= 1) {
        if (lid < st) red[lid] += red[lid + st];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    z = red[0];
    for (int e = lid; e < hd; e += LS) {
        float a = 0.0f;
        for (int u = 0; u < len; u++) a += exp(s[u] - mx) * vc[u * C + hh * hd + e];
        out[hh * hd + e] = a / z;
    }
}

// x += p (the residual add)
__kernel void add_inplace(__global float* restrict x, __global const float* restrict p, const int n) {
    const int i = get_global_id(0);
    if (i < n) x[i] += p[i];
}

// v = g(v)
__kernel void act_inplace(__global float* restrict v, const int n) {
    const int i = get_global_id(0);
    if (i < n) v[i] = act(v[i]);
}

// a = a ⊙ b
__kernel void mul_inplace(__global float* restrict a, __global const float* restrict b, const int n) {
    const int i = get_global_id(0);
    if (i < n) a[i] *= b[i];
}
