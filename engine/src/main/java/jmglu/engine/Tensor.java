package jmglu.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * jmglu's one tensor type: a dtype, a shape, and storage.
 *
 * <p>Storage is either <b>host memory</b>, one {@link MemorySegment} holding exactly this
 * tensor's elements (little-endian, row-major), or a <b>device buffer</b> owned by a backend
 * ({@link DeviceBuffer}, e.g. an OpenCL buffer) plus a byte offset into it. Host memory comes in
 * three kinds, all read the same way:
 * <ul>
 *   <li>a Java array (heap): what training computes on; {@link #data()} returns the float[] and
 *       {@link #offset()} the first element;</li>
 *   <li>off-heap memory ({@link #allocate}): large working buffers the GC never copies;</li>
 *   <li>a read-only region of a memory-mapped file ({@link #wrap}): weights loaded from a
 *       safetensors file without a copy, so a model costs almost no heap.</li>
 * </ul>
 *
 * <p>Views share storage: {@link #reshape}, {@link #rows}, {@link #row} never copy. A tensor
 * always covers a contiguous run of elements; element (i0, …, ik) is at Σ i_j · stride_j with
 * row-major strides. Sizes are int element counts (below 2^31 elements, i.e. up to 8 GiB of F32
 * per tensor); byte offsets are long, so files and mappings may be of any size.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final int size;
    private final MemorySegment seg;      // host storage (exactly size · dtype.bytes bytes), or null
    private final DeviceBuffer device;    // device storage, or null
    private final long deviceOffset;      // byte offset of element 0 in device

    private Tensor(DType dtype, int[] shape, MemorySegment seg, DeviceBuffer device, long deviceOffset) {
        if (dtype == null) throw new IllegalArgumentException("Tensor: dtype is null");
        this.dtype = dtype;
        this.shape = shape.clone();
        this.size = checkedSize("Tensor", shape);
        this.seg = seg;
        this.device = device;
        this.deviceOffset = deviceOffset;
        long bytes = (long) size * dtype.bytes;
        if (seg != null && seg.byteSize() != bytes)
            throw new IllegalArgumentException("Tensor: shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes, storage has " + seg.byteSize());
        if (device != null && (deviceOffset < 0 || deviceOffset + bytes > device.byteSize()))
            throw new IllegalArgumentException("Tensor: shape " + Arrays.toString(shape) + " at byte " + deviceOffset
                    + " exceeds the device buffer of " + device.byteSize() + " bytes");
    }

    // ---------------------------------------------------------------- construction
    /** F32 zeros on the heap. */
    public static Tensor zeros(int... shape) { return of(new float[checkedSize("Tensor.zeros", shape)], shape); }

    /** Wraps a float array (no copy). */
    public static Tensor of(float[] data, int... shape) {
        if (data.length != checkedSize("Tensor.of", shape))
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values for shape " + Arrays.toString(shape));
        return new Tensor(DType.F32, shape, MemorySegment.ofArray(data), null, 0);
    }

    /** Wraps 16-bit patterns of type dtype (BF16 or F16) (no copy). */
    public static Tensor ofHalf(DType dtype, short[] bits, int... shape) {
        if (!dtype.isHalf()) throw new IllegalArgumentException("Tensor.ofHalf: dtype must be BF16 or F16, got " + dtype);
        if (bits.length != checkedSize("Tensor.ofHalf", shape))
            throw new IllegalArgumentException("Tensor.ofHalf: " + bits.length + " values for shape " + Arrays.toString(shape));
        return new Tensor(dtype, shape, MemorySegment.ofArray(bits), null, 0);
    }

    /** Wraps an int array (I32: mask bit-planes) (no copy). */
    public static Tensor ofInts(int[] data, int... shape) {
        if (data.length != checkedSize("Tensor.ofInts", shape))
            throw new IllegalArgumentException("Tensor.ofInts: " + data.length + " values for shape " + Arrays.toString(shape));
        return new Tensor(DType.I32, shape, MemorySegment.ofArray(data), null, 0);
    }

    /**
     * A tensor over existing host memory (no copy): an off-heap or memory-mapped segment of exactly
     * size · dtype.bytes little-endian bytes. A read-only segment makes a read-only tensor.
     */
    public static Tensor wrap(DType dtype, MemorySegment seg, int... shape) { return new Tensor(dtype, shape, seg, null, 0); }

    /** Zeros in off-heap memory owned by arena (freed when the arena closes). */
    public static Tensor allocate(Arena arena, DType dtype, int... shape) {
        long bytes = (long) checkedSize("Tensor.allocate", shape) * dtype.bytes;
        return new Tensor(dtype, shape, arena.allocate(bytes, 64), null, 0);
    }

    /** A tensor over a backend's device buffer, elements starting at byteOffset. */
    public static Tensor onDevice(DType dtype, DeviceBuffer buf, long byteOffset, int... shape) {
        if (buf == null) throw new IllegalArgumentException("Tensor.onDevice: buffer is null");
        return new Tensor(dtype, shape, null, buf, byteOffset);
    }

    /** std · N(0, 1) entries from rng (F32, heap). */
    public static Tensor randn(Rng rng, double std, int... shape) {
        float[] a = new float[checkedSize("Tensor.randn", shape)];
        rng.fillGaussian(a, 0, a.length, std);
        return of(a, shape);
    }

    /** The element count of shape; op names the caller in the error. */
    public static int checkedSize(String op, int[] shape) {
        if (shape == null || shape.length == 0) throw new IllegalArgumentException(op + ": a shape needs at least one dimension");
        long n = 1;
        for (int s : shape) {
            if (s <= 0) throw new IllegalArgumentException(op + ": dimensions must be positive, got " + Arrays.toString(shape));
            n *= s;
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has more than 2^31 elements");
        }
        return (int) n;
    }

    // ---------------------------------------------------------------- shape and storage
    public DType dtype() { return dtype; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public int size() { return size; }
    public long byteSize() { return (long) size * dtype.bytes; }

    /** Whether the elements are in host memory (heap, off-heap or mapped); false for device buffers. */
    public boolean isHost() { return seg != null; }

    /** Whether the elements are a Java array (what {@link #data()} needs). */
    public boolean isHeap() { return seg != null && seg.heapBase().isPresent(); }

    /** Whether writes are refused (a read-only mapping of a file). */
    public boolean isReadOnly() { return seg != null && seg.isReadOnly(); }

    /** Host storage: exactly this tensor's bytes (little-endian). */
    public MemorySegment segment() {
        if (seg == null) throw new IllegalStateException("Tensor.segment: " + this + " lives on device '" + device.device() + "'; read it back first");
        return seg;
    }

    /** The device buffer of a device tensor. */
    public DeviceBuffer deviceBuffer() {
        if (device == null) throw new IllegalStateException("Tensor.deviceBuffer: " + this + " is in host memory");
        return device;
    }

    /** The byte offset of element 0 in {@link #deviceBuffer()}. */
    public long deviceOffset() { return deviceOffset; }

    /** The float array of a heap F32 tensor (shared; elements [offset, offset + size) belong to this tensor). */
    public float[] data() {
        if (dtype != DType.F32) throw new IllegalStateException("Tensor.data: a " + dtype + " tensor has no float storage; use to(F32)");
        if (!isHeap()) throw new IllegalStateException("Tensor.data: " + this + " is not on the heap; copy it with to(F32)");
        return (float[]) seg.heapBase().get();
    }

    /** The first element's index in the heap array ({@link #data()}). */
    public int offset() {
        if (!isHeap()) throw new IllegalStateException("Tensor.offset: " + this + " is not on the heap");
        return (int) (seg.address() / dtype.bytes);
    }

    /** A view with a new shape of the same size (one dimension may be -1). */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Arrays.toString(newShape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0 && known > 0 && size % known == 0) s[infer] = (int) (size / known);
        if (infer >= 0 && s[infer] == -1 || checkedSize("reshape", s) != size)
            throw new IllegalArgumentException("reshape: cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(newShape));
        return new Tensor(dtype, s, seg, device, deviceOffset);
    }

    /** A view of rows [from, to) along the first dimension. */
    public Tensor rows(int from, int to) {
        if (from < 0 || to > shape[0] || from >= to)
            throw new IllegalArgumentException("rows: [" + from + ", " + to + ") is not a non-empty range of " + shape[0] + " rows");
        int[] s = shape.clone();
        s[0] = to - from;
        long rowBytes = byteSize() / shape[0], start = from * rowBytes, len = (to - from) * rowBytes;
        return seg != null ? new Tensor(dtype, s, seg.asSlice(start, len), null, 0)
                           : new Tensor(dtype, s, null, device, deviceOffset + start);
    }

    /** Row i along the first dimension, as a view without that dimension (a rank-1 tensor stays rank 1 with one element). */
    public Tensor row(int i) {
        Tensor r = rows(i, i + 1);
        return shape.length == 1 ? r : r.reshape(Arrays.copyOfRange(shape, 1, shape.length));
    }

    // ---------------------------------------------------------------- elements (host tensors)
    private long index(int[] idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("index: " + idx.length + " indices for shape " + Arrays.toString(shape));
        long flat = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside shape " + Arrays.toString(shape));
            flat = flat * shape[i] + idx[i];
        }
        return flat;
    }

    public float get(int... idx) { return getFlat(index(idx)); }

    public void set(float v, int... idx) {
        long i = index(idx);
        MemorySegment s = segment();
        if (s.isReadOnly()) throw new IllegalStateException("Tensor.set: " + this + " is read-only (a mapped file); copy it first");
        switch (dtype) {
            case F32 -> s.setAtIndex(DType.LE_FLOAT, i, v);
            case BF16, F16 -> s.setAtIndex(DType.LE_SHORT, i, dtype.encode(v));
            case I32 -> s.setAtIndex(DType.LE_INT, i, (int) v);
        }
    }

    /** Element i of the flattened tensor, widened to float. */
    public float getFlat(long i) {
        MemorySegment s = segment();
        return switch (dtype) {
            case F32 -> s.getAtIndex(DType.LE_FLOAT, i);
            case BF16, F16 -> dtype.decode(s.getAtIndex(DType.LE_SHORT, i));
            case I32 -> s.getAtIndex(DType.LE_INT, i);
        };
    }

    /** The elements widened to a new float array (F32, BF16, F16). */
    public float[] toArray() {
        if (dtype == DType.I32) throw new IllegalStateException("Tensor.toArray: an I32 tensor holds integers; use toInts()");
        float[] out = new float[size];
        MemorySegment s = segment();
        if (dtype == DType.F32) MemorySegment.copy(s, DType.LE_FLOAT, 0, out, 0, size);
        else {
            short[] h = new short[size];
            MemorySegment.copy(s, DType.LE_SHORT, 0, h, 0, size);
            dtype.decode(out, 0, h, 0, size);
        }
        return out;
    }

    /** The 16-bit patterns of a BF16/F16 tensor as a new array. */
    public short[] toShorts() {
        if (!dtype.isHalf()) throw new IllegalStateException("Tensor.toShorts: a " + dtype + " tensor is not 16-bit");
        short[] h = new short[size];
        MemorySegment.copy(segment(), DType.LE_SHORT, 0, h, 0, size);
        return h;
    }

    /** The values of an I32 tensor as a new array. */
    public int[] toInts() {
        if (dtype != DType.I32) throw new IllegalStateException("Tensor.toInts: a " + dtype + " tensor is not I32");
        int[] a = new int[size];
        MemorySegment.copy(segment(), DType.LE_INT, 0, a, 0, size);
        return a;
    }

    /** A contiguous heap copy in the given float storage type (round to nearest even when narrowing). */
    public Tensor to(DType target) {
        if (target == DType.I32 || dtype == DType.I32) {
            if (target != dtype) throw new IllegalArgumentException("Tensor.to: cannot convert " + dtype + " to " + target);
            return ofInts(toInts(), shape);
        }
        if (target == DType.F32) return of(toArray(), shape);
        short[] h = new short[size];
        if (dtype == target) MemorySegment.copy(segment(), DType.LE_SHORT, 0, h, 0, size);
        else target.encode(h, 0, toArray(), 0, size);
        return ofHalf(target, h, shape);
    }

    /** A deep heap copy (same dtype). */
    public Tensor copy() { return to(dtype); }

    /** Whether every element is finite (no NaN, no ±Inf); I32 tensors always are. */
    public boolean allFinite() { return firstNonFinite() < 0; }

    /** The flat index of the first NaN or ±Inf, or −1. */
    public long firstNonFinite() {
        if (dtype == DType.I32) return -1;
        MemorySegment s = segment();
        for (long i = 0; i < size; i++) {
            boolean bad = switch (dtype) {
                case F32 -> !Float.isFinite(s.getAtIndex(DType.LE_FLOAT, i));
                case BF16 -> (s.getAtIndex(DType.LE_SHORT, i) & 0x7F80) == 0x7F80;
                case F16 -> (s.getAtIndex(DType.LE_SHORT, i) & 0x7C00) == 0x7C00;
                case I32 -> false;
            };
            if (bad) return i;
        }
        return -1;
    }

    /** This (d, h) tensor as a kernel weight matrix (no copy). */
    public WeightMatrix asWeights() {
        if (shape.length != 2) throw new IllegalArgumentException("asWeights: needs a (rows, cols) tensor, got " + Arrays.toString(shape));
        return new WeightMatrix(dtype, shape[0], shape[1], segment());
    }

    /** This I32 (rows, nm, ⌈cols/32⌉) tensor as the masks' bit-planes over a (rows, cols) matrix (no copy). */
    public MaskPlanes asMasks(int cols) {
        if (dtype != DType.I32 || shape.length != 3 || shape[2] != MaskPlanes.wordsPerRow(cols))
            throw new IllegalArgumentException("asMasks: bit-planes are I32 (rows, nm, " + MaskPlanes.wordsPerRow(cols) + ") for " + cols
                    + " columns, got " + dtype + " " + Arrays.toString(shape));
        return new MaskPlanes(shape[1], shape[0], cols, segment());
    }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    @Override public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype + (seg == null ? " on " + device.device() : isHeap() ? "" : " off-heap");
    }
}
