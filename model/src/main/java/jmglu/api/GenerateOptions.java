package jmglu.api;

import java.util.List;

/**
 * How {@link Session#generate} samples: at most maxTokens new tokens; temperature (0 = greedy);
 * top-k truncation (0 = off); the sampling seed; stop strings (generation ends once the text
 * contains one; the stop string is not returned).
 */
public record GenerateOptions(int maxTokens, float temperature, int topK, long seed, List<String> stop) {

    /** Generations longer than this are refused (a bound on what one call may allocate). */
    public static final int MAX_TOKENS = 1 << 20;

    public GenerateOptions {
        if (maxTokens < 0 || maxTokens > MAX_TOKENS) throw new IllegalArgumentException("maxTokens must be in 0.." + MAX_TOKENS + ", got " + maxTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    /** 200 tokens, temperature 0.8, top-k 40, seed 1, no stop strings. */
    public static GenerateOptions defaults() { return new GenerateOptions(200, 0.8f, 40, 1, List.of()); }

    public GenerateOptions withMaxTokens(int n) { return new GenerateOptions(n, temperature, topK, seed, stop); }
    public GenerateOptions withTemperature(float t) { return new GenerateOptions(maxTokens, t, topK, seed, stop); }
    public GenerateOptions withTopK(int k) { return new GenerateOptions(maxTokens, temperature, k, seed, stop); }
    public GenerateOptions withSeed(long s) { return new GenerateOptions(maxTokens, temperature, topK, s, stop); }
    public GenerateOptions withStop(String... s) { return new GenerateOptions(maxTokens, temperature, topK, seed, List.of(s)); }
}
