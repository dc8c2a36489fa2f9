package jmglu.gpu;

import java.util.function.Supplier;
import jmglu.engine.DeviceBuffer;
import org.jocl.cl_mem;

/**
 * The storage of a tensor on an {@link OpenClBackend}: one OpenCL buffer (a {@code cl_mem}) of
 * byteSize bytes, the tensor's elements little-endian and row-major from its byte offset. A weight
 * used by the tensor-core FlashMGLU kernel also carries a second buffer, the same values in
 * {@link TcLayout}'s tile order: made on first use and released with this buffer.
 */
final class ClBuffer implements DeviceBuffer {
    final OpenClBackend owner;
    private final long bytes;
    private cl_mem mem;
    private cl_mem tc;            // the TcLayout copy, or null
    private int tcRows, tcCols, tcNm;   // the view it was packed for
    private cl_mem derived;       // another copy made from this buffer (e.g. [Wq; Wk; Wv]), or null
    private Object derivedKey;    // what it was made from

    ClBuffer(OpenClBackend owner, cl_mem mem, long bytes) {
        this.owner = owner;
        this.mem = mem;
        this.bytes = bytes;
    }

    @Override public String device() { return owner.describe(); }

    @Override public long byteSize() { return bytes; }

    /** The buffer; fails once released. */
    cl_mem mem() {
        if (mem == null) throw new IllegalStateException("opencl: a tensor's device buffer was used after release");
        return mem;
    }

    /**
     * The tile-layout copy for a view of this whole buffer as (rows, cols) with nm mask planes (0 for W),
     * made by make on first use (or again when the same bytes are viewed with another shape).
     */
    synchronized cl_mem tcCopy(int rows, int cols, int nm, Supplier<cl_mem> make) {
        if (tc == null || tcRows != rows || tcCols != cols || tcNm != nm) {
            OpenClContext.release(tc);
            tc = null;
            tc = make.get();
            tcRows = rows;
            tcCols = cols;
            tcNm = nm;
        }
        return tc;
    }

    /**
     * A buffer derived from this one and others (key says which, compared with equals), made by make on
     * first use or when the key changes; released with this buffer.
     */
    synchronized cl_mem derived(Object key, Supplier<cl_mem> make) {
        if (derived == null || !key.equals(derivedKey)) {
            OpenClContext.release(derived);
            derived = null;
            derived = make.get();
            derivedKey = key;
        }
        return derived;
    }

    @Override public void release() {
        synchronized (this) {
            if (mem == null) return;
            OpenClContext.release(mem, tc, derived);
            mem = null;
            tc = null;
            derived = null;
        }
        owner.forget(this);                  // outside this lock: the backend's lock is taken before a buffer's, never after
    }
}
