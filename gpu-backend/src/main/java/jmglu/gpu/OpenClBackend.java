package jmglu.gpu;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.Kernels;
import jmglu.engine.Rope;
import jmglu.engine.Tensor;
import org.jocl.cl_mem;

/**
 * The "opencl" {@link Backend}: tensors live in OpenCL buffers ({@link ClBuffer}) on one device and
 * every decode op runs there, so a decode step moves only token ids and positions to the device (as
 * kernel arguments) and reads back only what the caller {@link #read}s. Inference only: training
 * runs on a host backend.
 *
 * <p>Storage: {@link #adopt} uploads a host tensor once (F32/BF16/F16 weights, I32 masks, as their
 * little-endian bytes); {@link #zeros} allocates F32 (or a given float type: the KV caches are F16 by default,
 * {@link #kvCacheType}); {@link #read} copies an F32 (or F16) tensor back;
 * {@link #release} frees a tensor's whole buffer (views included); {@link #close} frees everything.
 * The ops are in {@link ClDecodeOps} (decode.cl) and {@link ClMatrixOps} (the MGLU/GEMV kernels).
 * Ops run one at a time (synchronized) on one in-order queue, so scratch buffers ({@link ClScratch}) are reused freely.
 * The fused ops ({@link #linearRmsnorm}, {@link #embeddingRmsnorm}) and the greedy {@link #argmax} each take
 * one launch, and {@link #linearArgmax} (the lm head and the argmax) one where gemv_b1 runs the head (B ≤ 2), so a
 * B = 1 greedy decode step of L layers takes 5·L + 1 launches (7·L + 3 with the compositions, -Djmglu.opencl.fused=off).
 *
 * <p>Deferred norms: linearRmsnorm and embeddingRmsnorm write y (the residual stream) and leave n = rmsnorm(y)
 * owed ({@link ClNorms}). The consumers of a block's normed input (the GEMVs of {@link #linear}, the stacked
 * qkv GEMV of {@link #attention} and the prefill, {@link #glu}, {@link #flashMglu}) read y and the norm's weight
 * instead and normalise as they load (mglu.cl, flash_tc.cl NORMIN), so at B = 1 n is never written on a decode
 * step and no kernel has a serial norm tail (more rows: see {@link ClNorms#maxRows}). Anything else that touches
 * n, y or the weight (a read, another op, release) first has n written ({@link ClNorms#settle}), so every op
 * still sees the composition's values.
 */
public final class OpenClBackend implements Backend {
    private static final Set<String> OPS = Set.of("embedding", "rmsnorm", "linear", "rope", "attentionStep", "act", "glu",
            "flashMglu", "mgluTopK");

    final OpenClContext cl;
    final OpenClMglu mglu;
    /** The prefill's GEMMs (linear, glu, FlashMGLU over more than 8 rows; {@link ClGemm}). */
    final ClGemm gemm;
    private final ClDecodeOps decode;
    private final ClSampling sampling;
    private final ClMatrixOps matrix;
    private final ClAttention attention;
    private final Set<ClBuffer> live = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The scratch slots, the fused outputs' ticket and the views at byte 0 the ops borrow ({@link ClScratch}). */
    final ClScratch scratch;
    private boolean closed;
    /** Which fused decode paths run and the caches' type ({@link DecodeSwitches}: each switch, and why its default). */
    private final DecodeSwitches switches;
    final ClNorms norms = new ClNorms(this);

    /** The backend owns (and closes) cl; the decode switches from the -Djmglu.opencl.* properties. */
    public OpenClBackend(OpenClContext cl, OpenClSettings settings) { this(cl, settings, DecodeSwitches.fromSystemProperties()); }

