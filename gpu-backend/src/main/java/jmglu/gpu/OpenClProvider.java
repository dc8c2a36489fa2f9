package jmglu.gpu;

import jmglu.engine.Backend;
import jmglu.engine.BackendProvider;

/**
 * The "opencl" backend for {@link jmglu.engine.Backends}: never picked implicitly (--device opencl or
 * opencl:N asks for it). Unavailable when libOpenCL cannot be loaded or no platform has a device.
 * The spec after "opencl:" is a device index into {@link OpenClContext#devices()} (GPUs first);
 * without one, -Djmglu.opencl.device, else 0. Kernel settings and decode switches are read from the jmglu.opencl.*
 * system properties once, at open ({@link OpenClSettings#fromSystemProperties()}, {@link DecodeSwitches#fromSystemProperties()}).
 */
public final class OpenClProvider implements BackendProvider {
    @Override public String name() { return "opencl"; }

    @Override public int priority() { return 5; }

    @Override public boolean implicit() { return false; }

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

    @Override public Backend open(String spec) {
        OpenClSettings settings = OpenClSettings.fromSystemProperties();
        DecodeSwitches switches = DecodeSwitches.fromSystemProperties();
        return new OpenClBackend(spec == null || spec.isBlank() ? OpenClContext.open() : OpenClContext.open(index(spec)), settings, switches);
    }

    private static int index(String spec) {
        try {
            return Integer.parseInt(spec.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--device opencl:" + spec + ": expected a device number (opencl:0, opencl:1, ...)");
        }
    }

    /** Null when an OpenCL device can be used here, else why not. */
    public static String probe() {
        try {
            var all = OpenClContext.devices();
            if (all.isEmpty()) return "no OpenCL platform with a device (install a driver, or PoCL: apt-get install pocl-opencl-icd ocl-icd-opencl-dev)";
            return null;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return "the OpenCL library (libOpenCL.so) or JOCL's native part could not be loaded: " + e.getMessage();
        } catch (RuntimeException e) {
            return "OpenCL failed while listing devices: " + e.getMessage();
        }
    }
}
