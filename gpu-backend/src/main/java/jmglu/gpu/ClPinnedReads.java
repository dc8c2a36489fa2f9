package jmglu.gpu;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import jmglu.engine.Backend;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * Reads that overlap the host's work ({@link OpenClContext#readIntsLater}): each lands in page-locked host memory
 * (a CL_MEM_ALLOC_HOST_PTR buffer mapped once), because a non-blocking read into ordinary (pageable) memory is staged
 * by NVIDIA's driver and returns only when it is done: the host would wait for the step as a blocking read does.
 * Staging slots are reused once their read has been collected; a caller holding many reads gets more slots.
 */
final class ClPinnedReads {
    private record Slot(cl_mem mem, ByteBuffer host) {}

    private final cl_context context;
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final List<Slot> all = new ArrayList<>();
    private static final int SLOT_BYTES = 1 << 16;

    ClPinnedReads(cl_context context) { this.context = context; }

    /** Enqueues the read of n ints from byte off of src on q into a pinned slot; get() waits for it and frees the slot. */
    Backend.PendingIds read(cl_command_queue q, cl_mem src, long off, int n) {
        long bytes = 4L * n;
        Slot s = take(q, bytes);
        cl_event ev = new cl_event();
        try {
            clEnqueueReadBuffer(q, src, CL_FALSE, off, bytes, Pointer.to(s.host), 0, null, ev);
            clFlush(q);                                   // on its way while the host enqueues what follows
        } catch (CLException e) {
            give(s);
            throw OpenClContext.fail("reading " + bytes + " bytes", e);
        }
        return new Backend.PendingIds() {
            private int[] a;

            @Override public synchronized int[] get() {
                if (a == null) {
                    try {
                        clWaitForEvents(1, new cl_event[] {ev});
                        clReleaseEvent(ev);
                    } catch (CLException e) {
                        throw OpenClContext.fail("waiting for a read of " + bytes + " bytes", e);
                    }
                    a = new int[n];
                    s.host.duplicate().order(ByteOrder.nativeOrder()).asIntBuffer().get(0, a);
                    give(s);
                }
                return a.clone();
            }
        };
    }

    private synchronized Slot take(cl_command_queue q, long bytes) {
        if (bytes <= SLOT_BYTES && !free.isEmpty()) return free.pop();
        long size = Math.max(SLOT_BYTES, bytes);
        try {
            cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, size, null, null);
            ByteBuffer host = clEnqueueMapBuffer(q, m, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0, size, 0, null, null, null);
            Slot s = new Slot(m, host);
            all.add(s);
            return s;
        } catch (CLException e) {
            throw OpenClContext.fail("allocating " + size + " bytes of pinned host memory", e);
        }
    }

    private synchronized void give(Slot s) { if (s.host.capacity() == SLOT_BYTES) free.push(s); }

    /** Unmaps and frees every slot (the queue finished first by the caller). */
    synchronized void release(cl_command_queue q) {
        for (Slot s : all) {
            clEnqueueUnmapMemObject(q, s.mem, s.host, 0, null, null);
            clReleaseMemObject(s.mem);
        }
        clFinish(q);
        all.clear();
        free.clear();
    }
}