    /** The backend owns (and closes) cl. */
    public OpenClBackend(OpenClContext cl, OpenClSettings settings, DecodeSwitches switches) {
        this.switches = java.util.Objects.requireNonNull(switches, "switches");
        this.cl = cl;
        this.scratch = new ClScratch(this, cl);
        this.mglu = new OpenClMglu(cl, settings);
        this.gemm = new ClGemm(cl, mglu);
        this.decode = new ClDecodeOps(this);
        this.sampling = new ClSampling(this);
        this.matrix = new ClMatrixOps(this);
        this.attention = new ClAttention(this, decode);
    }

    @Override public String name() { return "opencl"; }
    @Override public String describe() { return "opencl: " + cl.describe(); }
    @Override public boolean canTrain() { return false; }
    @Override public Set<String> ops() { return OPS; }

    /** 512 rows a prefill pass where the tensor-core GEMMs take batches ({@link ClGemm}), else the default 16. */
    @Override public int prefillRows() { return gemm.applies(DType.F16, 64, 512) ? 512 : Backend.super.prefillRows(); }

    @Override public Kernels kernels() {
        throw new UnsupportedOperationException("backend 'opencl' runs inference only (no training kernels); train with --device simd");
    }

    /** The launcher of the matrix kernels (its settings say which path FlashMGLU takes). */
    public OpenClMglu mglu() { return mglu; }

    /** The decode attention's warp kernel and its switches (tests). */
    ClWarpAttention warpAttention() { return attention.warp; }

    /** The device context (benchmarks measure its ceilings; the backend keeps owning it). */
    public OpenClContext context() { return cl; }

    /** Waits for every queued op (clFinish). */
    @Override public synchronized void sync() { cl.finish(); }

    // ---------------------------------------------------------------- storage
    @Override public synchronized Tensor adopt(Tensor t) {
        if (!t.isHost()) {
            if (t.deviceBuffer() instanceof ClBuffer b && b.owner == this) return t;
            throw new IllegalArgumentException("opencl: cannot adopt " + t + " (it lives on another device)");
        }
        ClBuffer b = allocate(t.byteSize());
        cl.write(b.mem(), 0, t.segment());
        return Tensor.onDevice(t.dtype(), b, 0, t.shape());
    }

    @Override public Tensor zeros(int... shape) { return zeros(DType.F32, shape); }

    /** A zeroed tensor of any float type (F16: the KV caches, {@link #kvCacheType}); the buffer rounded up to 4 bytes. */
    @Override public synchronized Tensor zeros(DType dtype, int... shape) {
        if (dtype == DType.I32) throw new IllegalArgumentException("opencl: zeros makes float tensors, not " + dtype);
        long bytes = (dtype.bytes * Tensor.checkedSize("zeros", shape) + 3) & ~3L;
        ClBuffer b = allocate(bytes);
        cl.zero(b.mem(), 0, bytes);
        return Tensor.onDevice(dtype, b, 0, shape);
    }

    /** F16 by default, F32 under -Djmglu.opencl.kvcache=f32 ({@link DecodeSwitches#kvCache}). */
    @Override public DType kvCacheType() { return switches.kvCache(); }

    /** The decode switches this backend was opened with. */
    public DecodeSwitches switches() { return switches; }

    /** The kernels' settings this backend's launchers were made with. */
    public OpenClSettings settings() { return mglu.settings(); }

    @Override public synchronized void read(Tensor t, float[] dst) {
        if (dst.length < t.size()) throw new IllegalArgumentException("read: " + t + " needs " + t.size() + " floats, dst has " + dst.length);
        if (t.dtype() == DType.F16) {                        // a cache of halves (tests, probes): widened on the host
            ClBuffer b = buf(t, "read", "t");
            short[] h = new short[t.size()];
            cl.readShorts(b.mem(), t.deviceOffset(), h, h.length);
            for (int i = 0; i < h.length; i++) dst[i] = Float.float16ToFloat(h[i]);
            return;
        }
        ClBuffer b = f32(t, "read", "t", t.size());
        cl.read(b.mem(), t.deviceOffset(), dst, t.size());
    }

