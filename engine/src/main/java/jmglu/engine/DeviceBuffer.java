package jmglu.engine;

/**
 * Memory owned by a device backend (an OpenCL buffer, say): the storage of a device-resident
 * {@link Tensor}. The engine never looks inside; the backend that made it casts it back to its own
 * type. Freed by {@link #release()} (or when the backend closes).
 */
public interface DeviceBuffer {
    /** The backend that owns it, for messages ("opencl: NVIDIA H200"). */
    String device();

    /** Its size in bytes. */
    long byteSize();

    /** Frees the memory; tensors over it must not be used afterwards. Idempotent. */
    void release();
}
