package jmglu.gpu;

import static jmglu.gpu.OpenClTesting.poisoned;
import static jmglu.gpu.OpenClTesting.randn;
import static jmglu.gpu.OpenClTesting.read;
import static jmglu.gpu.OpenClTesting.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * {@link DecodeSwitches}: the -Djmglu.opencl.{normout, fused, headargmax, kvcache} values it parses (read through a map
 * here, no system property set), the errors for bad ones, the withXxx copies; then one OpenCL backend per switch set
 * (tc on, PoCL: the emulated mma) running linearRmsnorm then linearArgmax at B = 1 and 3 against
 * HostBackend(ReferenceKernels): every set gives the reference's y, n, logits and tokens, and each switch changes only
 * the launches and where the norm is (written or owed).
 */
class DecodeSwitchesTest {
    static DecodeSwitches parse(String... kv) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put("jmglu.opencl." + kv[i], kv[i + 1]);
        return DecodeSwitches.from(m::get);
    }

    @Test void propertiesAndDefaults() {
        assertEquals(new DecodeSwitches(true, true, OpenClMglu.MAX_BATCH, DType.F16), DecodeSwitches.defaults());
        assertEquals(DecodeSwitches.defaults(), parse(), "no property set");
        assertEquals(DecodeSwitches.defaults(), parse("normout", "on", "fused", "on", "headargmax", "on", "kvcache", "f16"));
        assertEquals(new DecodeSwitches(false, false, 0, DType.F32), parse("normout", "off", "fused", " off ", "headargmax", "off", "kvcache", " f32"));
        assertEquals(OpenClMglu.MAX_BATCH, parse("headargmax", " all").headArgmaxMaxB());
        assertEquals(2, parse("headargmax", "small ").headArgmaxMaxB());
        assertEquals(DType.F32, parse("kvcache", "FP32").kvCache());
        assertEquals(true, parse("normout", "no").normOut(), "only off turns a switch off");
    }

    @Test void badValuesAreRefusedWithTheProperty() {
        assertEquals("-Djmglu.opencl.headargmax=some: expected on, small or off",
                assertThrows(IllegalArgumentException.class, () -> parse("headargmax", "some")).getMessage());
        assertEquals("-Djmglu.opencl.kvcache=bf16: expected f16 or f32",
                assertThrows(IllegalArgumentException.class, () -> parse("kvcache", "bf16")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> parse("kvcache", "f8"));
        assertThrows(IllegalArgumentException.class, () -> DecodeSwitches.defaults().withHeadArgmaxMaxB(OpenClMglu.MAX_BATCH + 1));
        assertThrows(IllegalArgumentException.class, () -> DecodeSwitches.defaults().withHeadArgmaxMaxB(-1));
        assertThrows(IllegalArgumentException.class, () -> DecodeSwitches.defaults().withKvCache(DType.BF16));
    }

    @Test void copiesChangeOneSwitch() {
        DecodeSwitches d = DecodeSwitches.defaults();
        int all = OpenClMglu.MAX_BATCH;
        assertEquals(new DecodeSwitches(false, true, all, DType.F16), d.withNormOut(false));
        assertEquals(new DecodeSwitches(true, false, all, DType.F16), d.withFused(false));
        assertEquals(new DecodeSwitches(true, true, 7, DType.F16), d.withHeadArgmaxMaxB(7));
        assertEquals(new DecodeSwitches(true, true, all, DType.F32), d.withKvCache(DType.F32));
    }

    /**
     * Launches of linearRmsnorm, then of linearArgmax, and whether n is owed after linearRmsnorm, per switch set: at B = 3
     * (gemv_tc) the default writes n in the GEMV's launch; normOut off owes it; fused off runs linear then rmsnorm, and
     * linear then the argmax on the host (logits read back, no launch). At B = 1 (gemv_b1) n is always owed when fused, and
 * read by the head's GEMV as it loads; at B = 3 an owed n is written (one launch) before the head.
     */
    @Test void eachSwitchSetComputesTheReference() {
        OpenClTesting.requireOpenCl();
        HostBackend ref = new HostBackend(new ReferenceKernels(), "ref");
        DecodeSwitches d = DecodeSwitches.defaults();
        DecodeSwitches[] sets = {d, d.withNormOut(false), d.withFused(false), d.withHeadArgmaxMaxB(0), d.withHeadArgmaxMaxB(DecodeSwitches.HEAD_ARGMAX_SMALL)};
        Rng rng = new Rng(95);
        int C = 40, V = 300;
        float eps = 1e-5f;
        for (int B : new int[] {1, 3}) {
            Tensor a = randn(rng, 1, B, C), y0 = randn(rng, 1, B, C), nw = randn(rng, 1, C);
            Tensor wo = weights(rng, DType.F16, C, C), head = weights(rng, DType.F16, V, C);
            Tensor ey = y0.copy(), en = Tensor.zeros(B, C), el = Tensor.zeros(B, V);
            ref.linearRmsnorm(ey, a, wo, true, en, nw, eps);
            int[] want = new int[B];
            ref.linearArgmax(want, el, en, head);
            for (DecodeSwitches s : sets) {
                String what = s + " B=" + B;
                try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), OpenClTesting.settings().withTc(OpenClSettings.Switch.ON), s)) {
                    assertEquals(s, gpu.switches());
                    Tensor y = gpu.adopt(y0), n = poisoned(gpu, B, C), l = poisoned(gpu, B, V);
                    long l0 = gpu.context().launches();
                    gpu.linearRmsnorm(y, gpu.adopt(a), gpu.adopt(wo), true, n, gpu.adopt(nw), eps);
                    long normLaunches = gpu.context().launches() - l0;
                    boolean owed = gpu.norms.owes();
                    int[] got = new int[B];
                    long l1 = gpu.context().launches();
                    gpu.linearArgmax(got, l, n, gpu.adopt(head));
                    long headLaunches = gpu.context().launches() - l1;
                    boolean written = s.fused() && s.normOut() && B > 2;
                    assertEquals(s.fused() && !written, owed, "n owed " + what);
                    assertEquals(s.fused() ? 1 : 2, normLaunches, "launches of linearRmsnorm " + what);
                    boolean fusedHead = s.fused() && B <= s.headArgmaxMaxB();
                    long settle = owed && B > gpu.norms.maxRows ? 1 : 0;       // an owed norm of more rows is written first
                    assertEquals(settle + (fusedHead || !s.fused() ? 1 : 2), headLaunches, "launches of linearArgmax " + what);
                    Check.close(ey.toArray(), read(gpu, y), 2e-4, 2e-4, "y " + what);
                    Check.close(en.toArray(), read(gpu, n), 4e-4, 4e-4, "n " + what);
                    Check.close(el.toArray(), read(gpu, l), 1e-3, 1e-3, "logits " + what);
                    assertArrayEquals(want, got, "tokens " + what);
                }
            }
        }
    }
}
