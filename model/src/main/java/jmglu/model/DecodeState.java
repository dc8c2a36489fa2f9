package jmglu.model;

import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.Tensor;

/**
 * What a decode step keeps between tokens, for B independent sequences, all on the model's
 * backend: the KV cache of every layer (B, maxSeq, kvDim) and the step's activations.
 * <pre>
 *   x, n (B, C)    q, att (B, qDim)    k, v (B, kvDim)    h (B, d)    logits (B, V)
 *   (qDim = nHeads·headDim: C for jmglu's own models, other for a checkpoint whose head_dim says so)
 *   kCache[l], vCache[l]   (B, maxSeq, kvDim)   position p of sequence b at [b, p, :], in the backend's
 *                          {@link Backend#kvCacheType} (F32, or F16 on opencl: half the bytes, compute in F32)
 * </pre>
 * Its size is checked before anything is allocated ({@link #bytes}). A prefill ({@link Transformer#prefill})
 * runs up to {@link #prefillRows()} positions of one sequence at a time (the backend's
 * {@link Backend#prefillRows}) through activations of its own (the same names, that many rows, made on
 * its first use). Close it to free device memory.
 */
public final class DecodeState implements AutoCloseable {
    /** Positions of one sequence a prefill runs as the rows of one pass over the weights ({@link Backend#prefillRows}). */
    public int prefillRows() { return prefillRows; }

    /** A step's activations: x, n (N, C), q, att (N, qDim), k, v (N, kvDim), h (N, d), one row per token of the step. */
    record Acts(Tensor x, Tensor n, Tensor q, Tensor k, Tensor v, Tensor att, Tensor h) {
        Acts rows(int r) {
            return new Acts(x.rows(0, r), n.rows(0, r), q.rows(0, r), k.rows(0, r), v.rows(0, r), att.rows(0, r), h.rows(0, r));
        }
        Tensor[] all() { return new Tensor[] {x, n, q, k, v, att, h}; }
    }

    /**
     * Where a step's rows sit in the caches: row b of a decode step (pos != null) is sequence b at
     * position pos[b]; row i of a prefill is position p0 + i of the sequence in cache row `row`.
     */
    record Rows(int[] pos, int row, int p0) {}

    final Backend be;
    final int batch, maxSeq, vocab, prefillRows;
    final Tensor x, n, q, k, v, att, h, logits;
    final Acts step;                            // the decode step's activations (batch rows)
    private Acts prefill;                       // a prefill's (prefillRows rows), made on first use
    private final Config config;
    final Tensor[] kCache, vCache;
    private final DType kvType;                 // the caches' storage type
    private final float[] host;                 // logits read back (B · V)
    final int[] next;                           // the tokens a greedy step chose on the backend (B)
    final Tensor[] ids;                         // two (B) I32 tensors on the backend: a pipelined step's tokens and choice

    DecodeState(Backend be, Config c, int batch, int maxSeq) {
        if (batch < 1 || batch > 4096) throw new IllegalArgumentException("decode: batch must be in 1..4096, got " + batch);
        if (maxSeq < 1 || maxSeq > Config.MAX_SEQ) throw new IllegalArgumentException("decode: the KV cache length must be in 1.." + Config.MAX_SEQ + ", got " + maxSeq);
        this.kvType = be.kvCacheType();
        long need = bytes(c, batch, maxSeq, kvType);
        Tensor probe = be.zeros(1);
        boolean onHeap = probe.isHeap();
        be.release(probe);
        if (onHeap) {                                                       // the heap must hold it
            Runtime rt = Runtime.getRuntime();
            long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            if (need > free)
                throw new OutOfMemoryError("the KV cache and activations of " + batch + " sequence(s) of " + maxSeq + " tokens need "
                        + need / (1 << 20) + " MiB but about " + free / (1 << 20) + " MiB of heap is free; give a shorter context or more heap (JMGLU_JAVA_OPTS=-Xmx...)");
        }
        this.be = be; this.batch = batch; this.maxSeq = maxSeq; this.vocab = c.vocab();
        this.prefillRows = Math.max(1, be.prefillRows());
        int C = c.dim(), kv = c.kvDim(), dq = c.qDim();
        x = be.zeros(batch, C); n = be.zeros(batch, C); q = be.zeros(batch, dq); att = be.zeros(batch, dq);
        k = be.zeros(batch, kv); v = be.zeros(batch, kv); h = be.zeros(batch, c.hidden()); logits = be.zeros(batch, c.vocab());
        step = new Acts(x, n, q, k, v, att, h);
        config = c;
        kCache = new Tensor[c.nLayers()];
        vCache = new Tensor[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) { kCache[l] = be.zeros(kvType, batch, maxSeq, kv); vCache[l] = be.zeros(kvType, batch, maxSeq, kv); }
        host = new float[batch * c.vocab()];
        next = new int[batch];
        ids = new Tensor[] {be.adopt(Tensor.ofInts(new int[batch], batch)), be.adopt(Tensor.ofInts(new int[batch], batch))};
    }

    /** Bytes of F32 caches and the activations ({@link #bytes(Config, int, int, DType)} with F32 caches). */
    public static long bytes(Config c, int batch, int maxSeq) { return bytes(c, batch, maxSeq, DType.F32); }

    /**
     * Bytes of the caches and activations: 2·L·B·maxSeq·kvDim cache elements of kvType ({@link Backend#kvCacheType})
     * + B·(2C + 2·qDim + 2·kvDim + d + V) floats.
     */
    public static long bytes(Config c, int batch, int maxSeq, DType kvType) {
        return (long) kvType.bytes * batch * 2L * c.nLayers() * maxSeq * c.kvDim()
                + 4L * batch * (2L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + c.hidden() + c.vocab());
    }

    /** The storage type of the KV caches (the backend's {@link Backend#kvCacheType}). */
    public DType kvCacheType() { return kvType; }

    public int batch() { return batch; }

    /** The vocabulary size V (each row of the logits). */
    public int vocab() { return vocab; }

    /** The longest sequence the cache holds. */
    public int maxSeq() { return maxSeq; }

    /** The prefill activations, their first r ≤ prefillRows rows. */
    Acts prefillActs(int r) {
        if (prefill == null) {
            int R = prefillRows, C = config.dim(), kv = config.kvDim(), dq = config.qDim();
            prefill = new Acts(be.zeros(R, C), be.zeros(R, C), be.zeros(R, dq), be.zeros(R, kv), be.zeros(R, kv), be.zeros(R, dq), be.zeros(R, config.hidden()));
        }
        return r == prefillRows ? prefill : prefill.rows(r);
    }

    /** Row 0 of the logits (V), read back to the host (a prefill leaves its logits there). */
    float[] readRow0() {
        float[] row = new float[vocab];
        be.read(logits.rows(0, 1), row);
        return row;
    }

    /** The logits (B, V) of the last step, read back to the host. */
    float[] readLogits() {
        be.read(logits, host);
        return host;
    }

    @Override public void close() {
        for (Tensor t : new Tensor[] {x, n, q, k, v, att, h, logits, ids[0], ids[1]}) be.release(t);
        if (prefill != null) for (Tensor t : prefill.all()) be.release(t);
        for (int l = 0; l < kCache.length; l++) { be.release(kCache[l]); be.release(vCache[l]); }
    }
}
