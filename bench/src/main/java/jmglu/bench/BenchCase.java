package jmglu.bench;

import jmglu.engine.DType;

/** One benchmark case: W (d, h) in dtype, nm masks, B rows of x; quick = fewer repetitions. */
public record BenchCase(DType dtype, int h, int d, int nm, int batch, boolean quick) {}
