package jmglu.model.train;

import java.util.ArrayList;
import java.util.List;

/** The loss curves of a run: training loss per step, validation loss per evaluation (saved in checkpoints). */
public final class History {
    public final List<double[]> train = new ArrayList<>();   // {step, loss}
    public final List<double[]> val = new ArrayList<>();     // {step, loss}

    public double lastVal() { return val.isEmpty() ? Double.NaN : val.get(val.size() - 1)[1]; }

    public double lastTrain() { return train.isEmpty() ? Double.NaN : train.get(train.size() - 1)[1]; }

    /** Mean training loss over the last n steps (one batch is noisy; this is what a summary reports). */
    public double recentTrain(int n) {
        if (train.isEmpty()) return Double.NaN;
        int from = Math.max(0, train.size() - n);
        double s = 0;
        for (int i = from; i < train.size(); i++) s += train.get(i)[1];
        return s / (train.size() - from);
    }
}
