package jmglu.engine;

/**
 * A backend, found at run time through {@link java.util.ServiceLoader} (a file
 * META-INF/services/jmglu.engine.KernelsProvider in the backend's jar). The engine never names a
 * backend at compile time.
 */
public interface KernelsProvider {

    /** The name -Djmglu.backend= selects: "simd", "opencl". */
    String name();

    /** Higher wins when no backend is asked for. The reference is 0; simd 10; opencl 5 (never picked implicitly for training). */
    int priority();

    /** Null when usable here, otherwise why not (no OpenCL platform, Vector API module missing, ...). */
    String unavailableReason();

    /** What this backend would run on, for `jmglu info` (e.g. the OpenCL devices); empty when nothing more to say. */
    default String details() { return ""; }

    /** Creates the kernels; called only when {@link #unavailableReason()} is null. */
    Kernels create();
}
