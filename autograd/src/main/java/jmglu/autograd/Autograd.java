package jmglu.autograd;

import jmglu.engine.Backends;
import jmglu.engine.Kernels;

import java.util.function.Supplier;

/**
 * Process-wide settings of the autograd engine: which {@link Kernels} the ops call (by default
 * {@link Backends#get()}, overridable with {@link #use}) and whether ops record the graph
 * (switched off inside {@link #noGrad}, e.g. for evaluation and generation, so that no
 * activations are kept for a backward that never comes).
 */
public final class Autograd {
    private Autograd() {}

    private static volatile Kernels override;
    private static final ThreadLocal<Boolean> RECORDING = ThreadLocal.withInitial(() -> Boolean.TRUE);

    /** Makes every op use these kernels (null: back to Backends.get()). */
    public static void use(Kernels kernels) { override = kernels; }

    /** The kernels the ops call now. */
    public static Kernels kernels() {
        Kernels k = override;
        return k != null ? k : Backends.get();
    }

    /** Whether ops on this thread record the graph for backward. */
    public static boolean gradEnabled() { return RECORDING.get(); }

    /** Runs body without recording the graph on this thread: results are constants, nothing is saved. */
    public static <T> T noGrad(Supplier<T> body) {
        boolean before = RECORDING.get();
        RECORDING.set(Boolean.FALSE);
        try {
            return body.get();
        } finally {
            RECORDING.set(before);
        }
    }

    /** {@link #noGrad(Supplier)} for a body without result. */
    public static void noGrad(Runnable body) {
        noGrad(() -> { body.run(); return null; });
    }
}
