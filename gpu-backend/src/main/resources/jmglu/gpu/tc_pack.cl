// jmglu: the tensor-core tile layout of W and of the mask bit-planes (TcLayout.java, whose host
// packers are the reference), made on the device from the row-major forms already there. One
// work-item per output word; S = h / 32 steps (h % 32 == 0), blocks of 16 rows, rows past d are zero.
//   lane = (q, u) = (lane / 4, lane % 4) owns columns c = 32·st + 8u .. c + 7 of rows r = 16·blk + q + 8·hf

// W (d, h) raw 16-bit values → wp[((blk·S + st)·32 + lane)·8 + 4·hf + k] = W[r][c + 2k] | W[r][c + 2k + 1] << 16
__kernel void pack_w(__global uint* restrict wp, __global const ushort* restrict w, const int d, const int h) {
    const long g = get_global_id(0);
    const int S = h / 32;
    if (g >= (long) ((d + 15) / 16) * S * 256) return;
    const int k = g & 3, hf = (g >> 2) & 1, lane = (g >> 3) & 31;
    const long bs = g >> 8;                                   // blk·S + st
    const int blk = bs / S, st = bs % S, r = 16 * blk + (lane >> 2) + 8 * hf, c = 32 * st + 8 * (lane & 3) + 2 * k;
    wp[g] = r < d ? (uint) w[(long) r * h + c] | (uint) w[(long) r * h + c + 1] << 16 : 0u;
}

// planes bits[(r·nm + i)·S + st] (bit j = M_i[r][32·st + j]) → MW = ⌈2·nm/4⌉ words per lane and step,
// byte b = hf·nm + i of them = the 8 bits of M_i[r][c .. c + 7] (they sit at bit 8u of word st)
__kernel void pack_masks(__global uint* restrict mp, __global const uint* restrict bits, const int d, const int h, const int nm) {
    const long g = get_global_id(0);
    const int S = h / 32, MW = (2 * nm + 3) / 4;
    if (g >= (long) ((d + 15) / 16) * S * 32 * MW) return;
    const int wi = g % MW, lane = (g / MW) % 32;
    const long bs = g / (MW * 32);
    const int blk = bs / S, st = bs % S, q = lane >> 2, u = lane & 3;
    uint v = 0u;
    for (int j = 0; j < 4; j++) {
        const int b = 4 * wi + j;
        if (b >= 2 * nm) break;
        const int hf = b / nm, i = b % nm, r = 16 * blk + q + 8 * hf;
        if (r < d) v |= ((bits[((long) r * nm + i) * S + st] >> (8 * u)) & 0xFFu) << (8 * j);
    }
    mp[g] = v;
}
