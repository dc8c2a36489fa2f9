package jmglu.cli;

import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jmglu command line. Subcommands: see {@code jmglu --help}. */
@Command(name = "jmglu", mixinStandardHelpOptions = true, version = "jmglu 0.1.0",
        description = "Masked Gated Linear Units on the JVM: train, pack, generate, benchmark.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override public void run() { new CommandLine(this).usage(System.out); }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (CliPlugin p : ServiceLoader.load(CliPlugin.class)) cl.addSubcommand(p.name(), p.command());
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
