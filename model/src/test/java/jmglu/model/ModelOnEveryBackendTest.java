package jmglu.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jmglu.autograd.Autograd;
import jmglu.autograd.F;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.DType;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One suite, every backend on the class path (reference, simd; opencl where an OpenCL platform
 * is there, e.g. PoCL in CI): the decode step of the packed model gives the training forward's
 * logits, for every FFN kind, Top-K included, and for a Hugging Face Llama-style attention (GQA, head_dim ≠ dim/nHeads,
 * halves RoPE with llama3 scaling); batched decoding equals decoding each sequence alone.
 * Tolerances: F32 packing is the same numbers summed in another order, 1e-5 abs + 1e-4 rel; BF16
 * weights carry 8 mantissa bits (relative error ≤ 2^-9 each), 0.03 abs + 0.03 rel on logits of size ~1. Over F16 KV
 * caches (opencl's default, {@link Backend#kvCacheType}) the F32 tolerances' abs widens to Check.KV16_OF_MAX of the largest |logit|
 * ({@link Check#decodeTolerance}); OpenClHalfKvDecodeTest holds the F32 caches to the F32 tolerance.
 */
class ModelOnEveryBackendTest {

    static Stream<Arguments> cases() {
        List<String> kinds = List.of("gelu", "swiglu", "mglu", "mglu-topk", "mglu-untied", "hf-llama");
        return Backends.available().stream().flatMap(b -> kinds.stream().map(k -> Arguments.of(b, k)));
    }

    static Config config(String kind) {
        return switch (kind) {
            case "gelu" -> Config.of(256, 32, 2, 4, 48, 12, Config.FfnKind.GELU, 0, Act.GELU, 0, true);
            case "swiglu" -> Config.of(256, 32, 2, 4, 48, 12, Config.FfnKind.GLU, 0, Act.SILU, 0, true);
            case "mglu" -> Config.of(256, 32, 2, 4, 48, 12, Config.FfnKind.MGLU, 3, Act.SILU, 0, true);
            case "mglu-topk" -> Config.of(256, 32, 2, 4, 48, 12, Config.FfnKind.MGLU, 4, Act.GELU, 2, true);
            case "mglu-untied" -> Config.of(256, 40, 1, 2, 70, 12, Config.FfnKind.MGLU, 5, Act.RELU, 0, false);
            // a Hugging Face Llama's attention: GQA (4 query heads over 2), head_dim 12 (qDim 48 ≠ dim 32), rotate_half
            // pairs, llama3 frequency scaling (pair 0 between the two wavelength bounds, the others stretched)
            case "hf-llama" -> new Config(256, 32, 2, 4, 2, 12, 48, 12, Config.FfnKind.GLU, 0, Act.SILU, 0, false,
                    Rope.halves(10000f, new Rope.Scaling.Llama3(4f, 1f, 4f, 8)), 1e-5f);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** A model whose logits are well away from zero (weights scaled up), so the tolerances mean something. */
    static Transformer model(Config c) {
        Transformer m = new Transformer(c, 3);
        for (var e : m.parameters().entrySet()) {
            float[] a = e.getValue().value().data();
            if (!e.getKey().endsWith("mask_logits") && e.getValue().value().rank() == 2) for (int i = 0; i < a.length; i++) a[i] *= 8f;
        }
        return m;
    }

    static int[] ids(int T, long seed) {
        int[] ids = new int[T];
        jmglu.engine.Rng r = new jmglu.engine.Rng(seed);
        for (int t = 0; t < T; t++) ids[t] = r.nextInt(256);
        return ids;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void decodeStepEqualsTrainingForward(String backend, String kind) {
        Config c = config(kind);
        Transformer m = model(c);
        int T = c.seqLen();
        int[] ids = ids(T, 11);
        try (Backend be = Backends.open(backend)) {
            F f = new F(be.canTrain() ? be.kernels() : new ReferenceKernels());
            float[] want = Autograd.noGrad(() -> m.forward(f, ids, 1, T)).value().toArray();          // (T, V)
            double big = 0;
            for (float w : want) big = Math.max(big, Math.abs(w));
            assertTrue(big > 1, "logits of size ~1 or more, got max |logit| " + big);
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                Transformer inf = Transformer.forInference(c, m.pack(dt), be);
                float[] got = new float[T * c.vocab()];
                try (DecodeState s = inf.newState(1, T)) {
                    for (int t = 0; t < T; t++) System.arraycopy(inf.decode(s, new int[] {ids[t]}, new int[] {t}), 0, got, t * c.vocab(), c.vocab());
                }
                double[] tol = Check.decodeTolerance(be, 1e-5, 1e-4, want);
                if (dt == DType.F32) Check.close(want, got, tol[0], tol[1], backend + " " + kind + " f32 decode vs forward");
                else Check.close(want, got, 0.03, 0.03, backend + " " + kind + " bf16 decode vs forward");
            }
        }
    }

    /** A prefill in two parts (the second reads the cache the first wrote), into row 1 of a batch of 2, gives the forward's logits. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void prefillEqualsTrainingForward(String backend, String kind) {
        Config c = config(kind);
        Transformer m = model(c);
        int T = c.seqLen(), cut = 5, V = c.vocab();
        int[] ids = ids(T, 13);
        try (Backend be = Backends.open(backend)) {
            F f = new F(be.canTrain() ? be.kernels() : new ReferenceKernels());
            float[] want = Autograd.noGrad(() -> m.forward(f, ids, 1, T)).value().toArray();          // (T, V)
            Transformer inf = Transformer.forInference(c, m.pack(DType.F32), be);
            double[] tol = Check.decodeTolerance(be, 1e-5, 1e-4, want);
            try (DecodeState s = inf.newState(2, T)) {
                float[] first = inf.prefill(s, 1, java.util.Arrays.copyOfRange(ids, 0, cut), 0);
                Check.close(java.util.Arrays.copyOfRange(want, (cut - 1) * V, cut * V), first, tol[0], tol[1], backend + " " + kind + " prefill part 1");
                float[] rest = inf.prefill(s, 1, java.util.Arrays.copyOfRange(ids, cut, T), cut);
                Check.close(java.util.Arrays.copyOfRange(want, (T - 1) * V, T * V), rest, tol[0], tol[1], backend + " " + kind + " prefill part 2");
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void batchedDecodeEqualsEachSequenceAlone(String backend, String kind) {
        Config c = config(kind);
        Transformer m = model(c);
        int B = 3, T = 6;
        int[][] seqs = {ids(T, 1), ids(T, 2), ids(T, 3)};
        try (Backend be = Backends.open(backend)) {
            Transformer inf = Transformer.forInference(c, m.pack(DType.F32), be);
            float[][] alone = new float[B][];
            for (int b = 0; b < B; b++)
                try (DecodeState s = inf.newState(1, T)) {
                    for (int t = 0; t < T; t++) alone[b] = inf.decode(s, new int[] {seqs[b][t]}, new int[] {t}).clone();
                }
            // the batch runs the sequences at staggered positions: sequence b starts b steps late
            float[][] last = new float[B][];
            try (DecodeState s = inf.newState(B, T + B)) {
                int[] pos = new int[B];
                for (int step = 0; step < T + B - 1; step++) {
                    int[] tok = new int[B], p = new int[B];
                    for (int b = 0; b < B; b++) {
                        int t = Math.min(Math.max(step - b, 0), T - 1);      // before its start a row repeats token 0 at position 0
                        tok[b] = seqs[b][t];
                        p[b] = t;
                    }
                    float[] lg = inf.decode(s, tok, p);
                    for (int b = 0; b < B; b++) if (step - b == T - 1) last[b] = java.util.Arrays.copyOfRange(lg, b * c.vocab(), (b + 1) * c.vocab());
                }
            }
            for (int b = 0; b < B; b++) {                          // over F16 caches a k one F32 ulp apart (B = 1 or 3) may round apart
                double[] tol = Check.decodeTolerance(be, 1e-5, 1e-4, alone[b]);
                Check.close(alone[b], last[b], tol[0], tol[1], backend + " " + kind + " row " + b + " of the batch");
            }
        }
    }

    /** Drawing on the backend (temperature, top-k, B rows, a device's float walk) is the reference draw on the step's logits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void samplingOnTheBackendIsTheReferenceDraw(String backend) {
        Config c = config("mglu");
        int B = 3, T = 6, V = c.vocab();
        int[][] seqs = {ids(T, 1), ids(T, 2), ids(T, 3)};
        jmglu.engine.Rng r = new jmglu.engine.Rng(8);
        try (Backend be = Backends.open(backend)) {
            Transformer inf = Transformer.forInference(c, model(c).pack(DType.F32), be);
            try (DecodeState s = inf.newState(B, T)) {
                for (int t = 0; t < T; t++) {
                    float temp = t % 2 == 0 ? 0.8f : 1.5f;
                    int k = t % 3 == 0 ? 0 : 7;
                    double[] u = new double[B];
                    for (int b = 0; b < B; b++) u[b] = (float) r.nextDouble();      // floats: what a device draws with
                    int[] got = inf.decodeSample(s, new int[] {seqs[0][t], seqs[1][t], seqs[2][t]}, new int[] {t, t, t}, temp, k, u).clone();
                    float[] l = s.readLogits();
                    for (int b = 0; b < B; b++)
                        assertEquals(jmglu.engine.Sampling.draw(l, b * V, V, temp, k, u[b]), got[b], backend + " step " + t + " row " + b);
                }
            }
        }
    }

    /**
     * DecodeAhead (each step fed by the ids the step before chose on the backend, the host one step ahead) chooses the
     * tokens of decodeGreedy / decodeSample step by step, for rows at different positions and uniforms in the same order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void pipelinedDecodingChoosesTheTokensOfOneStepAtATime(String backend) {
        Config c = config("mglu");
        int B = 2, T = 7;
        try (Backend be = Backends.open(backend)) {
            Transformer inf = Transformer.forInference(c, model(c).pack(DType.F32), be);
            for (float temp : new float[] {0f, 1.3f}) {
                int k = temp == 0f ? 1 : 9;
                int[][] want = new int[T][], got = new int[T][];
                jmglu.engine.Rng r1 = new jmglu.engine.Rng(5), r2 = new jmglu.engine.Rng(5);
                try (DecodeState s = inf.newState(B, T + 2)) {
                    int[] tok = {3, 11};
                    for (int t = 0; t < T; t++) {
                        int[] pos = {t, t + 2};
                        double[] u = {(float) r1.nextDouble(), (float) r1.nextDouble()};
                        tok = (temp == 0f ? inf.decodeGreedy(s, tok, pos) : inf.decodeSample(s, tok, pos, temp, k, u)).clone();
                        want[t] = tok;
                    }
                }
                try (DecodeState s = inf.newState(B, T + 2)) {
                    var ahead = new jmglu.model.infer.DecodeAhead(inf, s, temp, k);
                    for (int t = 0; t < T; t++) {
                        int[] pos = {t, t + 2};
                        double[] u = {(float) r2.nextDouble(), (float) r2.nextDouble()};
                        if (t == 0) ahead.start(new int[] {3, 11}, pos, u);
                        else got[t - 1] = ahead.next(pos, u);
                    }
                    got[T - 1] = ahead.finish();
                }
                for (int t = 0; t < T; t++) org.junit.jupiter.api.Assertions.assertArrayEquals(want[t], got[t], backend + " T=" + temp + " step " + t);
            }
        }
    }

    /**
     * Logits that overflow (a final norm weight of 3e38: ±Inf in n, then Inf − Inf in the head) stop a pipelined decode
     * with the error, not with a token, and the step fed the bad id runs on a row of NaN instead of reading outside the table.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void pipelinedDecodingStopsOnNonFiniteLogits(String backend) {
        Config c = config("mglu");
        Map<String, Tensor> w = model(c).pack(DType.F32);
        float[] a = w.get("norm.weight").toArray();
        java.util.Arrays.fill(a, 3e38f);
        w.put("norm.weight", Tensor.of(a, a.length));
        try (Backend be = Backends.open(backend)) {
            Transformer inf = Transformer.forInference(c, w, be);
            try (DecodeState s = inf.newState(1, 4)) {
                var ahead = new jmglu.model.infer.DecodeAhead(inf, s, 0f, 1);
                ahead.start(new int[] {2}, new int[] {0}, null);
                var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ahead.next(new int[] {1}, null));
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
                assertEquals(true, ahead.running());
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, ahead::finish);   // the step fed a row of NaN
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void groupedQueryAttentionDecodesLikeRepeatedHeads(String backend) {
        // nKv = 2 of nH = 4: the same as MHA whose K and V heads are each used twice
        Config gqa = new Config(256, 32, 1, 4, 2, 8, 48, 8, Config.FfnKind.GLU, 0, Act.SILU, 0, true, Rope.interleaved(10000f), 1e-5f);
        Config mha = new Config(256, 32, 1, 4, 4, 8, 48, 8, Config.FfnKind.GLU, 0, Act.SILU, 0, true, Rope.interleaved(10000f), 1e-5f);
        Map<String, Tensor> g = model(mha).pack(DType.F32);
        Map<String, Tensor> small = new java.util.LinkedHashMap<>(g);
        int hd = 8;
        for (String w : new String[] {"layers.0.attn.wk.weight", "layers.0.attn.wv.weight"}) {
            float[] full = g.get(w).toArray(), kv = new float[2 * hd * 32];                       // rows [j·hd, (j+1)·hd) = head j
            for (int k = 0; k < 2; k++) System.arraycopy(full, 2 * k * hd * 32, kv, k * hd * 32, hd * 32);  // KV head k = MHA head 2k
            for (int j = 0; j < 4; j++) System.arraycopy(kv, (j / 2) * hd * 32, full, j * hd * 32, hd * 32);   // MHA heads 2k, 2k+1 = KV head k
            g.put(w, Tensor.of(full, 32, 32));
            small.put(w, Tensor.of(kv, 2 * hd, 32));
        }
        int[] ids = ids(8, 5);
        try (Backend be = Backends.open(backend)) {
            Transformer a = Transformer.forInference(mha, g, be), b = Transformer.forInference(gqa, small, be);
            try (DecodeState sa = a.newState(1, 8); DecodeState sb = b.newState(1, 8)) {
                for (int t = 0; t < 8; t++)
                    Check.close(a.decode(sa, new int[] {ids[t]}, new int[] {t}).clone(), b.decode(sb, new int[] {ids[t]}, new int[] {t}),
                            1e-5, 1e-4, backend + " GQA step " + t);
            }
        }
    }

    static Stream<String> backends() { return Backends.available().stream(); }
}