    @Override public synchronized void release(Tensor t) {
        norms.touched(t);
        if (!t.isHost() && t.deviceBuffer() instanceof ClBuffer b && b.owner == this) b.release();
    }

    private ClBuffer allocate(long bytes) {
        if (closed) throw new IllegalStateException("opencl: the backend is closed");
        ClBuffer b = new ClBuffer(this, cl.alloc(bytes), bytes);
        live.add(b);
        return b;
    }

    /** Called by {@link ClBuffer#release}. */
    synchronized void forget(ClBuffer b) { live.remove(b); }

    @Override public synchronized void close() {
        if (closed) return;
        for (ClBuffer b : live.toArray(new ClBuffer[0])) b.release();
        scratch.release();
        attention.release();
        gemm.release();
        mglu.release();
        cl.close();
        closed = true;
    }

    // ---------------------------------------------------------------- decode ops
    @Override public synchronized void embedding(Tensor out, Tensor table, int[] ids) { decode.embedding(out, table, ids); }

    @Override public synchronized void rmsnorm(Tensor out, Tensor x, Tensor w, float eps) { decode.rmsnorm(out, x, w, eps); }

    @Override public synchronized void linear(Tensor y, Tensor x, Tensor w, boolean acc) {
        try (var in = norms.input(x, y)) { matrix.linear(y, in, w, acc); }
    }

    @Override public synchronized void rope(Tensor x, int nH, int hd, int[] pos, Rope rope) { decode.rope(x, nH, hd, pos, rope); }

    @Override public synchronized void attentionStep(Tensor out, Tensor q, Tensor k, Tensor v, Tensor kCache, Tensor vCache,
                                                     int[] pos, int nH, int nKv, int hd) {
        attention.attentionStep(out, q, k, v, kCache, vCache, pos, nH, nKv, hd);
    }

    /** Three launches: one GEMV over [Wq; Wk; Wv], RoPE + cache write + split attention, the merge of the splits ({@link ClAttention}). */
    @Override public synchronized void attention(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                                                 Tensor kCache, Tensor vCache, int[] pos, int nH, int nKv, int hd, Rope rope) {
        try (var in = norms.input(x, true, out, q, k, v, kCache, vCache)) { attention.attention(out, in, wq, wk, wv, q, k, v, kCache, vCache, pos, nH, nKv, hd, rope); }
    }

    /** Per 16 rows: one GEMV over [Wq; Wk; Wv], the rows' k, v into the cache, the causal split attention, the merge. */
    @Override public synchronized void prefillAttention(Tensor out, Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor q, Tensor k, Tensor v,
                                                        Tensor kCache, Tensor vCache, int row, int p0, int nH, int nKv, int hd, Rope rope) {
        try (var in = norms.input(x, out, q, k, v, kCache, vCache)) { attention.prefill(out, in, wq, wk, wv, q, k, v, kCache, vCache, row, p0, nH, nKv, hd, rope); }
    }

    /**
     * One launch: the GEMV, and n = rmsnorm(y) either written by its last work-group (the tensor-core GEMV of decode
     * batches, {@link ClMatrixOps#linearNormOut}) or owed to its consumers (see the class comment).
     */
    @Override public synchronized void linearRmsnorm(Tensor y, Tensor x, Tensor w, boolean acc, Tensor n, Tensor nw, float eps) {
        if (!switches.fused()) {
            Backend.super.linearRmsnorm(y, x, w, acc, n, nw, eps);
            return;
        }
        norms.redefine(n, y, x, w);
        if (switches.normOut()) try (var in = norms.input(x, y, n)) { if (matrix.linearNormOut(y, in, w, acc, n, nw, eps)) return; }
        linear(y, x, w, acc);
        norms.owe(n, y, nw, eps);
    }

