package jmglu.lab.gpu;

import static jmglu.lab.gpu.OpenClSelfCheck.REF;
import static jmglu.lab.gpu.OpenClSelfCheck.close;
import static jmglu.lab.gpu.OpenClSelfCheck.read;

import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.gpu.OpenClBackend;

/**
 * Part of {@link OpenClSelfCheck}: the two launches a decode step no longer makes, on this device (the NVIDIA paths, inline
 * PTX and mma.sync, run only here). (1) linearArgmax, the lm head with the argmax in its launch (gemv_b1 at B ≤ 2, gemv_tc
 * at B 5 and 8; V 256, 32000, 32001, h 2048; three launches in a row share the ticket): the ids must be
 * Backend.argmaxRow of the logits read back; rows of even b have a maximum 7 planted at three rows (ties across blocks),
 * the others random x. (2) embeddingRmsnorm of one row from device ids, then the attention whose stacked qkv GEMV
 * (gemv_b1 EMBIN) gathers the row and writes x: x, n and the attention as HostBackend(reference)'s; an id of −1 gives NaN.
 */
final class OpenClFuseCheck {
    private OpenClFuseCheck() {}

    static void run(OpenClBackend gpu, DType dt) {
        Rng rng = new Rng(29);
        int h = 2048;
        for (int V : new int[] {256, 32000, 32001})
            for (int B : new int[] {1, 2, 5, 8}) {
                float[] w = new float[V * h], x = new float[B * h];
                for (int i = 0; i < w.length; i++) w[i] = rng.nextInt(7) - 3;
                for (int b = 0; b < B; b++) {
                    int c = rng.nextInt(h);
                    if (b % 2 == 0) {
                        x[b * h + c] = 1f;
                        for (int k = 0; k < 3; k++) w[rng.nextInt(V) * h + c] = 7f;
                    } else for (int k = 0; k < h; k++) x[b * h + k] = (float) rng.nextGaussian();
                }
                Tensor dw = gpu.adopt(Tensor.of(w, V, h).to(dt)), dx = gpu.adopt(Tensor.of(x, B, h)), l = gpu.zeros(B, V);
                for (int rep = 0; rep < 3; rep++) {
                    int[] got = new int[B];
                    gpu.linearArgmax(got, l, dx, dw);
                    float[] lg = read(gpu, l);
                    for (int b = 0; b < B; b++)
                        if (got[b] != Backend.argmaxRow(lg, b * V, V))
                            OpenClSelfCheck.fail("linearArgmax " + dt + " V=" + V + " B=" + B + " row " + b + ": " + got[b] + ", the logits' argmax " + Backend.argmaxRow(lg, b * V, V));
                    OpenClSelfCheck.checks++;
                }
                gpu.release(dw);
            }
        int C = 2048, nH = 16, nKv = 4, hd = 128, kv = nKv * hd, maxT = 8;
        Tensor table = Tensor.randn(rng, 1, 37, C).to(dt), nw = Tensor.randn(rng, 1, C);
        Tensor wq = OpenClBackendCheck.weights(rng, dt, nH * hd, C), wk = OpenClBackendCheck.weights(rng, dt, kv, C), wv = OpenClBackendCheck.weights(rng, dt, kv, C);
        Tensor gt = gpu.adopt(table), gnw = gpu.adopt(nw), gq = gpu.adopt(wq), gk = gpu.adopt(wk), gv = gpu.adopt(wv);
        for (int id : new int[] {11, 36, -1}) {
            Tensor x = gpu.zeros(1, C), n = gpu.zeros(1, C), out = gpu.zeros(1, nH * hd);
            gpu.embeddingRmsnorm(x, gt, gpu.adopt(Tensor.ofInts(new int[] {id}, 1)), n, gnw, 1e-5f);
            gpu.attention(out, n, gq, gk, gv, gpu.zeros(1, nH * hd), gpu.zeros(1, kv), gpu.zeros(1, kv), gpu.zeros(1, maxT, kv), gpu.zeros(1, maxT, kv),
                    new int[] {3}, nH, nKv, hd, jmglu.engine.Rope.interleaved(10000f));
            float[] gx = read(gpu, x), go = read(gpu, out);
            String what = "embedding into the attention " + dt + " id " + id;
            if (id < 0) {
                for (float v : gx) if (!Float.isNaN(v)) OpenClSelfCheck.fail(what + ": x not a row of NaN");
                for (float v : go) if (!Float.isNaN(v)) OpenClSelfCheck.fail(what + ": the attention not NaN");
                OpenClSelfCheck.checks++;
                continue;
            }
            Tensor ex = Tensor.zeros(1, C), en = Tensor.zeros(1, C), eo = Tensor.zeros(1, nH * hd);
            REF.embeddingRmsnorm(ex, table, new int[] {id}, en, nw, 1e-5f);
            REF.attention(eo, en, wq, wk, wv, Tensor.zeros(1, nH * hd), Tensor.zeros(1, kv), Tensor.zeros(1, kv), Tensor.zeros(1, maxT, kv),
                    Tensor.zeros(1, maxT, kv), new int[] {3}, nH, nKv, hd, jmglu.engine.Rope.interleaved(10000f));
            close(ex.toArray(), gx, 0, 0, what + ": x");
            close(en.toArray(), read(gpu, n), 1e-5, 1e-4, what + ": n");
            close(eo.toArray(), go, 1e-4, 1e-3, what + ": the attention");
        }
        for (Tensor t : new Tensor[] {gt, gnw, gq, gk, gv}) gpu.release(t);
    }
}
