package jmglu.model.train;

/**
 * Learning rate: linear warm-up from lr/warmup to lr over the first warmup steps, then cosine
 * decay to minLr at the last step:
 * lr(s) = minLr + ½(lr − minLr)(1 + cos(π · (s − warmup)/(steps − warmup))).
 */
public record Schedule(float lr, float minLr, int warmup, int steps) {

    public float at(int s) {
        if (s < warmup) return lr * (s + 1) / warmup;
        if (steps <= warmup + 1) return lr;
        double p = Math.min(1.0, (double) (s - warmup) / (steps - 1 - warmup));
        return (float) (minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * p)));
    }
}
