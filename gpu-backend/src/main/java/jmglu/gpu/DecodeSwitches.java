package jmglu.gpu;

import java.util.function.UnaryOperator;
import jmglu.engine.DType;

/**
 * Which fused decode paths {@link OpenClBackend} takes: immutable, given at construction (as {@link OpenClSettings}
 * is for the kernels' shapes). {@link #fromSystemProperties()} reads the {@code -Djmglu.opencl.*} properties once,
 * when the backend opens; tests and the lab build variants with the {@code withXxx} methods. The defaults are what
 * measured best on the H200.
 *
 * @param normOut        -Djmglu.opencl.normout = on (default) | off: linearRmsnorm on the tensor-core GEMV of decode
 *                       batches writes n = rmsnorm(y) from the launch's last work-group (gemv_tc.cl NORMOUT); off, the
 *                       GEMV owes its norm instead (a norm launch later). H200, B = 8: +4% over off (lab/gpu/normout-run,
 *                       session7-final call 1).
 * @param fused          -Djmglu.opencl.fused = on (default) | off: off, the fused ops (linearRmsnorm, embeddingRmsnorm,
 *                       linearArgmax) and the device argmax and sampling run as their compositions (the A/B of
 *                       lab/gpu/decode-run4): a B = 1 greedy step of L layers takes 7·L + 3 launches instead of 5·L + 1.
 * @param headArgmaxMaxB the largest batch whose lm head takes the argmax into its launch (linearArgmax):
 *                       -Djmglu.opencl.headargmax = on (default; "all" the same: B ≤ {@link OpenClMglu#MAX_BATCH}, on
 *                       gemv_b1.cl and gemv_tc.cl) | small (B ≤ 2, gemv_b1.cl only) | off (0). H200, V 256, device µs:
 *                       B = 1 the fused head 10.7 against 7.7 + 8.1 for the head and argmax_rows (lab/gpu/session7-final
 *                       call 4); B = 8 on gemv_tc 14.4 / 15.1 against 11.2 + 9.5 (lab/gpu/s8-run call 2, DecodeProfile),
 *                       since the last group merges all rows at once (argmax_part.cl; before that, row by row, 25.1).
 * @param kvCache        the KV caches' type ({@link OpenClBackend#kvCacheType}): -Djmglu.opencl.kvcache = f16 (default)
 *                       | f32. F16: the caches hold halves (attention.cl, attn_wg.cl ... built with KVH = 1: vload_half /
 *                       vstore_half_rte, compute in F32), half the bytes a decode step's attention reads.
 */
public record DecodeSwitches(boolean normOut, boolean fused, int headArgmaxMaxB, DType kvCache) {
    /** headargmax=small: the batches gemv_b1.cl runs. */
    static final int HEAD_ARGMAX_SMALL = 2;

    public DecodeSwitches {
        if (headArgmaxMaxB < 0 || headArgmaxMaxB > OpenClMglu.MAX_BATCH)
            throw new IllegalArgumentException("DecodeSwitches: headArgmaxMaxB must be in 0.." + OpenClMglu.MAX_BATCH + ", got " + headArgmaxMaxB);
        if (kvCache != DType.F16 && kvCache != DType.F32) throw new IllegalArgumentException("DecodeSwitches: kvCache must be F16 or F32, got " + kvCache);
    }

    /** Every fused path on (the head's argmax at every batch), F16 caches. */
    public static DecodeSwitches defaults() { return new DecodeSwitches(true, true, OpenClMglu.MAX_BATCH, DType.F16); }

    /** The defaults overridden by -Djmglu.opencl.{normout, fused, headargmax, kvcache}. */
    public static DecodeSwitches fromSystemProperties() { return from(System::getProperty); }

    /** The switches from a property lookup (name → value, null where unset): {@link #fromSystemProperties()} over any source. */
    static DecodeSwitches from(UnaryOperator<String> property) {
        boolean normOut = !"off".equals(get(property, "normout", "on"));
        boolean fused = !"off".equals(get(property, "fused", "on").trim());
        String head = get(property, "headargmax", "on");
        int headMaxB = switch (head.trim()) {
            case "off" -> 0;
            case "on", "all" -> OpenClMglu.MAX_BATCH;
            case "small" -> HEAD_ARGMAX_SMALL;
            default -> throw new IllegalArgumentException("-Djmglu.opencl.headargmax=" + head + ": expected on, small or off");
        };
        String kv = get(property, "kvcache", "f16").trim();
        DType kvCache = DType.parse(kv);
        if (kvCache != DType.F16 && kvCache != DType.F32) throw new IllegalArgumentException("-Djmglu.opencl.kvcache=" + kv + ": expected f16 or f32");
        return new DecodeSwitches(normOut, fused, headMaxB, kvCache);
    }

    private static String get(UnaryOperator<String> property, String name, String def) {
        String v = property.apply("jmglu.opencl." + name);
        return v == null ? def : v;
    }

    // ---------------------------------------------------------------- variants
    public DecodeSwitches withNormOut(boolean normOut) { return new DecodeSwitches(normOut, fused, headArgmaxMaxB, kvCache); }

    public DecodeSwitches withFused(boolean fused) { return new DecodeSwitches(normOut, fused, headArgmaxMaxB, kvCache); }

    public DecodeSwitches withHeadArgmaxMaxB(int headArgmaxMaxB) { return new DecodeSwitches(normOut, fused, headArgmaxMaxB, kvCache); }

    public DecodeSwitches withKvCache(DType kvCache) { return new DecodeSwitches(normOut, fused, headArgmaxMaxB, kvCache); }

}
