package jmglu.engine;

/**
 * Storage types. Compute is always float32; BF16 and F16 are storage formats for weights
 * (inference reads 16 bits per weight element); I32 holds mask bit-planes. Conversions round to
 * nearest, ties to even. Every multi-byte value is little-endian in memory and in files
 * (the {@code LE_*} layouts; they are unaligned so that any file offset can be read).
 *
 * <pre>
 *   F32  : 1 sign | 8 exponent | 23 mantissa
 *   BF16 : 1 sign | 8 exponent |  7 mantissa   = the top 16 bits of an F32
 *   F16  : 1 sign | 5 exponent | 10 mantissa   (IEEE 754 binary16, subnormals below 2^-14)
 * </pre>
 */
public enum DType {
    F32(4), BF16(2), F16(2),
    /** 32-bit integers: mask bit-planes (32 mask bits per word, see {@link MaskPlanes}) and token ids. */
    I32(4);

    /** Bytes per element. */
    public final int bytes;

    public static final java.lang.foreign.ValueLayout.OfFloat LE_FLOAT =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    public static final java.lang.foreign.ValueLayout.OfShort LE_SHORT =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    public static final java.lang.foreign.ValueLayout.OfInt LE_INT =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The float storage types (what weights may be stored in). */
    public static DType[] floats() { return new DType[] {F32, BF16, F16}; }

    /** Whether this is a 16-bit float storage type (BF16 or F16). */
    public boolean isHalf() { return this == BF16 || this == F16; }

    DType(int bytes) { this.bytes = bytes; }

    /** Parses "f32", "bf16", "fp16"/"f16" (case-insensitive). */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "fp32", "float32" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            case "i32", "int32" -> I32;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (expected f32, bf16 or fp16)");
        };
    }

    /** Float to the 16-bit pattern of this type (BF16 or F16), round to nearest even. */
    public short encode(float f) {
        return switch (this) {
            case BF16 -> floatToBf16(f);
            case F16 -> Float.floatToFloat16(f);
            case F32, I32 -> throw new IllegalStateException(this + " is not a 16-bit type");
        };
    }

    /** The 16-bit pattern of this type back to float (exact: every BF16/F16 value is a float). */
    public float decode(short bits) {
        return switch (this) {
            case BF16 -> bf16ToFloat(bits);
            case F16 -> Float.float16ToFloat(bits);
            case F32, I32 -> throw new IllegalStateException(this + " is not a 16-bit type");
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
