package jmglu.simd;

import jmglu.engine.Kernels;
import jmglu.engine.KernelsProvider;

/**
 * Registers the Vector API backend ("simd", priority 10) through
 * META-INF/services/jmglu.engine.KernelsProvider. Unavailable when the JVM was started without
 * {@code --add-modules jdk.incubator.vector}.
 */
public final class SimdProvider implements KernelsProvider {
    @Override public String name() { return "simd"; }

    @Override public int priority() { return 10; }

    @Override public String unavailableReason() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty())
            return "the Vector API module is missing: start the JVM with --add-modules jdk.incubator.vector";
        return null;
    }

    @Override public Kernels create() { return new SimdKernels(); }
}
