package jmglu.gpu;

import jmglu.engine.MaskPlanes;

/**
 * The device layout of W and the mask bit-planes for the tensor-core FlashMGLU kernel (flash_tc.cl),
 * packed once when the weights go to the device. Tiles are row blocks of 16 rows × steps of 32
 * columns (h % 32 == 0); within a step, lane (q = lane/4, u = lane%4) owns columns c = 32·st + 8u ..
 * c + 7 of rows 16·blk + q (hf = 0) and 16·blk + q + 8 (hf = 1):
 * <pre>
 *   W:     words[((blk·S + st)·32 + lane)·8 + 4·hf + k] = W[r][c + 2k] | W[r][c + 2k + 1] << 16     (16-bit raw)
 *   masks: words[((blk·S + st)·32 + lane)·MW + b/4] byte b%4 = bits of M_i[r][c .. c+7],  b = hf·nm + i
 * </pre>
 * S = h/32, MW = ⌈2·nm/4⌉, rows past d are zero. A warp's step is then one contiguous 1 KiB of W and
 * 128·MW contiguous bytes of masks: the same bytes as the row-major forms (plus padding), streamed.
 * These host packers are the reference; the backend packs on the device (tc_pack.cl, tested against them).
 */
public final class TcLayout {
    private TcLayout() {}

    public static boolean fits(int h) { return h % 32 == 0; }

    /** Row blocks of 16 rows covering d rows. */
    public static int blocks(int d) { return (d + 15) / 16; }

    /** Mask words per lane and step: 2·nm bytes (rows q and q + 8), rounded up to words. */
    public static int maskWords(int nm) { return (2 * nm + 3) / 4; }

    /** W (d, h) raw 16-bit values, row-major → the tiled words. */
    public static int[] packW(short[] w, int d, int h) {
        int S = h / 32, nb = blocks(d);
        int[] out = new int[nb * S * 32 * 8];
        for (int blk = 0; blk < nb; blk++)
            for (int st = 0; st < S; st++)
                for (int lane = 0; lane < 32; lane++) {
                    int q = lane >> 2, u = lane & 3, c = 32 * st + 8 * u, e = ((blk * S + st) * 32 + lane) * 8;
                    for (int hf = 0; hf < 2; hf++) {
                        int r = 16 * blk + q + 8 * hf;
                        if (r >= d) continue;
                        for (int k = 0; k < 4; k++)
                            out[e + 4 * hf + k] = (w[r * h + c + 2 * k] & 0xFFFF) | (w[r * h + c + 2 * k + 1] << 16);
                    }
                }
        return out;
    }

    /** Bit-planes bits[(r·nm + i)·wpr + w] → the tiled mask words. */
    public static int[] packMasks(MaskPlanes m) {
        int nm = m.nm(), d = m.rows(), h = m.cols(), wpr = m.wordsPerRow(), S = h / 32, MW = maskWords(nm);
        int[] bits = m.toInts(), out = new int[blocks(d) * S * 32 * MW];
        for (int blk = 0; blk < blocks(d); blk++)
            for (int st = 0; st < S; st++)
                for (int lane = 0; lane < 32; lane++) {
                    int q = lane >> 2, u = lane & 3, c = 32 * st + 8 * u, e = ((blk * S + st) * 32 + lane) * MW;
                    for (int hf = 0; hf < 2; hf++) {
                        int r = 16 * blk + q + 8 * hf;
                        if (r >= d) continue;
                        for (int i = 0; i < nm; i++) {
                            int b = hf * nm + i, v = (bits[(r * nm + i) * wpr + (c >>> 5)] >>> (c & 31)) & 0xFF;
                            out[e + (b >>> 2)] |= v << (8 * (b & 3));
                        }
                    }
                }
        return out;
    }
}
