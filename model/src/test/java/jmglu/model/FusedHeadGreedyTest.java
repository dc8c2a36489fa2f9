package jmglu.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.Tensor;
import jmglu.gpu.DecodeSwitches;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClMglu;
import jmglu.gpu.OpenClSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Greedy decoding with the lm head and the argmax as one op (Backend.linearArgmax): on opencl with the tensor-core path
 * forced on (PoCL: the emulated mma) and 16-bit weights, the lm head's GEMV is gemv_b1 (B = 1, of the owed final norm)
 * or gemv_tc (B = 3; DecodeSwitches.headArgmaxMaxB = 16, headargmax=all) with the argmax in its launch. decodeGreedy
 * and DecodeAhead must choose the reference backend's tokens step by step (rows at different positions), and a greedy
 * step must take no more launches than a step that only computes the logits (decode): the argmax rode along in the
 * head's launch.
 */
class FusedHeadGreedyTest {
    static final int T = 6;

    /** The tokens of T greedy steps for B rows from first, row b at positions b, b + 1, ... (ahead: through DecodeAhead). */
    static int[][] greedy(Transformer m, int B, int[] first, boolean ahead) {
        int[][] out = new int[T][];
        try (DecodeState s = m.newState(B, T + B)) {
            if (!ahead) {
                int[] tok = first.clone();
                for (int t = 0; t < T; t++) out[t] = tok = m.decodeGreedy(s, tok, pos(B, t)).clone();
                return out;
            }
            var a = new jmglu.model.infer.DecodeAhead(m, s, 0f, 1);
            a.start(first, pos(B, 0), null);
            for (int t = 1; t < T; t++) out[t - 1] = a.next(pos(B, t), null);
            out[T - 1] = a.finish();
            return out;
        }
    }

    static int[] pos(int B, int t) {
        int[] p = new int[B];
        for (int b = 0; b < B; b++) p[b] = t + b;
        return p;
    }

    @Test void greedyTokensOfTheFusedHeadAreTheReferenceTokens() {
        Assumptions.assumeTrue(Backends.available().contains("opencl"), "no OpenCL platform");
        Config c = ModelOnEveryBackendTest.config("mglu");
        Map<String, Tensor> w = ModelOnEveryBackendTest.model(c).pack(DType.F16);
        Backend gpu = new OpenClBackend(OpenClContext.open(), OpenClSettings.fromSystemProperties().withTc(OpenClSettings.Switch.ON),
                DecodeSwitches.fromSystemProperties().withHeadArgmaxMaxB(OpenClMglu.MAX_BATCH));   // B = 3's head on gemv_tc fuses too (the default; set whatever the properties say)
        try (Backend ref = Backends.open("reference"); gpu) {
            Transformer mr = Transformer.forInference(c, w, ref), mg = Transformer.forInference(c, w, gpu);
            for (int B : new int[] {1, 3}) {
                int[] first = new int[B];
                for (int b = 0; b < B; b++) first[b] = 5 + 40 * b;
                int[][] want = greedy(mr, B, first, false), got = greedy(mg, B, first, false), ahead = greedy(mg, B, first, true);
                for (int t = 0; t < T; t++) {
                    assertArrayEquals(want[t], got[t], "decodeGreedy B=" + B + " step " + t);
                    assertArrayEquals(want[t], ahead[t], "DecodeAhead B=" + B + " step " + t);
                }
                var cl = ((OpenClBackend) gpu).context();
                try (DecodeState s = mg.newState(B, 3 + B)) {                   // steps of one state: the same owed norm before each
                    mg.decode(s, first, pos(B, 0));
                    long l0 = cl.launches();
                    mg.decodeGreedy(s, first, pos(B, 1));
                    long l1 = cl.launches();
                    mg.decode(s, first, pos(B, 2));
                    assertEquals(cl.launches() - l1, l1 - l0, "B=" + B + ": a greedy step's launches, a logits-only step's");
                }
            }
        }
    }
}
