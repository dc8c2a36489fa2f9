package jmglu.cli;

import jmglu.autograd.Autograd;
import jmglu.engine.Backends;
import jmglu.engine.Kernels;

/** Applies the global --device to training and evaluation: one Kernels for Backends and Autograd. */
final class Device {
    private Device() {}

    /** Selects --device (a clear error when it is missing or unusable) and returns the kernels in use. */
    static Kernels apply() {
        String d = Main.device();
        if (d != null) {
            Kernels k = Backends.select(d);
            Backends.use(k);
            Autograd.use(k);
        }
        return Autograd.kernels();
    }
}