    /**
     * n = rmsnorm(out) is owed to its consumers (see the class comment); of one row out = table[ids] is owed too, gathered by
     * the next attention's qkv GEMV on gemv_b1.cl (no launch of its own), else written on first use (decode.cl embed).
     */
    @Override public synchronized void embeddingRmsnorm(Tensor out, Tensor table, int[] ids, Tensor n, Tensor nw, float eps) {
        if (!switches.fused()) {
            Backend.super.embeddingRmsnorm(out, table, ids, n, nw, eps);
            return;
        }
        norms.redefine(n, out, table);
        norms.dropEmbedding(out, table);
        norms.oweEmbedding(decode.embeddingLater(out, table, ids, null, null, ids.length), n, nw, eps);
    }

    /** One launch (decode.cl argmax_rows, a work-group per row), then B ints read back instead of B·V floats. */
    @Override public synchronized void argmax(int[] out, Tensor logits) {
        if (switches.fused()) decode.argmax(out, logits);
        else Backend.super.argmax(out, logits);
    }

    /**
     * The lm head and the argmax in one launch (gemv_b1.cl or gemv_tc.cl, up to {@link DecodeSwitches#headArgmaxMaxB};
     * {@link ClMatrixOps#linearArgmax}: the group that finishes last merges the groups' candidates), then B ints read back;
     * elsewhere linear then argmax.
     */
    @Override public synchronized void linearArgmax(int[] out, Tensor logits, Tensor x, Tensor w) {
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        if (out.length < B) throw new IllegalArgumentException("linearArgmax: " + B + " rows of logits, out has " + out.length);
        cl_mem m = scratch.slot(ClScratch.IDS, 4L * B);
        if (fusedHead(m, logits, x, w)) cl.readInts(m, 0, out, B);
        else Backend.super.linearArgmax(out, logits, x, w);
    }

    /** Temperature / top-k draws on the device (sample.cl, a work-group per row), then B ints read back. */
    @Override public synchronized void sample(int[] out, Tensor logits, float t, int k, double[] u) {
        if (switches.fused()) sampling.sample(out, logits, t, k, u);
        else Backend.super.sample(out, logits, t, k, u);
    }

    // ---------------------------------------------------------------- token ids on the device (a pipelined decode)
    @Override public synchronized void argmax(Tensor ids, Tensor logits) {
        cl_mem m = ids(ids, logits);
        if (switches.fused()) decode.argmax(m, logits);
        else writeIds(m, ids.size(), a -> Backend.super.argmax(a, logits));
    }

    /** {@link #linearArgmax(int[], Tensor, Tensor, Tensor)} into ids on the device, nothing read back. */
    @Override public synchronized void linearArgmax(Tensor ids, Tensor logits, Tensor x, Tensor w) {
        cl_mem m = ids(ids, logits);
        if (!fusedHead(m, logits, x, w)) Backend.super.linearArgmax(ids, logits, x, w);
    }

    /** logits = x Wᵀ with ids = its rows' argmax in one launch; false (nothing launched) where no kernel takes that. */
    private boolean fusedHead(cl_mem ids, Tensor logits, Tensor x, Tensor w) {
        if (!switches.fused() || logits.size() / logits.dim(logits.rank() - 1) > switches.headArgmaxMaxB()) return false;
        try (var in = norms.input(x, logits)) { return matrix.linearArgmax(logits, in, w, ids); }
    }

    @Override public synchronized void sample(Tensor ids, Tensor logits, float t, int k, double[] u) {
        cl_mem m = ids(ids, logits);
        if (switches.fused()) sampling.sample(m, logits, t, k, u);
        else writeIds(m, ids.size(), a -> Backend.super.sample(a, logits, t, k, u));
    }

    /** The ids where the step before left them (decode.cl embed_ids, or gathered as for int[] ids); n = rmsnorm(out) owed as for int[] ids. */
    @Override public synchronized void embeddingRmsnorm(Tensor out, Tensor table, Tensor ids, Tensor n, Tensor nw, float eps) {
        cl_mem m = ids(ids, null);
        if (!switches.fused()) {
            decode.embedding(out, table, m, ids.size());
            decode.rmsnorm(n, out, nw, eps);
            return;
        }
        norms.redefine(n, out, table);
        norms.dropEmbedding(out, table, ids);
        norms.oweEmbedding(decode.embeddingLater(out, table, null, ids, m, ids.size()), n, nw, eps);
    }

