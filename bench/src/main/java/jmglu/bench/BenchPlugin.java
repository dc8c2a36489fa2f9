package jmglu.bench;

import jmglu.cli.CliPlugin;

/** Registers `jmglu bench` into the command line (META-INF/services/jmglu.cli.CliPlugin). */
public final class BenchPlugin implements CliPlugin {
    @Override public String name() { return "bench"; }

    @Override public Object command() { return new BenchCommand(); }
}
