package jmglu.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds backends ({@link ServiceLoader}) and opens the one asked for. Nothing is cached: the
 * caller owns the returned {@link Backend} and passes it on explicitly.
 *
 * <p>{@link #open(String)} with a name ("simd", "opencl", "opencl:1") opens that backend or throws
 * an IllegalArgumentException naming it, why it cannot be had, and the available ones. With null
 * or "" it opens the usable implicit backend of highest priority: simd, else the reference.
 */
public final class Backends {
    private Backends() {}

    /** Every provider on the class path (the reference included), highest priority first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> all = new ArrayList<>();
        all.add(REFERENCE);
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) all.add(p);
        all.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
        return all;
    }

    /** The names of the usable backends, highest priority first. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : providers()) if (p.unavailableReason() == null) names.add(p.name());
        return names;
    }

    /** Opens the backend named by spec ("name" or "name:detail"), or the default one for null/"". */
    public static Backend open(String spec) {
        if (spec == null || spec.isBlank()) {
            for (BackendProvider p : providers())
                if (p.implicit() && p.unavailableReason() == null) return p.open("");
            return REFERENCE.open("");
        }
        String name = spec.contains(":") ? spec.substring(0, spec.indexOf(':')) : spec;
        String detail = spec.contains(":") ? spec.substring(spec.indexOf(':') + 1) : "";
        String reason = null;
        for (BackendProvider p : providers()) {
            if (!p.name().equalsIgnoreCase(name.trim())) continue;
            reason = p.unavailableReason();
            if (reason == null) return p.open(detail);
        }
        throw new IllegalArgumentException("backend '" + spec + "' is " + (reason == null ? "not on the class path" : "unavailable: " + reason)
                + " (available: " + String.join(", ", available()) + ")");
    }

    static final BackendProvider REFERENCE = new BackendProvider() {
        public String name() { return "reference"; }
        public int priority() { return 0; }
        public String unavailableReason() { return null; }
        public Backend open(String spec) { return new HostBackend(new ReferenceKernels(), "reference (plain loops, one thread)"); }
    };
}
