package jmglu.gpu;

import jmglu.engine.Tensor;
import org.jocl.cl_mem;

/**
 * The device memory {@link OpenClBackend}'s ops borrow besides the tensors' own buffers: the scratch slots (one
 * buffer each, grown on demand), the one-int ticket of the fused GEMV outputs ({@link GemvExtras}), and views of
 * tensors at byte 0 for the kernels that take no offsets ({@link #view}). The ops run one at a time under the
 * backend's lock and enqueue on one in-order queue, so a slot is reused by the next op freely; every method here is
 * called with that lock held (from the backend's synchronized ops and its close).
 */
final class ClScratch {
    /** Scratch slots. */
    static final int GATE = 1, T = 2, S = 3, ROUTER = 4, QKV = 5, PARTS = 6, IDS = 7, ARGMAX = 8, SLOTS = 9;

    private final OpenClBackend be;
    private final OpenClContext cl;
    private final cl_mem[] slots = new cl_mem[SLOTS];
    private final long[] slotBytes = new long[SLOTS];
    /** The fused GEMV outputs' ticket (one int, zero between launches), made on first use. */
    private cl_mem ticket;

    ClScratch(OpenClBackend be, OpenClContext cl) {
        this.be = be;
        this.cl = cl;
    }

    /**
     * A scratch buffer of at least bytes for one slot (contents undefined; valid until the next call for the slot).
     * It grows to at least twice its size: NVIDIA's clReleaseMemObject waits for the commands that use the old
     * buffer, so a slot that grew a little every few decode steps (the attention's partials, by the KV length)
     * drained the queue each time (H200, lab/gpu/host-run1: 0.4 ms a step at B = 8).
     */
    cl_mem slot(int slot, long bytes) {
        if (slotBytes[slot] < bytes) {
            bytes = Math.max(bytes, 2 * slotBytes[slot]);
            OpenClContext.release(slots[slot]);          // freed once the commands using it have run
            slots[slot] = null;
            slotBytes[slot] = 0;                         // empty until the allocation below succeeds
            slots[slot] = cl.alloc(bytes);
            slotBytes[slot] = bytes;
        }
        return slots[slot];
    }

    /** The ticket of the fused GEMV outputs (NORMOUT, ARGMAX): one int, zeroed once (every launch leaves it zero). */
    cl_mem ticket() {
        if (ticket == null) {
            ticket = cl.alloc(4);
            cl.zero(ticket, 0, 4);
        }
        return ticket;
    }

    /** Frees the slots and the ticket (the backend's close). */
    void release() {
        OpenClContext.release(slots);
        OpenClContext.release(ticket);
    }

    /**
     * A cl_mem whose byte 0 is t's element 0, for the kernels that take no offsets (mglu.cl, mglu_fast.cl,
     * flash_tc.cl): the buffer itself at offset 0, a sub-buffer at an offset the device allows one at,
     * otherwise a device-side copy (copied in when in, copied back by {@link View#close} when out).
     */
    View view(Tensor t, boolean in, boolean out) {
        ClBuffer b = be.buf(t, "view", "t");
        long off = t.deviceOffset(), bytes = t.byteSize();
        if (off == 0) return new View(b.mem(), null, b, off, bytes, false);
        if (off % cl.baseAlignBytes == 0) return new View(cl.subBuffer(b.mem(), off, bytes), null, b, off, bytes, false);
        cl_mem tmp = cl.alloc(bytes);
        if (in) cl.copy(b.mem(), off, tmp, 0, bytes, null);
        return new View(tmp, tmp, b, off, bytes, out);
    }

    /** See {@link #view}; close after the launches that use it (releasing is deferred by OpenCL until they ran). */
    final class View implements AutoCloseable {
        final cl_mem mem;
        private final cl_mem copy;
        private final ClBuffer b;
        private final long off, bytes;
        private final boolean writeBack;

        private View(cl_mem mem, cl_mem copy, ClBuffer b, long off, long bytes, boolean writeBack) {
            this.mem = mem; this.copy = copy; this.b = b; this.off = off; this.bytes = bytes; this.writeBack = writeBack;
        }

        @Override public void close() {
            if (writeBack) cl.copy(copy, 0, b.mem(), off, bytes, null);
            if (mem != b.mem()) OpenClContext.release(mem);
        }
    }
}
