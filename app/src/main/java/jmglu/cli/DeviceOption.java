package jmglu.cli;

import jmglu.engine.Backend;
import jmglu.engine.Backends;
import picocli.CommandLine.Option;

/**
 * --device on a subcommand (jmglu train --device simd), or before it (jmglu --device simd train):
 * the backend the command opens once and passes explicitly to the model, trainer and session.
 * A named backend that is missing or unusable is an error naming it and the available ones.
 */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "NAME",
            description = "Backend: reference, simd, opencl or opencl:N (default: the best available CPU backend).")
    String device;

    /** The --device given here, else the one given before the subcommand, else null (the default). */
    String name(Main main) { return device != null ? device : main == null ? null : main.device; }

    /** Opens the backend (the caller closes it). */
    Backend open(Main main) { return Backends.open(name(main)); }
}
