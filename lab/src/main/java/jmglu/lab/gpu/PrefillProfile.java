package jmglu.lab.gpu;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jmglu.bench.Ceilings;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.Tensor;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import jmglu.model.Config;
import jmglu.model.DecodeState;
import jmglu.model.Transformer;
import jmglu.model.train.Checkpoint;

/**
 * Where a prefill's device time goes, per kernel (issue 12): loads a model folder on the OpenCL backend, runs
 * W warm-up prefills of P tokens (program builds), times R more on the wall clock (median), then one with every
 * launch's profiling event kept, printed as {@link DecodeProfile} prints a step (here the "step" is the whole prefill).
 * <pre>  java -cp 'lib/*' jmglu.lab.gpu.PrefillProfile MODEL_DIR [--prompt 512] [--reps 5] [--warmup 2]</pre>
 */
public final class PrefillProfile {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int prompt = 512, reps = 5, warm = 2;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--prompt" -> prompt = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warm = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("PrefillProfile: unknown argument " + args[i]);
            }
        }
        try (Backend be = Backends.open("opencl"); Checkpoint.Loaded l = Checkpoint.load(dir)) {
            OpenClContext cl = ((OpenClBackend) be).context();
            Config c = l.config();
            Map<String, Tensor> t = l.packed() ? l.tensors() : Transformer.forTraining(c, l.tensors()).pack(jmglu.engine.DType.F16);
            Transformer tf = Transformer.forInference(c, t, be);
            double ceil = Ceilings.readGBps(be);
            int[] toks = new int[prompt];
            for (int p = 0; p < prompt; p++) toks[p] = (31 * p + 1) % c.vocab();
            try (DecodeState s = tf.newState(1, prompt + 1)) {
                for (int n = 0; n < warm; n++) tf.prefill(s, 0, toks, 0);
                be.sync();
                double[] ms = new double[reps];
                for (int n = 0; n < reps; n++) {
                    long t0 = System.nanoTime();
                    tf.prefill(s, 0, toks, 0);
                    be.sync();
                    ms[n] = (System.nanoTime() - t0) / 1e6;
                }
                java.util.Arrays.sort(ms);
                double med = ms[reps / 2];
                System.out.printf(Locale.ROOT, "%s on %s: prefill of %d tokens, median of %d: %.2f ms = %.0f tok/s (min %.2f ms)%n",
                        c.label(), be.describe(), prompt, reps, med, prompt * 1e3 / med, ms[0]);
                cl.profile(true);
                long t0 = System.nanoTime();
                tf.prefill(s, 0, toks, 0);
                be.sync();
                double wallUs = (System.nanoTime() - t0) * 1e-3;
                List<OpenClContext.Launch> ls = cl.profile(false);
                DecodeProfile.report(ls, 1, wallUs, ceil, prompt, tf.weightBytesPerStep());
                OpenClContext.releaseEvents(ls);
                float[] got = tf.prefill(s, 0, toks, 0).clone();
                System.setProperty("jmglu.opencl.gemm", "off");               // the same prefill on the row kernels, 16 rows a pass
                try (Backend rows = Backends.open("opencl")) {
                    Transformer tr = Transformer.forInference(c, t, rows);
                    try (DecodeState sr = tr.newState(1, prompt + 1)) {
                        float[] want = tr.prefill(sr, 0, toks, 0);
                        double big = 0, err = 0;
                        for (int i = 0; i < want.length; i++) {
                            big = Math.max(big, Math.abs(want[i]));
                            err = Math.max(err, Math.abs(got[i] - want[i]));
                        }
                        System.out.printf(Locale.ROOT, "last position's logits, GEMM prefill (%d rows a pass) vs row kernels (%d): max |diff| %.3g, max |logit| %.3g%n",
                                s.prefillRows(), sr.prefillRows(), err, big);
                    }
                } finally {
                    System.clearProperty("jmglu.opencl.gemm");
                }
            }
        }
    }
}
