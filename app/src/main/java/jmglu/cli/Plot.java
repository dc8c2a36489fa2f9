package jmglu.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Loss-curve PNGs through XChart (headless). */
final class Plot {
    private Plot() {}

    /**
     * One line per series: name → points {step, loss}. A plot is a by-product: when it cannot be
     * drawn (a runtime without fonts, as a jlinked bundle on a bare GPU host) or written, this says
     * so on stderr and returns false; the run's checkpoint and numbers are unaffected.
     */
    static boolean curves(Path png, String title, Map<String, List<double[]>> series) {
        try {
            draw(png, title, series);
            return true;
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError) throw e;
            System.err.println("jmglu: plot " + png + " not written: " + e);
            try { Files.deleteIfExists(png); } catch (IOException ignored) { /* an empty file at most */ }
            return false;
        }
    }

    private static void draw(Path png, String title, Map<String, List<double[]>> series) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle("step").yAxisTitle("loss (nats/token)").build();
        chart.getStyler().setMarkerSize(3);
        chart.getStyler().setXAxisDecimalPattern("#");          // no thousands separators: ticks stay readable
        chart.getStyler().setXAxisTickMarkSpacingHint(120);
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            List<double[]> pts = e.getValue();
            if (pts.isEmpty()) continue;
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) { x[i] = pts.get(i)[0]; y[i] = pts.get(i)[1]; }
            chart.addSeries(e.getKey(), x, y).setMarker(x.length > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            String base = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
            BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }

    /** A moving average over a window (for noisy per-step training loss). */
    static List<double[]> smooth(List<double[]> pts, int window) {
        List<double[]> out = new java.util.ArrayList<>();
        double s = 0;
        for (int i = 0; i < pts.size(); i++) {
            s += pts.get(i)[1];
            if (i >= window) s -= pts.get(i - window)[1];
            out.add(new double[] {pts.get(i)[0], s / Math.min(i + 1, window)});
        }
        return out;
    }
}
