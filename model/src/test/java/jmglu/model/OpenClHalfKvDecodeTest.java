package jmglu.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Map;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import jmglu.gpu.DecodeSwitches;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClProvider;
import jmglu.gpu.OpenClSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OpenCL decode keeps its KV caches in F16 by default ({@link Backend#kvCacheType}; the kernels read halves and
 * compute in F32) and in F32 when asked ({@link DecodeSwitches#kvCache}, -Djmglu.opencl.kvcache=f32). A small model (ModelOnEveryBackendTest's mglu and
 * hf-llama: GQA, head_dim 12, halves RoPE; logits of size ~1 and more) prefills a 5-token prompt, then decodes greedily
 * to the end of a 12-position cache, on HostBackend(ReferenceKernels) and on OpenCL with each cache type, from the same
 * F32 weights. F32 caches: every step's logits within the F32 tolerance (1e-5 + 1e-4 rel). F16 caches: within
 * {@link Check#KV16_OF_MAX} of the step's largest |logit| (each cached key and value carries a relative error up to 2^-11),
 * the same greedy tokens, and not the F32 caches' logits bit for bit (the halves are what the decode read). The state
 * counts its caches in their type ({@link DecodeState#bytes(Config, int, int, DType)}).
 */
class OpenClHalfKvDecodeTest {
    record Run(float[][] logits, int[] tokens) {}

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mglu", "hf-llama"})
    void halfCachesDecodeLikeTheReference(String kind) {
        Config c = ModelOnEveryBackendTest.config(kind);
        Map<String, Tensor> packed = ModelOnEveryBackendTest.model(c).pack(DType.F32);
        Run want = run(new HostBackend(new ReferenceKernels(), "ref"), c, packed), half, full;
        Backend halfBe = openCl(null);
        try (Backend be = halfBe) {
            assertEquals(DType.F16, be.kvCacheType(), "the opencl backend's caches by default");
            half = run(be, c, packed);
        }
        try (Backend be = openCl(DType.F32)) {
            assertEquals(DType.F32, be.kvCacheType(), "caches asked for in F32");
            full = run(be, c, packed);
        }
        boolean differ = false;
        for (int i = 0; i < want.logits.length; i++) {
            String what = kind + (i == 0 ? " prefill" : " decode step " + i);
            Check.close(want.logits[i], full.logits[i], 1e-5, 1e-4, what + " over F32 caches");
            Check.close(want.logits[i], half.logits[i], Check.decodeTolerance(halfBe, 1e-5, 1e-4, want.logits[i])[0], 1e-4, what + " over F16 caches");
            differ |= !Arrays.equals(half.logits[i], full.logits[i]);
        }
        assertArrayEquals(want.tokens, half.tokens, kind + " greedy tokens over F16 caches");
        assertArrayEquals(want.tokens, full.tokens, kind + " greedy tokens over F32 caches");
        assertTrue(differ, kind + ": the F16 caches gave the F32 caches' logits bit for bit (were they halves?)");
        int T = c.seqLen();
        assertEquals(DecodeState.bytes(c, 2, T) - 2L * 2 * c.nLayers() * T * c.kvDim() * 2, DecodeState.bytes(c, 2, T, DType.F16), "bytes of F16 caches");
    }

    /** A 5-token prefill, then greedy steps (argmax on the host) to position seqLen − 1: each step's logits and token. */
    static Run run(Backend be, Config c, Map<String, Tensor> packed) {
        int T = c.seqLen(), P = 5;
        Transformer inf = Transformer.forInference(c, packed, be);
        float[][] logits = new float[T - P + 1][];
        int[] tokens = new int[T - P + 1];
        try (DecodeState s = inf.newState(1, T)) {
            assertEquals(be.kvCacheType(), s.kvCacheType(), "the state's caches in the backend's type");
            logits[0] = inf.prefill(s, 0, ModelOnEveryBackendTest.ids(P, 31), 0).clone();
            tokens[0] = argmax(logits[0]);
            for (int p = P; p < T; p++) {
                logits[p - P + 1] = inf.decode(s, new int[] {tokens[p - P]}, new int[] {p}).clone();
                tokens[p - P + 1] = argmax(logits[p - P + 1]);
            }
        }
        return new Run(logits, tokens);
    }

    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    /** An OpenCL backend whose caches are kv (null: the default of {@link DecodeSwitches}), the other switches from the properties. */
    static Backend openCl(DType kv) {
        String why = OpenClProvider.probe();
        if (why != null) {
            if (System.getenv("CI") != null) fail("CI is set but OpenCL is unavailable: " + why);
            assumeTrue(false, "OpenCL unavailable, skipping: " + why);
        }
        DecodeSwitches s = DecodeSwitches.fromSystemProperties().withKvCache(kv == null ? DecodeSwitches.defaults().kvCache() : kv);
        return new OpenClBackend(OpenClContext.open(), OpenClSettings.defaults(), s);
    }
}
