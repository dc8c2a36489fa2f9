package jmglu.bench;

/** Opens a kernel-benchmark device by name. */
public final class KernelDevices {
    private KernelDevices() {}

    public static KernelDevice open(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cpu" -> new CpuKernelDevice();
            case "opencl" -> throw new IllegalArgumentException("bench kernel: the opencl device is not built into this jmglu yet");
            default -> throw new IllegalArgumentException("bench kernel: unknown device '" + name + "' (expected cpu or opencl)");
        };
    }
}
