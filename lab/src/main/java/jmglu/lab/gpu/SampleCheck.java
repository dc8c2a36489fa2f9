package jmglu.lab.gpu;

import java.util.Locale;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.Rng;
import jmglu.engine.Sampling;
import jmglu.engine.Tensor;

/**
 * Device check of {@link Backend#sample} on a real vocabulary size (issue 12: sampling on the device): per (V, B, T, k),
 * how many of 64 draws equal {@link Sampling#draw}'s on the same logits and float uniforms (the rest must sit within
 * float rounding of a boundary), and the median µs of one call against reading the logits back and drawing on the host.
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.SampleCheck [opencl]
 * </pre>
 */
public final class SampleCheck {
    public static void main(String[] args) {
        try (Backend be = Backends.open(args.length > 0 ? args[0] : "opencl")) {
            System.out.println("sampling on " + be.describe());
            Rng rng = new Rng(3);
            for (int V : new int[] {256, 32000, 128256})
                for (int B : new int[] {1, 8})
                    for (float[] tk : new float[][] {{0.8f, 0}, {1f, 40}, {0.6f, 1000}}) {
                        float t = tk[0];
                        int k = (int) tk[1];
                        Tensor host = Tensor.randn(rng, 4, B, V), dev = be.adopt(host);
                        int equal = 0, n = 0;
                        int[] got = new int[B];
                        double[] u = new double[B];
                        for (int rep = 0; rep < 64 / B; rep++) {
                            for (int b = 0; b < B; b++) u[b] = (float) rng.nextDouble();
                            be.sample(got, dev, t, k, u);
                            for (int b = 0; b < B; b++, n++) equal += got[b] == Sampling.draw(host.data(), b * V, V, t, k, u[b]) ? 1 : 0;
                        }
                        double onDevice = medianUs(() -> be.sample(got, dev, t, k, u));
                        float[] back = new float[B * V];
                        double onHost = medianUs(() -> {
                            be.read(dev, back);
                            for (int b = 0; b < B; b++) got[b] = Sampling.draw(back, b * V, V, t, k, u[b]);
                        });
                        System.out.printf(Locale.ROOT, "V %6d B %d T %.1f k %4d: %2d of %2d draws equal the reference; %8.1f µs a call on the device, %8.1f read back + host%n",
                                V, B, t, k, equal, n, onDevice, onHost);
                    }
        }
    }

    private static double medianUs(Runnable r) {
        double[] us = new double[21];
        for (int i = -3; i < us.length; i++) {
            long t0 = System.nanoTime();
            r.run();
            if (i >= 0) us[i] = (System.nanoTime() - t0) / 1e3;
        }
        java.util.Arrays.sort(us);
        return us[us.length / 2];
    }
}