    @Override public synchronized PendingIds readIdsLater(Tensor ids) { return cl.readIntsLater(ids(ids, null), 0, ids.size()); }

    /** The buffer of ids, a (B) I32 tensor of this backend at byte 0 of its buffer (B = the rows of logits when given). */
    private cl_mem ids(Tensor ids, Tensor logits) {
        ClBuffer b = buf(ids, "ids", "ids");
        if (ids.dtype() != DType.I32 || ids.rank() != 1 || ids.deviceOffset() != 0)
            throw new IllegalArgumentException("ids must be a (B) I32 tensor at the start of its buffer, got " + ids);
        if (logits != null && logits.size() / logits.dim(logits.rank() - 1) != ids.size())
            throw new IllegalArgumentException("ids " + ids + " for logits " + logits + ": one id a row");
        return b.mem();
    }

    private void writeIds(cl_mem m, int B, java.util.function.Consumer<int[]> choose) {
        int[] a = new int[B];
        choose.accept(a);
        cl.write(m, a, B);
    }

    @Override public synchronized void act(Act g, Tensor x) { decode.act(g, x); }

    @Override public synchronized void glu(Tensor y, Tensor x, Tensor wGate, Tensor wValue, Act g) {
        try (var in = norms.input(x, y)) { matrix.glu(y, in, wGate, wValue, g); }
    }

    @Override public synchronized void flashMglu(Tensor y, Tensor x, Tensor w, Tensor masks, Act g) {
        try (var in = norms.input(x, y)) { matrix.flashMglu(y, in, w, masks, g); }
    }

    @Override public synchronized void mgluTopK(Tensor y, Tensor x, Tensor w, Tensor masks, Tensor router, int k, Act g) {
        matrix.mgluTopK(y, x, w, masks, router, k, g);
    }

    // ---------------------------------------------------------------- helpers for the ops
    ClDecodeOps decode() { return decode; }

    /** t's buffer, after checking that t lives on this backend (a norm owed over t's bytes is written first). */
    ClBuffer buf(Tensor t, String op, String arg) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (t.isHost()) throw new IllegalArgumentException(op + ": " + arg + " " + t + " is in host memory; adopt it on the opencl backend first");
        if (!(t.deviceBuffer() instanceof ClBuffer b) || b.owner != this)
            throw new IllegalArgumentException(op + ": " + arg + " " + t + " lives on another backend");
        norms.touched(t);
        return b;
    }

    /** t's buffer, after checking it is an F32 tensor of this backend with n elements. */
    ClBuffer f32(Tensor t, String op, String arg, long n) {
        ClBuffer b = buf(t, op, arg);
        if (t.dtype() != DType.F32) throw new IllegalArgumentException(op + ": " + arg + " must be F32, got " + t);
        if (t.size() != n) throw new IllegalArgumentException(op + ": " + arg + " " + t + " has " + t.size() + " elements, expected " + n);
        return b;
    }

    /** The offset of t's element 0 in its buffer, in elements (a buffer holds fewer than 2^31 of them). */
    static int elems(Tensor t) { return Math.toIntExact(t.deviceOffset() / t.dtype().bytes); }

    /** Rows [b0, b1) of t seen as (rows, n) (a view, no copy). */
    static Tensor rows(Tensor t, int rows, int n, int b0, int b1) { return t.reshape(rows, n).rows(b0, b1); }

    /** The 16 per-row integers of rows [b0, b1) of a (an int16 kernel argument; unused lanes 0). */
    static int[] int16(int[] a, int b0, int b1) { return Arrays.copyOf(Arrays.copyOfRange(a, b0, b1), 16); }
}
