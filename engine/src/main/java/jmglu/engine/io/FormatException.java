package jmglu.engine.io;

import java.nio.file.Path;

/**
 * A malformed, corrupt or unusable checkpoint file: a user error, so the message is one line that
 * names the file and the problem, e.g. {@code "/m/x.safetensors: not a valid safetensors file:
 * tensors 'a' (bytes [0, 8)) and 'b' (bytes [4, 12)) overlap"}. The command line prints it as is.
 */
public final class FormatException extends IllegalArgumentException {
    public FormatException(String message) { super(message); }

    /** "&lt;file&gt;: not a valid safetensors file: &lt;problem&gt;". */
    static FormatException safetensors(Path file, String problem) {
        return new FormatException(file + ": not a valid safetensors file: " + problem);
    }

    /** "&lt;index&gt;: not a valid safetensors index: &lt;problem&gt;". */
    static FormatException index(Path file, String problem) {
        return new FormatException(file + ": not a valid safetensors index: " + problem);
    }
}
