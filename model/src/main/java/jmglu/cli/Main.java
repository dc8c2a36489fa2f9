package jmglu.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ServiceLoader;
import jmglu.model.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The jmglu command line (picocli). Subcommands live in small classes of this package; modules
 * above model (bench) add theirs through {@link CliPlugin}. A user error (bad flag, missing file,
 * malformed checkpoint, diverged training) prints one line "jmglu: ..." and exits non-zero
 * without a stack trace; anything else is a bug and prints its trace.
 */
@Command(name = "jmglu", mixinStandardHelpOptions = true, version = "jmglu 0.1.0",
        description = "Masked Gated Linear Units on the JVM: train, pack, generate, benchmark.",
        subcommands = {DemoCommand.class, TrainCommand.class, GenerateCommand.class, PackCommand.class,
                InfoCommand.class, CompareCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit codes: 1 user error, 2 bad command line, 3 internal error. */
    public static final int USER_ERROR = 1, USAGE = 2, BUG = 3;

    private static volatile String device;

    @Option(names = "--device", paramLabel = "NAME",
            description = "Backend for training and inference: reference, simd or opencl (default: the best available CPU backend); also accepted after the subcommand.")
    void setDevice(String d) { device = d; }

    static void setDeviceName(String d) { device = d; }

    /** The --device value, or null. */
    public static String device() { return device; }

    @Override public void run() { new CommandLine(this).usage(System.out); }

    public static CommandLine commandLine() {
        device = null;
        CommandLine cl = new CommandLine(new Main());
        for (CliPlugin p : ServiceLoader.load(CliPlugin.class)) cl.addSubcommand(p.name(), p.command());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("jmglu: " + ex.getMessage() + " (see: jmglu " + qualified(ex.getCommandLine()) + "--help)");
            err.flush();
            return USAGE;
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
                || ex instanceof Trainer.Diverged || ex instanceof CommandLine.ParameterException;
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
