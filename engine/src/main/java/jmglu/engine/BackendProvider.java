package jmglu.engine;

/**
 * A backend found at run time through {@link java.util.ServiceLoader} (a file
 * META-INF/services/jmglu.engine.BackendProvider in the backend's jar). The engine never names a
 * backend at compile time.
 */
public interface BackendProvider {

    /** The --device name: "simd", "opencl". */
    String name();

    /** Higher wins when no backend is asked for. The reference is 0, simd 10; opencl is never picked implicitly. */
    int priority();

    /** Whether it may be picked when the user names none (false for device backends). */
    default boolean implicit() { return true; }

    /** Null when usable here, otherwise why not (no OpenCL platform, Vector API module missing, ...). */
    String unavailableReason();

    /** What this backend would run on, for `jmglu info` (e.g. the OpenCL devices); empty when nothing more to say. */
    default String details() { return ""; }

    /** Opens the backend; called only when {@link #unavailableReason()} is null. spec is the part after "name:" in --device (or ""). */
    Backend open(String spec);
}
