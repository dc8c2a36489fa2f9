package jmglu.cli;

/**
 * A subcommand contributed by a module above model in the dependency graph (bench), found
 * through ServiceLoader (META-INF/services/jmglu.cli.CliPlugin), so that dependencies keep
 * pointing one way while `jmglu --help` still lists every command.
 */
public interface CliPlugin {
    /** The subcommand's name, e.g. "bench". */
    String name();

    /** A picocli command object (a class annotated with @Command). */
    Object command();
}
