package jmglu.model;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClProvider;
import jmglu.gpu.OpenClSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A whole model's batched decode (B = 5 sequences at staggered positions, 6 steps) on OpenCL with the tensor-core
 * paths forced on, so that every GEMV of the step (the stacked q/k/v, Wo and W2 adding into the residual stream,
 * SwiGLU's glu, the lm head) takes gemv_tc.cl and FlashMGLU flash_tc.cl (emulated mma on PoCL), against
 * HostBackend over ReferenceKernels from the same packed 16-bit weights: every step's logits within 2e-4 abs +
 * 1e-3 rel (over the default F16 KV caches the abs Check.KV16_OF_MAX of the step's largest |logit|). dim 40 and hidden 72 are multiples of 8 but not of 32. With norminb 8 the deferred norms are taken
 * by their consumers at B = 5 too (gemv_tc.cl NORMIN), instead of written by a norm launch first.
 */
class OpenClBatchDecodeTcTest {
    @ParameterizedTest(name = "{0} {1} norminb={2}")
    @CsvSource({"mglu, F16, 1", "swiglu, BF16, 1", "mglu, BF16, 8", "swiglu, F16, 8"})
    void batchedDecodeMatchesTheReference(String kind, DType dt, int norminb) {
        String why = OpenClProvider.probe();
        if (why != null) {
            if (System.getenv("CI") != null) fail("CI is set but OpenCL is unavailable: " + why);
            assumeTrue(false, "OpenCL unavailable, skipping: " + why);
        }
        Config c = kind.equals("mglu") ? Config.of(256, 40, 2, 4, 72, 48, Config.FfnKind.MGLU, 4, Act.SILU, 0, true)
                : Config.of(256, 40, 2, 4, 72, 48, Config.FfnKind.GLU, 0, Act.SILU, 0, false);
        Map<String, Tensor> packed = ModelOnEveryBackendTest.model(c).pack(dt);
        float[][] want = run(new HostBackend(new ReferenceKernels(), "ref"), c, packed), got;
        boolean kv16;
        String old = System.getProperty("jmglu.opencl.norminb");
        System.setProperty("jmglu.opencl.norminb", Integer.toString(norminb));            // read when the backend opens
        try (Backend be = new OpenClBackend(OpenClContext.open(), OpenClSettings.defaults().withTc(OpenClSettings.Switch.ON))) {
            got = run(be, c, packed);
            kv16 = be.kvCacheType() == DType.F16;
        } finally {
            if (old == null) System.clearProperty("jmglu.opencl.norminb");
            else System.setProperty("jmglu.opencl.norminb", old);
        }
        for (int i = 0; i < want.length; i++) Check.close(want[i], got[i], tol(kv16, want[i]), 1e-3, kind + " " + dt + " norminb=" + norminb + " step " + i);
    }

    /** 2e-4, or over F16 KV caches Check.KV16_OF_MAX of the step's largest |logit|. */
    static double tol(boolean kv16, float[] want) {
        double big = 0;
        for (float w : want) big = Math.max(big, Math.abs(w));
        return kv16 ? Math.max(2e-4, Check.KV16_OF_MAX * big) : 2e-4;
    }

    /** Each step's logits (B, V): B = 5 rows, row b starting b steps late (before it, token 0 at position 0). */
    static float[][] run(Backend be, Config c, Map<String, Tensor> packed) {
        int B = 5, T = 6;
        int[][] seqs = new int[B][];
        for (int b = 0; b < B; b++) seqs[b] = ModelOnEveryBackendTest.ids(T, 21 + b);
        Transformer inf = Transformer.forInference(c, packed, be);
        float[][] out = new float[T][];
        try (DecodeState s = inf.newState(B, T)) {
            for (int step = 0; step < T; step++) {
                int[] tok = new int[B], pos = new int[B];
                for (int b = 0; b < B; b++) {
                    pos[b] = Math.max(step - b, 0);
                    tok[b] = seqs[b][pos[b]];
                }
                out[step] = inf.decode(s, tok, pos).clone();
            }
        }
        return out;
    }
}
