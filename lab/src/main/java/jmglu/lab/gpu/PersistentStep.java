package jmglu.lab.gpu;

import java.util.Locale;
import jmglu.bench.Ceilings;
import jmglu.engine.Backend;
import jmglu.engine.Backends;
import jmglu.engine.Rng;
import jmglu.engine.Rope;
import jmglu.engine.RopeTable;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * Lab prototype (issue 12): a whole B = 1 decode step of a SwiMGLU transformer (fp16 W, MHA, interleaved RoPE, f32 KV
 * cache) in ONE persistent launch (persist_step.cl), against the same kernel launched once per phase (5 a layer + 2),
 * and against a host step in double on the same weights, cache and input (logits' max |Δ| / max |logit|, the argmax).
 * Weights are random (a hash on the device), the cache holds random keys and values before pos. Prints the median µs
 * of 30 steps, the bytes a step reads (W, masks, the cache up to pos) against the read ceiling measured in the same
 * run, and the floor (weights alone at that ceiling), as `jmglu bench decode` counts it; --profile true: each phase kind's
 * device time per step, from profiling events of the per-phase launches.
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.PersistentStep [--dim 2048] [--heads 16] [--hidden 8192] [--nm 4] [--layers 8]
 *        [--vocab 256] [--pos 512] [--maxt 640] [--sk 8] [--groups-per-cu 2] [--prefetch 0|1] [--check true] [--profile false]
 * </pre>
 */
public final class PersistentStep {
    public static void main(String[] args) {
        int C = 2048, NH = 16, D = 8192, NM = 4, L = 8, V = 256, pos = 512, maxT = 640, SK = 8, gpc = 2, pf = 0;
        boolean check = true, profile = false;
        for (int i = 0; i < args.length; i += 2) {
            int v = args[i].equals("--check") || args[i].equals("--profile") ? 0 : Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--dim" -> C = v;
                case "--heads" -> NH = v;
                case "--hidden" -> D = v;
                case "--nm" -> NM = v;
                case "--layers" -> L = v;
                case "--vocab" -> V = v;
                case "--pos" -> pos = v;
                case "--maxt" -> maxT = v;
                case "--sk" -> SK = v;
                case "--groups-per-cu" -> gpc = v;
                case "--prefetch" -> pf = v;
                case "--check" -> check = Boolean.parseBoolean(args[i + 1]);
                case "--profile" -> profile = Boolean.parseBoolean(args[i + 1]);
                default -> throw new IllegalArgumentException("PersistentStep: unknown argument " + args[i]);
            }
        }
        int HD = C / NH;
        if (C % 256 != 0 || D % 256 != 0 || HD % 4 != 0 || HD > 128 || pos >= maxT)
            throw new IllegalArgumentException("PersistentStep: dim and hidden multiples of 256, head size ≤ 128 and a multiple of 4, pos < maxt");
        int U = 8;
        while ((C / 8) % (32 * U) != 0 || (D / 8) % (32 * U) != 0) U /= 2;
        try (Backend be = Backends.open("opencl")) {
            OpenClContext cl = ((OpenClBackend) be).context();
            boolean nv = cl.ref.platformName().toUpperCase(Locale.ROOT).contains("NVIDIA");
            int LS = nv ? 256 : 32, G = (int) (nv ? gpc * cl.computeUnits : cl.computeUnits);
            String opts = String.format(Locale.ROOT, "-DC=%d -DNH=%d -DD=%d -DNM=%d -DV=%d -DL=%d -DMAXT=%d -DSK=%d -DU=%d -DLS=%d -DNV=%d -DPF=%d",
                    C, NH, D, NM, V, L, maxT, SK, U, LS, nv ? 1 : 0, pf);
            cl_kernel step = cl.kernel("persist_step.cl", opts, "decode_step");
            // weights: per layer Wqkv, Wo, W, W2, then the head (fp16, uniform ±√(3/h) by a hash of the index)
            long wLayer = 3L * C * C + (long) C * C + (long) D * C + (long) C * D, wAll = L * wLayer + (long) V * C;
            cl_mem W = cl.alloc(2 * wAll);
            cl_kernel init = cl.kernel("persist.cl", "-DNV=" + (nv ? 1 : 0), "init_w");
            long off = 0;
            for (int l = 0; l <= L; l++)
                for (long[] rh : l < L ? new long[][] {{3L * C, C}, {C, C}, {D, C}, {C, D}} : new long[][] {{V, C}}) {
                    cl.launch(init, 1L << 20, 256, null, W, off, rh[0] * rh[1], (float) Math.sqrt(3.0 / rh[1]));
                    off += rh[0] * rh[1];
                }
            Rng rng = new Rng(17);
            int wpr = C / 32;
            int[] masks = new int[Math.multiplyExact(L * D, NM * wpr)];
            for (int i = 0; i < masks.length; i++) masks[i] = (int) rng.nextLong();
            float[] g = new float[(2 * L + 1) * C];
            for (int i = 0; i < g.length; i++) g[i] = (float) (1 + 0.1 * rng.nextGaussian());
            float[] kv = new float[Math.multiplyExact(2 * L * maxT, C)];
            for (int lk = 0; lk < 2 * L; lk++) rng.fillGaussian(kv, lk * maxT * C, pos * C, 1.0);
            RopeTable rt = RopeTable.build(Rope.interleaved(10000f), HD, maxT);
            float[] rope = new float[maxT * HD];
            for (int i = 0; i < maxT * HD / 2; i++) { rope[2 * i] = rt.cos()[i]; rope[2 * i + 1] = rt.sin()[i]; }
            int nsMax = (maxT + SK - 1) / SK, actL = (4 * C + D + NH * nsMax * (HD + 2) + 3) / 4 * 4;
            float[] acts = new float[L * actL + C + V];
            rng.fillGaussian(acts, L * actL, C, 1.0);                    // x_in
            float[] xin = java.util.Arrays.copyOfRange(acts, L * actL, L * actL + C);
            cl_mem M = cl.upload(masks), Gb = cl.upload(g), KV = cl.upload(kv), R = cl.upload(rope), A = cl.upload(acts),
                    T = cl.upload(new int[L * NH + 2]), out = cl.upload(new int[1]);
            final int phases = 5 * L + 2, at = pos;
            long[] base = {0};
            Runnable persistent = () -> {
                cl.launch(step, (long) G * LS, LS, null, W, M, Gb, KV, R, A, T, out, at, 0, phases, (int) base[0], 1);
                base[0] += (long) (phases - 1) * G;
            };
            Runnable perPhase = () -> { for (int p = 0; p < phases; p++) cl.launch(step, (long) G * LS, LS, null, W, M, Gb, KV, R, A, T, out, at, p, p + 1, 0, 0); };
            long bytes = 2 * wAll + 4L * masks.length + 4L * 2 * L * (pos + 1) * C;
            double ceil = Ceilings.readGBps(be), floor = (2 * wAll + 4L * masks.length) / (ceil * 1e3);
            System.out.printf(Locale.ROOT, "%s, %d CUs: C %d, %d heads, d %d, nm %d, %d layers, V %d, pos %d; %d groups of %d; %.1f MB a step "
                    + "(W + masks %.1f MB); read ceiling %.1f GB/s, floor %.1f µs%n", cl.describe(), cl.computeUnits, C, NH, D, NM, L, V, pos, G, LS,
                    bytes / 1e6, (2 * wAll + 4L * masks.length) / 1e6, ceil, floor);
            if (profile) profilePhases(cl, perPhase, L);
            for (var mode : new Object[][] {{"persistent", persistent}, {"per phase", perPhase}}) {
                Runnable r = (Runnable) mode[1];
                double us = PersistentProbe.time(cl, r);
                int[] e = new int[2];
                cl.readInts(T, 4L * L * NH, e, 2);
                float[] logits = new float[V];
                cl.read(A, 4L * (L * actL + C), logits, V);
                int[] tok = new int[1];
                cl.readInts(out, 0, tok, 1);
                System.out.printf(Locale.ROOT, "%-10s %8.1f µs/step  %6.1f tok/s  %5.1f%% of the floor  %6.1f GB/s read%s; token %d%n", mode[0], us, 1e6 / us,
                        100 * floor / us, bytes / (us * 1e3), e[1] != 0 ? "  GRID BARRIER TIMED OUT" : "", tok[0]);
                if (e[1] != 0) cl.zero(T, 4L * (L * NH + 1), 4);
                if (check && mode[0].equals("persistent")) {
                    int[] w = new int[Math.toIntExact(wAll / 2)];              // fp16 pairs
                    cl.readInts(W, 0, w, w.length);
                    double[] ref = HostStep.logits(w, masks, g, kv, rt, xin, C, NH, D, NM, L, V, pos, maxT);
                    double worst = 0, scale = 0;
                    int arg = 0;
                    for (int j = 0; j < V; j++) {
                        worst = Math.max(worst, Math.abs(logits[j] - ref[j]));
                        scale = Math.max(scale, Math.abs(ref[j]));
                        if (ref[j] > ref[arg]) arg = j;
                    }
                    System.out.printf(Locale.ROOT, "check vs the host step in double: max |Δlogit| %.2e of max |logit| %.2e (%.1e); argmax host %d, device %d%n",
                            worst, scale, worst / scale, arg, tok[0]);
                }
            }
        }
    }

    /** µs per step of each phase kind (summed over layers), from the profiling events of 10 steps launched per phase. */
    private static void profilePhases(OpenClContext cl, Runnable perPhase, int L) {
        String[] kinds = {"qkv", "attention", "wo", "mglu up", "down", "head", "argmax"};
        double[] us = new double[kinds.length];
        cl.finish();
        cl.profile(true);
        for (int i = 0; i < 10; i++) perPhase.run();
        cl.finish();
        var launches = cl.profile(false);
        for (int i = 0; i < launches.size(); i++) {
            int p = i % (5 * L + 2);
            long[] se = launches.get(i).startEnd();
            us[p < 5 * L ? p % 5 : 5 + p - 5 * L] += (se[1] - se[0]) / 1e3 / 10;
        }
        OpenClContext.releaseEvents(launches);
        StringBuilder sb = new StringBuilder("per phase, device µs a step:");
        for (int k = 0; k < kinds.length; k++) sb.append(String.format(Locale.ROOT, " %s %.1f", kinds[k], us[k]));
        System.out.println(sb);
    }
}
