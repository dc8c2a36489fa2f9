package jmglu.model.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.autograd.Var;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.Tensor;
import jmglu.model.Config;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;
import org.junit.jupiter.api.Test;

/** AdamW's decay rule, update and clipping worked by hand; the schedule's shape; KV-cache sizing. On the default backend. */
class OptimizerTest {

    @Test void decayRuleFollowsTheDocumentedClasses() {
        Config c = Config.of(256, 16, 1, 2, 32, 8, Config.FfnKind.MGLU, 2, Act.SILU, 1, true);
        Map<String, Var> p = new Transformer(c, 1).parameters();
        for (var e : p.entrySet()) {
            String n = e.getKey();
            boolean want = e.getValue().value().rank() >= 2 && !n.endsWith("mask_logits");
            assertEquals(want, AdamW.decays(n, e.getValue()), n);
        }
        assertFalse(AdamW.decays("layers.0.ffn.mask_logits", p.get("layers.0.ffn.mask_logits")), "mask logits never decay");
        assertFalse(AdamW.decays("norm.weight", p.get("norm.weight")), "norm gains never decay");
        assertTrue(AdamW.decays("layers.0.ffn.router", p.get("layers.0.ffn.router")), "the router decays");
    }

    @Test void oneStepMatchesTheFormulaWorkedByHand() {
        try (Backend be = Backends.open(null)) {
            Var w = Var.param(Tensor.of(new float[] {1f, -2f, 0.5f, 3f}, 2, 2)), g = Var.param(Tensor.of(new float[] {2f, 1f}, 2));
            Map<String, Var> params = new LinkedHashMap<>();
            params.put("w", w);
            params.put("g", g);
            AdamW opt = new AdamW(be.kernels(), params, 0.1f);
            seed(w, 0.5f, -1f, 0f, 2f);
            seed(g, 1f, -1f);
            float lr = 0.01f;
            opt.update(lr);
            // step 1: m̂ = g, v̂ = g², so the step is lr·(g/(|g| + ε) + wd·p) for decaying p, lr·g/(|g| + ε) otherwise
            float[] wNow = w.value().toArray(), want = {1f, -2f, 0.5f, 3f}, grad = {0.5f, -1f, 0f, 2f};
            for (int i = 0; i < 4; i++) {
                double step = grad[i] == 0 ? 0 : grad[i] / (Math.abs(grad[i]) + 1e-8);
                assertEquals(want[i] - lr * (step + 0.1 * want[i]), wNow[i], 1e-6, "w[" + i + "] decays (a matrix)");
            }
            float[] gNow = g.value().toArray();
            assertEquals(2f - lr * 1f, gNow[0], 1e-6, "a 1-D gain does not decay");
            assertEquals(1f + lr * 1f, gNow[1], 1e-6);
            assertEquals(1, opt.step());
        }
    }

    @Test void clippingScalesTheGlobalNormDownOnly() {
        try (Backend be = Backends.open(null)) {
            Var a = Var.param(Tensor.zeros(3)), b = Var.param(Tensor.zeros(2, 2));
            Map<String, Var> params = new LinkedHashMap<>();
            params.put("a", a);
            params.put("b", b);
            AdamW opt = new AdamW(be.kernels(), params, 0f);
            seed(a, 3f, 0f, 0f);
            seed(b, 0f, 4f, 0f, 0f);                              // global norm √(9 + 16) = 5
            assertEquals(5.0, opt.clipGradNorm(10.0), 1e-9, "returns the norm before clipping");
            assertEquals(3f, a.grad().toArray()[0], "below the limit nothing changes");
            assertEquals(5.0, opt.clipGradNorm(1.0), 1e-6);
            assertEquals(0.6f, a.grad().toArray()[0], 1e-6f);
            assertEquals(0.8f, b.grad().toArray()[1], 1e-6f);
            assertEquals(1.0, opt.gradNorm(), 1e-6, "clipped to the limit");
        }
    }

    @Test void scheduleWarmsUpThenDecaysToMinLr() {
        Schedule s = new Schedule(1e-3f, 1e-4f, 10, 110);
        assertEquals(1e-4f, s.at(0), 1e-9f, "warm-up starts at lr/warmup");
        assertEquals(1e-3f, s.at(9), 1e-9f, "and reaches lr");
        assertEquals(1e-3f, s.at(10), 1e-9f, "cosine starts at lr");
        assertEquals(5.5e-4f, s.at(59), 1e-5f, "half way down at the middle of the decay");
        assertEquals(1e-4f, s.at(109), 1e-9f, "ends at minLr");
        for (int i = 11; i < 110; i++) assertTrue(s.at(i) <= s.at(i - 1), "decays monotonically");
    }

    @Test void kvCacheIsSizedBeforeAllocation() {
        Config c = Config.of(256, 64, 4, 4, 128, 32, Config.FfnKind.GLU, 0, Act.SILU, 0, true);
        assertEquals(4L * 2 * (2L * 4 * 100 * 64 + 4 * 64 + 2 * 64 + 128 + 256), DecodeState.bytes(c, 2, 100));
        try (Backend be = Backends.open(null)) {
            Transformer m = Transformer.forInference(c, new Transformer(c, 1).pack(jmglu.engine.DType.BF16), be);
            var e = assertThrows(OutOfMemoryError.class, () -> m.newState(4096, 1 << 20));
            assertTrue(e.getMessage().contains("give a shorter context or more heap"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.newState(0, 8));
            try (DecodeState s = m.newState(2, 100)) { assertEquals(100, s.maxSeq()); }
        }
    }

    private static void seed(Var v, float... g) {
        v.zeroGrad();
        Tensor t = Tensor.of(g.clone(), v.shape());
        // accumulate g through a tiny backward: grad = d(sum(v ⊙ g))/dv = g
        jmglu.autograd.F f = new jmglu.autograd.F(new jmglu.engine.ReferenceKernels());
        f.sum(f.mul(v, Var.constant(t))).backward();
    }
}
