package jmglu.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import jmglu.model.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The jmglu command line (picocli). Subcommands live in small classes of this package. A user error
 * (bad flag, missing file, malformed checkpoint, diverged training, a backend that lacks an op) prints
 * one line "jmglu: ..." and exits 1 without a stack trace; running out of memory prints one line
 * saying how to give more and exits 4; anything else is a bug and prints its trace (exit 3).
 */
@Command(name = "jmglu", mixinStandardHelpOptions = true, version = "jmglu 0.1.0",
        description = "Masked Gated Linear Units on the JVM: train, pack, generate, benchmark.",
        subcommands = {DemoCommand.class, TrainCommand.class, GenerateCommand.class, PackCommand.class, InitCommand.class,
                InfoCommand.class, CompareCommand.class, BenchCommand.class, TokenizeCommand.class, LogitsCommand.class,
                ExportCommand.class, MgluInitCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit codes: 1 user error, 2 bad command line, 3 internal error, 4 out of memory. */
    public static final int USER_ERROR = 1, USAGE = 2, BUG = 3, OUT_OF_MEMORY = 4;

    @Option(names = "--device", paramLabel = "NAME",
            description = "Backend for training and inference: reference, simd, opencl or opencl:N (default: the best available CPU backend); also accepted after the subcommand.")
    String device;

    @Override public void run() { new CommandLine(this).usage(System.out); }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("jmglu: " + ex.getMessage() + " (see: jmglu " + qualified(ex.getCommandLine()) + "--help)");
            err.flush();
            return USAGE;
        });
        cl.setExecutionStrategy(parseResult -> {          // running out of memory is an Error, outside the exception handler
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } catch (OutOfMemoryError oom) {
                PrintWriter err = parseResult.commandSpec().commandLine().getErr();
                err.println("jmglu: out of memory" + (oom.getMessage() == null || oom.getMessage().startsWith("Java heap") ? "" : ": " + oom.getMessage())
                        + " (max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB; give more with JMGLU_JAVA_OPTS=-Xmx<size>, e.g. -Xmx8g)");
                err.flush();
                return OUT_OF_MEMORY;
            }
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            PrintWriter err = c.getErr();
            if (isUserError(ex)) {
                err.println("jmglu: " + message(ex));
                err.flush();
                return USER_ERROR;
            }
            err.println("jmglu: internal error (please report): " + ex);
            ex.printStackTrace(err);
            err.flush();
            return BUG;
        });
        return cl;
    }

    private static String qualified(CommandLine c) {
        StringBuilder sb = new StringBuilder();
        for (CommandLine p = c; p != null && p.getParent() != null; p = p.getParent()) sb.insert(0, p.getCommandName() + " ");
        return sb.toString();
    }

    static boolean isUserError(Throwable ex) {
        return ex instanceof IllegalArgumentException || ex instanceof UncheckedIOException || ex instanceof java.io.IOException
                || ex instanceof Trainer.Diverged || ex instanceof CommandLine.ParameterException || ex instanceof UnsupportedOperationException
                || ex instanceof jmglu.engine.io.ModelFolder.LockedException;
    }

    static String message(Throwable ex) {
        String m = ex.getMessage();
        if (ex instanceof UncheckedIOException u && u.getCause() != null && m == null) m = u.getCause().getMessage();
        return m == null ? ex.toString() : m.replace('\n', ' ');
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }
}
