package jmglu.engine;

/**
 * Storage types. Compute is always float32; BF16 and F16 are storage formats for weights
 * (inference reads 16 bits per weight element). Conversions round to nearest, ties to even.
 *
 * <pre>
 *   F32  : 1 sign | 8 exponent | 23 mantissa
 *   BF16 : 1 sign | 8 exponent |  7 mantissa   = the top 16 bits of an F32
 *   F16  : 1 sign | 5 exponent | 10 mantissa   (IEEE 754 binary16, subnormals below 2^-14)
 * </pre>
 */
public enum DType {
    F32(4), BF16(2), F16(2);

    /** Bytes per element. */
    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Parses "f32", "bf16", "fp16"/"f16" (case-insensitive). */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "fp32", "float32" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (expected f32, bf16 or fp16)");
        };
    }

    /** Float to the 16-bit pattern of this type (BF16 or F16), round to nearest even. */
    public short encode(float f) {
        return switch (this) {
            case BF16 -> floatToBf16(f);
            case F16 -> Float.floatToFloat16(f);
            case F32 -> throw new IllegalStateException("F32 is not a 16-bit type");
        };
    }

    /** The 16-bit pattern of this type back to float (exact: every BF16/F16 value is a float). */
    public float decode(short bits) {
        return switch (this) {
            case BF16 -> bf16ToFloat(bits);
            case F16 -> Float.float16ToFloat(bits);
            case F32 -> throw new IllegalStateException("F32 is not a 16-bit type");
        };
    }

    /**
     * BF16 keeps the high half of the F32 bits. Rounding: add 0x7FFF plus the lowest kept bit
     * (ties go to the even neighbour), then truncate. NaN stays a quiet NaN (the add could carry
     * a NaN payload into infinity); large finite values round up to infinity as IEEE requires.
     */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x0040); // NaN, quiet
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** BF16 to float: the 16 bits become the high half of the F32 pattern. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Encodes a whole array (n elements from src[so]) into dst[do_]. */
    public void encode(short[] dst, int dstOff, float[] src, int srcOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = encode(src[srcOff + i]);
    }

    /** Decodes n 16-bit values into floats. */
    public void decode(float[] dst, int dstOff, short[] src, int srcOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = decode(src[srcOff + i]);
    }
}
