package jmglu.engine;

/**
 * The gate nonlinearities g of GLU / MGLU, with their derivatives (scalar, the reference
 * definition every kernel must match).
 * <ul>
 *   <li>SILU (swish): g(x) = x·σ(x), g'(x) = σ(x)·(1 + x·(1 − σ(x))) — SwiGLU / SwiMGLU</li>
 *   <li>GELU, tanh form: g(x) = ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³) — GeGLU / GeMGLU.
 *       jmglu uses the tanh form everywhere (CPU, SIMD, OpenCL) so all backends agree.</li>
 *   <li>RELU: g(x) = max(x, 0), g'(x) = 1[x &gt; 0] — ReGLU / ReMGLU</li>
 * </ul>
 */
public enum Act {
    SILU, GELU, RELU;

    static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    public static Act parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "silu", "swish" -> SILU;
            case "gelu" -> GELU;
            case "relu" -> RELU;
            default -> throw new IllegalArgumentException("unknown activation '" + s + "' (expected swish, gelu or relu)");
        };
    }

    /** g(x) in float64. */
    public double apply(double x) {
        return switch (this) {
            case SILU -> x / (1.0 + Math.exp(-x));
            case GELU -> 0.5 * x * (1.0 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
            case RELU -> x > 0 ? x : 0.0;
        };
    }

    /** g'(x) in float64. */
    public double derivative(double x) {
        return switch (this) {
            case SILU -> {
                double s = 1.0 / (1.0 + Math.exp(-x));
                yield s * (1.0 + x * (1.0 - s));
            }
            case GELU -> {
                double u = GELU_C * (x + 0.044715 * x * x * x);
                double th = Math.tanh(u);
                double du = GELU_C * (1.0 + 3 * 0.044715 * x * x);
                yield 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
            }
            case RELU -> x > 0 ? 1.0 : 0.0;
        };
    }

    /** g(x) in float32 (what the reference kernels compute). */
    public float apply(float x) { return (float) apply((double) x); }

    /** g'(x) in float32. */
    public float derivative(float x) { return (float) derivative((double) x); }
}
