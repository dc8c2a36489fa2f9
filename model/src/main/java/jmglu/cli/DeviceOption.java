package jmglu.cli;

import picocli.CommandLine.Option;

/**
 * --device on a subcommand (jmglu train --device simd), the same setting as the global one
 * (jmglu --device simd train). A mixin rather than an inherited option, so that plugin commands
 * (bench) keep their own --device.
 */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "NAME",
            description = "Backend: reference, simd or opencl (default: the best available CPU backend).")
    void set(String d) { Main.setDeviceName(d); }
}
