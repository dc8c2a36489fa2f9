package jmglu.lab.simd;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import jmglu.model.Config;
import jmglu.model.Transformer;

/**
 * The B = 1 decode FFN ops of SimdBackend alone, one per layer of an L-layer random BF16 model (off-heap, as
 * `jmglu bench decode` makes it; weights rotated over the layers, ≫ L3): FlashMGLU (W + nm planes), the same W as a
 * plain linear, SwiGLU's glu (Wg, Wv) and the down projection W2, ALTERNATING op by op within a round; median GB/s of
 * the rounds (the bytes each op reads), against a read ceiling (a vector sum over the same weight sets, the same
 * rounds). Answers whether the FlashMGLU op reaches the tile's own speed (lab/simd/mask-tile-b1.txt) inside the
 * backend, or loses it there; at B &gt; 1 rows, also G multiply-adds a second (W's weights × B; FlashMGLU's mask adds not
 * counted), to hold against {@link FmaPeak}. Usage: FfnOpsAB [layers 32] [rounds 9] [nm 4] [B 1]
 */
public final class FfnOpsAB {
    public static void main(String[] a) throws Exception {
        int L = a.length > 0 ? Integer.parseInt(a[0]) : 32, rounds = a.length > 1 ? Integer.parseInt(a[1]) : 9, nm = a.length > 2 ? Integer.parseInt(a[2]) : 4;
        int B = a.length > 3 ? Integer.parseInt(a[3]) : 1;
        int C = 1024, D = 4096;
        Config mg = Config.of(256, C, L, 8, D, 64, Config.FfnKind.MGLU, nm, Act.SILU, 0, true);
        Config sw = Config.of(256, C, L, 8, D, 64, Config.FfnKind.GLU, 0, Act.SILU, 0, true);
        try (Arena arena = Arena.ofShared(); Backend be = Backends.open("simd")) {
            Map<String, Tensor> m = Transformer.randomPacked(mg, DType.BF16, 1, arena), s = Transformer.randomPacked(sw, DType.BF16, 2, arena);
            Tensor[] w = new Tensor[L], masks = new Tensor[L], w2 = new Tensor[L], wg = new Tensor[L], wv = new Tensor[L];
            for (int l = 0; l < L; l++) {
                String p = "layers." + l + ".ffn.";
                w[l] = be.adopt(m.get(p + "w"));
                masks[l] = be.adopt(m.get(p + "masks"));
                w2[l] = be.adopt(m.get(p + "w2.weight"));
                wg[l] = be.adopt(s.get(p + "w1.weight"));
                wv[l] = be.adopt(s.get(p + "w3.weight"));
            }
            Tensor x = be.adopt(Tensor.of(rand(B * C, 3), B, C)), hd = be.adopt(Tensor.of(rand(B * D, 4), B, D));
            Tensor y = be.zeros(B, D), yc = be.zeros(B, C);
            String[] ops = {"flash", "linear(W)", "glu", "w2"};
            long[] bytes = {w[0].byteSize() + masks[0].byteSize(), w[0].byteSize(), 2 * wg[0].byteSize(), w2[0].byteSize()};
            double[][] gbs = new double[ops.length][rounds];
            long[] macs = {(long) B * C * D, (long) B * C * D, 2L * B * C * D, (long) B * C * D};   // multiply-adds (flash: of W once)
            System.out.printf(Locale.ROOT, "FfnOpsAB on %s: C %d, d %d, nm %d, B %d, %d layers (%.0f MB of FFN weights), %d rounds%n", be.describe(), C, D, nm, B, L,
                    L * (bytes[0] + bytes[2] + 2.0 * bytes[3]) / 1e6, rounds);
            for (int r = -2; r < rounds; r++) {                 // two warm-up rounds (JIT)
                for (int o = 0; o < ops.length; o++) {
                    int op = (o + Math.max(r, 0)) % ops.length;  // the order rotates round by round
                    long t0 = System.nanoTime();
                    for (int l = 0; l < L; l++) {
                        switch (op) {
                            case 0 -> be.flashMglu(y, x, w[l], masks[l], Act.SILU);
                            case 1 -> be.linear(y, x, w[l], false);
                            case 2 -> be.glu(y, x, wg[l], wv[l], Act.SILU);
                            default -> be.linear(yc, hd, w2[l], true);
                        }
                    }
                    double sec = (System.nanoTime() - t0) * 1e-9;
                    if (r >= 0) gbs[op][r] = L * bytes[op] / sec / 1e9;
                }
            }
            for (int o = 0; o < ops.length; o++) {
                double[] v = gbs[o].clone();
                Arrays.sort(v);
                double ms = bytes[o] / (v[rounds / 2] * 1e9) * 1e3;
                System.out.printf(Locale.ROOT, "%-10s %6.1f GB/s (%.1f–%.1f), %.3f ms a layer, %.1f G multiply-adds/s%n", ops[o], v[rounds / 2], v[0], v[rounds - 1],
                        ms, macs[o] / (ms * 1e-3) * 1e-9);
            }
        }
    }

    private static float[] rand(int n, long seed) {
        var r = new jmglu.engine.Rng(seed);
        float[] a = new float[n];
        r.fillGaussian(a, 0, n, 1.0);
        return a;
    }
}
