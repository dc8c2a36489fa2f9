// jmglu OpenCL: the work-group that finishes a launch last (a ticket), for kernels whose last group completes the
// launch's work (gemv_tc.cl NORMOUT's norm, argmax_part.cl's merge). Every thread of every group calls last_group after
// its group's global writes: each thread fences its own writes device-wide, then one thread a group atomic_inc's
// *ticket; the group that draws count − 1 gets true in all its threads (the others false) and fences again, so every
// other group's writes are visible to its reads (read them past the L1: volatile or ld.global.cg, as those lines may sit
// in this SM's L1 from before). That group puts *ticket back to 0 when it is done; the host zeroes it once, and launches
// on one in-order queue never overlap. The fence is NVIDIA's membar.gl through inline PTX where the program is built for
// the device (PTX 1, or the tensor-core kernels' EMU 0), else OpenCL's mem_fence.

#if (defined(PTX) && PTX) || (defined(EMU) && EMU == 0)
#define DEVICE_FENCE() asm volatile("membar.gl;" ::: "memory")
#else
#define DEVICE_FENCE() mem_fence(CLK_GLOBAL_MEM_FENCE)
#endif

// last: one int of local memory
inline bool last_group(__global volatile int* ticket, const int count, __local int* last) {
    DEVICE_FENCE();
    barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
    if (get_local_id(0) == 0) *last = atomic_inc(ticket) == count - 1;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (!*last) return false;                                         // uniform in the group
    DEVICE_FENCE();
    return true;
}
