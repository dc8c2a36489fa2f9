package jmglu.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.autograd.Var;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;

/**
 * Where a model's weights come from while its modules are built, and the named weights it ends up
 * with (PyTorch-style names, "layers.0.attn.wq.weight", in creation order: the order of the
 * checkpoint and of the optimizer). Three sources:
 * <ul>
 *   <li><b>fresh</b> (a seed): F32 heap tensors, std·N(0,1) or ones, from one seeded Rng, as
 *       trainable {@link Var#param} leaves;</li>
 *   <li><b>training</b> (loaded tensors): each tensor copied to F32 on the heap (a checkpoint, or a
 *       16-bit model being fine-tuned), as trainable leaves;</li>
 *   <li><b>inference</b> (loaded tensors + a backend): each tensor made resident on the backend as
 *       it is stored (16-bit, packed masks, mapped from a file: no copy on a host backend), as
 *       constant leaves that only the decode step reads;</li>
 *   <li><b>random packed</b> (a seed, a dtype, an arena): a randomly initialised model directly in
 *       inference form, in off-heap memory, matrix by matrix (no F32 copy anywhere): `jmglu init`
 *       for models larger than the heap. Masks are random bits, as the signs of fresh logits.</li>
 * </ul>
 */
public final class Params {
    private final Map<String, Var> all = new LinkedHashMap<>();
    private final Rng rng;                      // fresh only
    private final Map<String, Tensor> source;   // loaded only
    private final Backend backend;              // inference only
    private final DType packedType;             // random packed only
    private final Arena arena;                  // random packed only

    private Params(Rng rng, Map<String, Tensor> source, Backend backend, DType packedType, Arena arena) {
        this.rng = rng; this.source = source; this.backend = backend; this.packedType = packedType; this.arena = arena;
    }

    private Params(Rng rng, Map<String, Tensor> source, Backend backend) { this(rng, source, backend, null, null); }

    public static Params randomPacked(long seed, DType dtype, Arena arena) { return new Params(new Rng(seed), null, null, dtype, arena); }

    public static Params fresh(long seed) { return new Params(new Rng(seed), null, null); }

    public static Params training(Map<String, Tensor> tensors) { return new Params(null, tensors, null); }

    public static Params inference(Map<String, Tensor> tensors, Backend backend) { return new Params(null, tensors, backend); }

    /** Whether the weights are trainable (fresh or training). */
    public boolean trainable() { return backend == null && packedType == null; }

    /** Whether a loaded source has this tensor (fresh: never; random packed: the inference tensors). */
    public boolean has(String name) {
        if (packedType != null) return !name.endsWith("mask_logits");
        return source != null && source.containsKey(name);
    }

    /** A weight of this shape: std·N(0, 1) when fresh, else the source's tensor (exact shape required). */
    public Var randn(String name, double std, int... shape) {
        if (packedType != null) return add(name, Var.constant(randomOffHeap(std, shape)));
        if (rng != null) return add(name, Var.param(Tensor.randn(rng, std, shape)));
        return load(name, shape);
    }

    /** A gain vector: ones when fresh, else the source's tensor. */
    public Var ones(String name, int n) {
        if (rng != null) {                       // fresh or random packed: norm gains stay F32
            float[] a = new float[n];
            Arrays.fill(a, 1f);
            return add(name, packedType != null ? Var.constant(Tensor.of(a, n)) : Var.param(Tensor.of(a, n)));
        }
        return load(name, n);
    }

    /** Packed MGLU masks over a (d, cols) matrix, I32 (d, nm, ⌈cols/32⌉): only in inference models. */
    public Var masks(String name, int d, int nm, int cols) {
        if (packedType != null) return add(name, Var.constant(randomMasks(d, nm, cols)));
        if (source == null) throw new IllegalStateException("a fresh model has no '" + name + "'");
        return load(name, d, nm, jmglu.engine.MaskPlanes.wordsPerRow(cols));
    }

    private Var load(String name, int... shape) {
        Tensor t = source.get(name);
        if (t == null) throw new IllegalArgumentException("the model has no tensor '" + name + "' (does config.json match the weights?)");
        if (!Arrays.equals(t.shape(), shape))
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        long bad = t.firstNonFinite();                                   // one pass over the weights: no NaN is served
        if (bad >= 0) throw new IllegalArgumentException("tensor '" + name + "' holds NaN or Inf (element " + bad + "); refusing to load the model");
        if (backend != null) return add(name, Var.constant(backend.adopt(t)));
        if (t.dtype() == DType.I32) throw new IllegalArgumentException("tensor '" + name + "' is I32; a model to train needs float weights");
        return add(name, Var.param(t.to(DType.F32)));
    }

    /** std·N(0, 1) in packedType, off-heap, filled a chunk at a time (the F32 values never exist whole). */
    private Tensor randomOffHeap(double std, int... shape) {
        DType dt = shape.length == 2 ? packedType : DType.F32;
        Tensor t = Tensor.allocate(arena, dt, shape);
        float[] chunk = new float[1 << 16];
        short[] half = new short[chunk.length];
        for (long at = 0; at < t.size(); at += chunk.length) {
            int n = (int) Math.min(chunk.length, t.size() - at);
            rng.fillGaussian(chunk, 0, n, std);
            if (dt == DType.F32) MemorySegment.copy(chunk, 0, t.segment(), DType.LE_FLOAT, 4 * at, n);
            else {
                dt.encode(half, 0, chunk, 0, n);
                MemorySegment.copy(half, 0, t.segment(), DType.LE_SHORT, 2 * at, n);
            }
        }
        return t;
    }

    /** Random mask bit-planes I32 (d, nm, wpr): each bit 1 with probability ½, padding bits (columns ≥ cols) 0. */
    private Tensor randomMasks(int d, int nm, int cols) {
        int wpr = jmglu.engine.MaskPlanes.wordsPerRow(cols), used = cols - 32 * (wpr - 1);
        int lastMask = used == 32 ? -1 : (1 << used) - 1;
        Tensor t = Tensor.allocate(arena, DType.I32, d, nm, wpr);
        for (long w = 0; w < (long) d * nm * wpr; w++)
            t.segment().setAtIndex(DType.LE_INT, w, (int) rng.nextLong() & (w % wpr == wpr - 1 ? lastMask : -1));
        return t;
    }

    private Var add(String name, Var v) {
        if (all.containsKey(name)) throw new IllegalStateException("duplicate parameter " + name);
        all.put(name, v);
        return v;
    }

    public Map<String, Var> map() { return all; }

    /** Scoped names: params.scope("layers.0.") prefixes every name. */
    public Scope scope(String prefix) { return new Scope(prefix); }

    public final class Scope {
        private final String prefix;
        Scope(String prefix) { this.prefix = prefix; }
        public Var randn(String name, double std, int... shape) { return Params.this.randn(prefix + name, std, shape); }
        public Var ones(String name, int n) { return Params.this.ones(prefix + name, n); }
        public Var masks(String name, int d, int nm, int cols) { return Params.this.masks(prefix + name, d, nm, cols); }
        public boolean has(String name) { return Params.this.has(prefix + name); }
        public boolean trainable() { return Params.this.trainable(); }
        public Scope scope(String more) { return new Scope(prefix + more); }
    }
}
