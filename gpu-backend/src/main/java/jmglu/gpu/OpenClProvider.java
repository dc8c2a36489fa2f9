package jmglu.gpu;

import jmglu.engine.Kernels;
import jmglu.engine.KernelsProvider;

/**
 * The "opencl" backend for {@link jmglu.engine.Backends} (priority 5: used only when asked for).
 * Unavailable when libOpenCL cannot be loaded or no platform has a device.
 */
public final class OpenClProvider implements KernelsProvider {
    @Override public String name() { return "opencl"; }

    @Override public int priority() { return 5; }

    @Override public String unavailableReason() { return probe(); }

    /** The OpenCL devices in --device opencl:N order. */
    @Override public String details() {
        try {
            var all = OpenClContext.devices();
            return all.isEmpty() ? "" : "devices " + OpenClContext.listing(all);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | RuntimeException e) {
            return "";
        }
    }

    @Override public Kernels create() { return new OpenClKernels(OpenClContext.open()); }

    /** Null when an OpenCL device can be used here, else why not. */
    static String probe() {
        try {
            var all = OpenClContext.devices();
            if (all.isEmpty()) return "no OpenCL platform with a device (install a driver, or PoCL: apt-get install pocl-opencl-icd ocl-icd-opencl-dev)";
            int n = Integer.getInteger(OpenClContext.DEVICE_PROPERTY, 0);
            if (n < 0 || n >= all.size()) return "OpenCL device " + n + " does not exist (devices: " + OpenClContext.listing(all) + ")";
            return null;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return "the OpenCL library (libOpenCL.so) or JOCL's native part could not be loaded: " + e.getMessage();
        } catch (RuntimeException e) {
            return "OpenCL failed while listing devices: " + e.getMessage();
        }
    }
}
