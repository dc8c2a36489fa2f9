package jmglu.autograd;

import java.util.function.Supplier;

/**
 * Whether ops record the graph, per thread: switched off inside {@link #noGrad} (evaluation,
 * generation) so that no activations are kept for a backward that never comes. Which kernels run
 * is not a setting here: it is the {@link F} an op is called through.
 */
public final class Autograd {
    private Autograd() {}

    private static final ThreadLocal<Boolean> RECORDING = ThreadLocal.withInitial(() -> Boolean.TRUE);

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
