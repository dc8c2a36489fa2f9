package jmglu.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Picks the Kernels implementation.
 *
 * <p>Selection: {@code -Djmglu.backend=reference|simd|opencl} (or the CLI's --device) names one.
 * Without a name, the available backend with the highest priority is used: simd, else the
 * reference. OpenCL is used only when asked for.
 *
 * <p>Fallback: {@link #get()} (the system property) falls back to the reference when the named
 * backend is absent or unusable, and says so once on stderr; {@link #select(String)} (used by
 * the CLI, where the user asked explicitly) throws an IllegalArgumentException naming the missing
 * backend, why it is missing, and those that are available.
 */
public final class Backends {
    private Backends() {}

    public static final String PROPERTY = "jmglu.backend";
    private static volatile Kernels current;

    /** Every provider on the class path (the reference included), in priority order. */
    public static List<KernelsProvider> providers() {
        List<KernelsProvider> all = new ArrayList<>();
        all.add(REFERENCE);
        for (KernelsProvider p : ServiceLoader.load(KernelsProvider.class)) all.add(p);
        all.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
        return all;
    }

    /** The kernels chosen by -Djmglu.backend (cached), with the documented fallback. */
    public static Kernels get() {
        Kernels k = current;
        if (k == null) {
            synchronized (Backends.class) {
                if (current == null) {
                    String asked = System.getProperty(PROPERTY, "").trim();
                    try {
                        current = asked.isEmpty() ? best() : select(asked);
                    } catch (IllegalArgumentException e) {
                        System.err.println("jmglu: " + e.getMessage() + "; falling back to 'reference'");
                        current = REFERENCE.create();
                    }
                }
                k = current;
            }
        }
        return k;
    }

    /** Replaces the process-wide kernels (the CLI's --device). */
    public static void use(Kernels k) { current = k; }

    /** The named backend, or an IllegalArgumentException saying why it cannot be had. */
    public static Kernels select(String name) {
        List<String> usable = new ArrayList<>();
        String reason = null;
        for (KernelsProvider p : providers()) {
            String why = p.unavailableReason();
            if (why == null) usable.add(p.name());
            if (p.name().equalsIgnoreCase(name)) {
                if (why == null) return p.create();
                reason = why;
            }
        }
        throw new IllegalArgumentException("backend '" + name + "' is "
                + (reason == null ? "not on the class path" : "unavailable: " + reason)
                + " (available: " + String.join(", ", usable) + ")");
    }

    private static Kernels best() {
        for (KernelsProvider p : providers())
            if (p.priority() > 0 && !p.name().equals("opencl") && p.unavailableReason() == null) return p.create();
        return REFERENCE.create();
    }

    static final KernelsProvider REFERENCE = new KernelsProvider() {
        public String name() { return "reference"; }
        public int priority() { return 0; }
        public String unavailableReason() { return null; }
        public Kernels create() { return new ReferenceKernels(); }
    };
}
