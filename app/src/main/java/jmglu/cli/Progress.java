package jmglu.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import jmglu.model.train.Trainer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The training progress bar (me.tongfei progressbar): step / steps, ETA, loss, val loss, tokens/s. Quiet mode prints a line per evaluation. */
final class Progress implements Trainer.Listener, AutoCloseable {
    private final ProgressBar bar;        // null when quiet
    private final PrintStream out;
    private double smooth = Double.NaN, tps = Double.NaN, val = Double.NaN;

    Progress(String task, int startStep, int steps, boolean quiet, PrintStream out) {
        this.out = out;
        bar = quiet ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).setMaxRenderedLength(120).startsFrom(startStep, java.time.Duration.ZERO).build();
    }

    @Override public void onStep(int step, int steps, double loss, float lr, double tokensPerSec) {
        smooth = Double.isNaN(smooth) ? loss : 0.9 * smooth + 0.1 * loss;         // exponential moving average for display
        tps = Double.isNaN(tps) ? tokensPerSec : 0.9 * tps + 0.1 * tokensPerSec;
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(String.format("loss %.3f%s %,.0f tok/s", smooth, Double.isNaN(val) ? "" : String.format(" val %.3f", val), tps));
        }
    }

    @Override public void onEval(int step, double valLoss) {
        val = valLoss;
        if (bar == null) out.printf("step %d: train loss %.4f (smoothed), val loss %.4f, %,.0f tok/s%n", step, smooth, valLoss, tps);
    }

    @Override public void onCheckpoint(int step, Path dir) {}

    @Override public void close() { if (bar != null) bar.close(); }
}
