package jmglu.model.infer;

import jmglu.engine.Backend;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;

/**
 * Decoding with the host one step ahead of the backend. A step's tokens are chosen on the backend into one of
 * two id slots of the state ({@link Transformer#decodeAhead}); the next step reads them there, so it is enqueued
 * before they come back:
 * <pre>
 *   start(t₀)   enqueue step on t₀ → ids[0];              read ids[0] later
 *   next()      enqueue step on ids[0] → ids[1];           read ids[1] later;  wait for ids[0]: return t₁
 *   next()      enqueue step on ids[1] → ids[0];           read ids[0] later;  wait for ids[1]: return t₂
 *   finish()                                                                   wait for the last: return it
 * </pre>
 * A device thus never idles between steps while the host reads back and enqueues: a synchronous step waits for
 * its tokens (a drained queue) before the next one starts, and on NVIDIA's OpenCL the first launches after a drain
 * also cost the host most. The tokens are those of {@link Transformer#decodeGreedy} and
 * {@link Transformer#decodeSample} step by step, the uniforms u taken in the same order. A caller that stops
 * early (finish() returns a step it no longer wants) wastes one step; on a host backend nothing overlaps.
 */
public final class DecodeAhead {
    private final Transformer model;
    private final DecodeState s;
    private final float t;
    private final int k;
    private Backend.PendingIds pending;          // the choice of the last step enqueued, on its way back
    private int slot;                            // the id slot that step chose into

    /** Greedy when t == 0 or k == 1, else temperature t and top-k k (0 = all). */
    public DecodeAhead(Transformer model, DecodeState s, float t, int k) {
        this.model = model;
        this.s = s;
        this.t = t;
        this.k = k;
    }

    /** Whether a step is enqueued whose tokens {@link #next} or {@link #finish} will return. */
    public boolean running() { return pending != null; }

    /** Enqueues the step of tokens (B, from the host) at positions pos; u (B) the uniforms of a sampled choice, else null. */
    public void start(int[] tokens, int[] pos, double[] u) {
        if (pending != null) throw new IllegalStateException("DecodeAhead: a step is running; finish it first");
        slot = 0;
        model.decodeAhead(s, tokens, slot, pos, t, k, u);
        pending = model.readIdsLater(s, slot);
    }

    /** Enqueues the step of the running step's tokens at positions pos, then returns those tokens (waits for them). */
    public int[] next(int[] pos, double[] u) {
        if (pending == null) throw new IllegalStateException("DecodeAhead: no step is running; start one first");
        Backend.PendingIds last = pending;
        slot = 1 - slot;
        model.decodeAhead(s, null, slot, pos, t, k, u);
        pending = model.readIdsLater(s, slot);
        return checked(last.get());
    }

    /** The running step's tokens (waits for them); no step runs after. */
    public int[] finish() {
        if (pending == null) throw new IllegalStateException("DecodeAhead: no step is running");
        Backend.PendingIds last = pending;
        pending = null;
        return checked(last.get());
    }

    private static int[] checked(int[] ids) {
        for (int b = 0; b < ids.length; b++)
            if (ids[b] < 0)
                throw new IllegalArgumentException("the model produced a non-finite logit (or only -Infinity) for sequence " + b
                        + "; its weights or inputs are corrupt, so nothing is sampled");
        return ids;
    }
}
