package jmglu.bench;

/** Median milliseconds per call and the max relative error against the reference on that run's data. */
public record Timing(double ms, double maxRelErr) {}
