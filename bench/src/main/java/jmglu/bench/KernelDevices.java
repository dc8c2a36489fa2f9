package jmglu.bench;

/** Opens a kernel-benchmark device by name. */
public final class KernelDevices {
    private KernelDevices() {}

    public static KernelDevice open(String name) {
        if (name.toLowerCase(java.util.Locale.ROOT).startsWith("opencl:")) {   // opencl:N picks OpenCL device N
            System.setProperty("jmglu.opencl.device", name.substring("opencl:".length()));
            name = "opencl";
        }
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cpu" -> new CpuKernelDevice();
            case "opencl" -> new OpenClKernelDevice();
            default -> throw new IllegalArgumentException("bench kernel: unknown device '" + name + "' (expected cpu or opencl)");
        };
    }
}
