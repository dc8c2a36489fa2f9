package jmglu.simd;

import jmglu.engine.Backend;
import jmglu.engine.BackendProvider;

/**
 * Registers the Vector API backend ("simd", priority 10, picked when no backend is named) through
 * META-INF/services/jmglu.engine.BackendProvider. Unavailable when the JVM was started without
 * {@code --add-modules jdk.incubator.vector}. {@link #open} gives a {@link SimdBackend} with {@link SimdSettings#defaults()}.
 */
public final class SimdProvider implements BackendProvider {
    @Override public String name() { return "simd"; }

    @Override public int priority() { return 10; }

    @Override public boolean implicit() { return true; }

    @Override public String unavailableReason() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty())
            return "the Vector API module is missing: start the JVM with --add-modules jdk.incubator.vector";
        return null;
    }

    @Override public String details() { return "Java Vector API, " + Runtime.getRuntime().availableProcessors() + " processors"; }

    /** spec: "" (the defaults). */
    @Override public Backend open(String spec) {
        if (spec != null && !spec.isBlank())
            throw new IllegalArgumentException("simd: unknown option '" + spec + "' (the simd backend takes none; threads: -Djmglu.threads=N)");
        return new SimdBackend(new SimdKernels(SimdSettings.defaults()));
    }
}
