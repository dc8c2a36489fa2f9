package jmglu.lab.gpu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Where a decode step's device time goes, per kernel (issue 12): loads a model folder on the OpenCL backend,
 * prefills a prompt of P tokens in B rows, runs W warm-up steps, times S greedy steps on the wall clock, then S more
 * with every launch's profiling event kept ({@link OpenClContext#profile}) and prints, per kernel (file, name, build
 * options) and global size, the launches per step, µs per step, µs per launch, the summed sizes of its buffer
 * arguments per launch (an upper bound on what it reads: whole buffers, e.g. the full KV cache of maxT positions) and
 * that over the launch's time as GB/s and % of the read ceiling measured in the same run. Below: the step's wall time,
 * the sum of kernel times and the device span (first start to last end), whose difference is the gaps between launches;
 * and before that the same steps run ahead (nothing read back between them: the device-bound step time), the host's
 * enqueue time alone, and both apart ({@link #gated}: the steps enqueued behind a user event, then released).
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.DecodeProfile MODEL_DIR [--batch 1] [--prompt 512] [--steps 16] [--warmup 16]
 * </pre>
 * The batch's rows share positions (all at P, P + 1, ...); kernel options are cut to what tells launches apart.
 */
public final class DecodeProfile {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int B = 1, prompt = 512, steps = 16, warm = 16;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--batch" -> B = Integer.parseInt(args[++i]);
                case "--prompt" -> prompt = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warm = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("DecodeProfile: unknown argument " + args[i]);
            }
        }
        try (Backend be = Backends.open("opencl"); Checkpoint.Loaded l = Checkpoint.load(dir)) {
            OpenClContext cl = ((OpenClBackend) be).context();
            Config c = l.config();
            Map<String, Tensor> t = l.packed() ? l.tensors() : Transformer.forTraining(c, l.tensors()).pack(jmglu.engine.DType.F16);
            HostTimes ht = new HostTimes(be);
            Transformer tf = Transformer.forInference(c, t, ht.proxy);
            double ceil = Ceilings.readGBps(be);
            System.out.printf(Locale.ROOT, "%s on %s: %,d weight bytes per step; read ceiling %.1f GB/s; B=%d, prompt %d, %d steps; props %s%n",
                    c.label(), be.describe(), tf.weightBytesPerStep(), ceil, B, prompt, steps, props());
            int ctx = prompt + warm + 6 * steps + 1;
            try (DecodeState s = tf.newState(B, ctx)) {
                int[] tok = new int[B], pos = new int[B];
                for (int b = 0; b < B; b++) {
                    int[] toks = new int[prompt];
                    for (int p = 0; p < prompt; p++) toks[p] = (31 * p + 7 * b + 1) % c.vocab();
                    tf.prefill(s, b, toks, 0);
                }
                int p = prompt;
                for (int n = 0; n < warm; n++) p = step(tf, s, tok, pos, p);
                be.sync();
                long t0 = System.nanoTime();
                for (int n = 0; n < steps; n++) p = step(tf, s, tok, pos, p);
                be.sync();
                double wallUs = (System.nanoTime() - t0) * 1e-3 / steps;
                var ahead = new jmglu.model.infer.DecodeAhead(tf, s, 0f, 1);      // the same, the host one step ahead
                t0 = System.nanoTime();
                for (int n = 0; n < steps; n++, p++) {
                    java.util.Arrays.fill(pos, p);
                    if (n == 0) ahead.start(tok, pos, null);
                    else System.arraycopy(ahead.next(pos, null), 0, tok, 0, B);
                }
                System.arraycopy(ahead.finish(), 0, tok, 0, B);
                double aheadStepUs = (System.nanoTime() - t0) * 1e-3 / steps;
                // the same greedy steps with nothing read back between them (decodeAhead from the host's tokens into ids slot
                // 0: the lm head and the argmax included): the host runs ahead, so the queue never drains: the device-bound
                // step time (or the host's, whichever is longer)
                Runnable stepM = () -> tf.decodeAhead(s, tok, 0, pos, 0f, 1, null);
                t0 = System.nanoTime();
                for (int n = 0; n < steps; n++, p++) {
                    java.util.Arrays.fill(pos, p);
                    stepM.run();
                }
                be.sync();
                double aheadUs = (System.nanoTime() - t0) * 1e-3 / steps;
                // and one step at a time with the queue drained before each (sync after it): the host's enqueue time alone,
                // which a full queue would otherwise stretch to the device's
                long hostNs = 0;
                ht.on = true;
                cl.hostTimes(true);
                long launches0 = cl.launches();
                for (int n = 0; n < steps; n++, p++) {
                    java.util.Arrays.fill(pos, p);
                    long h0 = System.nanoTime();
                    stepM.run();
                    hostNs += System.nanoTime() - h0;
                    ht.on = false;
                    be.sync();
                    ht.on = true;
                }
                ht.on = false;
                Map<String, long[]> perKernel = cl.hostTimes(false);
                long launches = cl.launches() - launches0;
                System.out.printf(Locale.ROOT, "steps read back one by one (decodeGreedy) %.1f µs/step; pipelined (DecodeAhead) %.1f µs/step; "
                        + "run ahead (no read-back) %.1f µs/step; host enqueue alone (queue drained before each step) %.1f µs/step "
                        + "(%.1f launches a step)%n", wallUs, aheadStepUs, aheadUs, hostNs * 1e-3 / steps, launches / (double) steps);
                ht.print(steps);
                StringBuilder hk = new StringBuilder("host µs a step in OpenClContext.launch per kernel (calls a step, µs a call):");
                for (var e : perKernel.entrySet()) {
                    long[] r = e.getValue();
                    hk.append(String.format(Locale.ROOT, "%n  %-64s %7.1f (%.1f, %.2f)", label(e.getKey()), r[1] * 1e-3 / steps, r[0] / (double) steps, r[1] * 1e-3 / r[0]));
                }
                System.out.println(hk);
                p = gated(cl, tf, stepM, s, tok, pos, p, Math.min(steps, 16));
                cl.profile(true);
                for (int n = 0; n < steps; n++) p = step(tf, s, tok, pos, p);
                be.sync();
                List<OpenClContext.Launch> ls = cl.profile(false);
                report(ls, steps, wallUs, ceil, B, tf.weightBytesPerStep());
                OpenClContext.releaseEvents(ls);
            }
        }
    }

    /**
     * G steps run ahead while the queue is held behind a user event, then released: the host's enqueue time a step with
     * the device out of its way (per kernel in launch, too), and the device's own time a step (release to finish: the
     * kernels back to back, nothing waiting on the host). A watchdog releases the gate after 30 s should the driver
     * block an enqueue behind it (then the device figure is not meaningful and says so).
     */
    private static int gated(OpenClContext cl, Transformer tf, Runnable stepM, DecodeState s, int[] tok, int[] pos, int p, int G)
            throws Exception {
        cl.finish();
        var q = cl.queue(false);
        org.jocl.cl_event gate = org.jocl.CL.clCreateUserEvent(cl.context, null);
        org.jocl.CL.clEnqueueMarkerWithWaitList(q, 1, new org.jocl.cl_event[] {gate}, null);
        var released = new java.util.concurrent.atomic.AtomicBoolean();
        Thread dog = Thread.ofPlatform().daemon().start(() -> {
            try { Thread.sleep(30_000); } catch (InterruptedException e) { return; }
            if (released.compareAndSet(false, true)) {
                System.out.println("gated: the watchdog released the gate (an enqueue blocked behind it)");
                org.jocl.CL.clSetUserEventStatus(gate, org.jocl.CL.CL_COMPLETE);
            }
        });
        cl.hostTimes(true);
        long launches0 = cl.launches(), t0 = System.nanoTime();
        for (int n = 0; n < G; n++, p++) {
            java.util.Arrays.fill(pos, p);
            stepM.run();
        }
        long t1 = System.nanoTime();
        Map<String, long[]> perKernel = cl.hostTimes(false);
        boolean byUs = released.compareAndSet(false, true);
        dog.interrupt();
        long t2 = System.nanoTime();
        if (byUs) org.jocl.CL.clSetUserEventStatus(gate, org.jocl.CL.CL_COMPLETE);
        cl.finish();
        long t3 = System.nanoTime();
        org.jocl.CL.clReleaseEvent(gate);
        StringBuilder hk = new StringBuilder(String.format(Locale.ROOT, "gated (%d steps enqueued behind a user event, then released): host %.1f µs/step "
                + "(%.1f launches a step), device %.1f µs/step (release to finish)%s; host µs a step in launch per kernel (calls a step, µs a call):",
                G, (t1 - t0) * 1e-3 / G, (cl.launches() - launches0) / (double) G, (t3 - t2) * 1e-3 / G, byUs ? "" : " NOT MEANINGFUL: released by the watchdog"));
        for (var e : perKernel.entrySet()) {
            long[] r = e.getValue();
            hk.append(String.format(Locale.ROOT, "%n  %-64s %7.1f (%.1f, %.2f)", label(e.getKey()), r[1] * 1e-3 / G, r[0] / (double) G, r[1] * 1e-3 / r[0]));
        }
        System.out.println(hk);
        return p;
    }

    private static int step(Transformer tf, DecodeState s, int[] tok, int[] pos, int p) {
        java.util.Arrays.fill(pos, p);
        int[] next = tf.decodeGreedy(s, tok, pos);
        System.arraycopy(next, 0, tok, 0, tok.length);
        return p + 1;
    }

    /** Host time per backend method (no sync: the time to enqueue), through a proxy of the Backend interface. */
    private static final class HostTimes {
        final Backend proxy;
        final Map<String, long[]> t = new LinkedHashMap<>();
        volatile boolean on;

        HostTimes(Backend inner) {
            proxy = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (o, m, a) -> {
                long t0 = System.nanoTime();
                try {
                    return m.invoke(inner, a);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                } finally {
                    if (on) {
                        long[] r = t.computeIfAbsent(m.getName(), k -> new long[2]);
                        r[0]++;
                        r[1] += System.nanoTime() - t0;
                    }
                }
            });
        }

        void print(int steps) {
            StringBuilder sb = new StringBuilder("host µs a step per backend op (calls a step, µs a call):");
            t.forEach((k, r) -> sb.append(String.format(Locale.ROOT, " %s %.1f (%.1f, %.2f)", k, r[1] * 1e-3 / steps, r[0] / (double) steps, r[1] * 1e-3 / r[0])));
            System.out.println(sb);
        }
    }

    private static final class Row { long n, ns, argBytes; }

    static void report(List<OpenClContext.Launch> ls, int steps, double wallUs, double ceil, int B, long weightBytes) {
        Map<String, Row> rows = new LinkedHashMap<>();
        long first = Long.MAX_VALUE, last = 0, sum = 0;
        for (OpenClContext.Launch l : ls) {
            long[] se = l.startEnd();
            first = Math.min(first, se[0]);
            last = Math.max(last, se[1]);
            sum += se[1] - se[0];
            Row r = rows.computeIfAbsent(label(l.kernel()) + " g=" + l.global(), k -> new Row());
            r.n++;
            r.ns += se[1] - se[0];
            r.argBytes += l.argBytes();
        }
        List<Map.Entry<String, Row>> sorted = new ArrayList<>(rows.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue().ns, a.getValue().ns));
        System.out.printf(Locale.ROOT, "%-72s %7s %9s %8s %9s %8s %6s%n", "kernel", "n/step", "µs/step", "µs/call", "MB/call", "GB/s", "%ceil");
        for (var e : sorted) {
            Row r = e.getValue();
            double usStep = r.ns * 1e-3 / steps, usCall = r.ns * 1e-3 / r.n, mb = r.argBytes / 1e6 / r.n, gbs = r.argBytes / (double) r.ns;
            System.out.printf(Locale.ROOT, "%-72s %7.1f %9.1f %8.2f %9.2f %8.1f %6.1f%n", e.getKey(), (double) r.n / steps, usStep, usCall, mb, gbs, 100 * gbs / ceil);
        }
        double kernUs = sum * 1e-3 / steps, spanUs = (last - first) * 1e-3 / steps, floorUs = weightBytes / ceil * 1e-3;
        System.out.printf(Locale.ROOT, "step: wall %.1f µs (%.1f tok/s, %.1f%% of the floor %.1f µs), profiled: kernels %.1f µs, device span %.1f µs "
                        + "(gaps %.1f µs), %d launches/step%n", wallUs, B * 1e6 / wallUs, 100 * floorUs / wallUs, floorUs, kernUs, spanUs,
                spanUs - kernUs, ls.size() / steps);
    }

    /** "file name" and the build options that tell launches apart (mode, masks, batch, norm, acc, split). */
    private static String label(String k) {
        String[] f = k.split(" ");
        StringBuilder sb = new StringBuilder(f[0].replace(".cl", "") + ":" + (f.length > 1 ? f[1] : ""));
        for (int i = 2; i < f.length; i++)
            for (String keep : new String[] {"-DMODE=", "-DNM=", "-DBB=", "-DNORM=", "-DACC=1", "-DR=", "-DLS="})
                if (f[i].startsWith(keep)) sb.append(' ').append(f[i].substring(2));
        return sb.toString();
    }

    private static String props() {
        StringBuilder sb = new StringBuilder();
        System.getProperties().forEach((k, v) -> { if (k.toString().startsWith("jmglu.")) sb.append(k).append('=').append(v).append(' '); });
        return sb.isEmpty() ? "(defaults)" : sb.toString().trim();
    }
}
