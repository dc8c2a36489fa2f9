package jmglu.lab.gpu;

import java.nio.file.Path;
import java.util.Locale;
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
 * The host's side of decode steps alone, for a Java profiler (JFR): R rounds of G steps enqueued behind a user event
 * (the device held), then released and drained (not timed). Prints the host µs a step (enqueue only). Positions repeat
 * each round (the caches are overwritten, the work per step is the same).
 * <pre>
 *   java -XX:StartFlightRecording=filename=h.jfr,jdk.ExecutionSample#period=1ms -cp 'lib/*' jmglu.lab.gpu.HostEnqueueLoop MODEL_DIR [rounds] [G]
 * </pre>
 */
public final class HostEnqueueLoop {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int R = args.length > 1 ? Integer.parseInt(args[1]) : 200, G = args.length > 2 ? Integer.parseInt(args[2]) : 16, P = 32;
        try (Backend be = Backends.open("opencl"); Checkpoint.Loaded l = Checkpoint.load(dir)) {
            OpenClContext cl = ((OpenClBackend) be).context();
            Config c = l.config();
            var t = l.packed() ? l.tensors() : Transformer.forTraining(c, l.tensors()).pack(jmglu.engine.DType.F16);
            Transformer tf = Transformer.forInference(c, t, be);
            try (DecodeState s = tf.newState(1, P + G + 1)) {
                int[] toks = new int[P], tok = {1}, pos = new int[1];
                for (int p = 0; p < P; p++) toks[p] = (31 * p + 1) % c.vocab();
                tf.prefill(s, 0, toks, 0);
                long[] dts = new long[R - R / 2];
                for (int r = 0; r < R; r++) {
                    cl.finish();
                    var q = cl.queue(false);
                    org.jocl.cl_event gate = org.jocl.CL.clCreateUserEvent(cl.context, null);
                    org.jocl.CL.clEnqueueMarkerWithWaitList(q, 1, new org.jocl.cl_event[] {gate}, null);
                    long t0 = System.nanoTime();
                    for (int n = 0; n < G; n++) {
                        pos[0] = P + n;
                        tf.decodeAhead(s, tok, 0, pos, 0f, 1, null);          // a greedy step, nothing read back
                    }
                    long dt = System.nanoTime() - t0;
                    org.jocl.CL.clSetUserEventStatus(gate, org.jocl.CL.CL_COMPLETE);
                    cl.finish();
                    org.jocl.CL.clReleaseEvent(gate);
                    if (r >= R / 2) dts[r - R / 2] = dt;
                }
                java.util.Arrays.sort(dts);
                System.out.printf(Locale.ROOT, "host enqueue, device held, µs a step over the last %d rounds: median %.1f, best %.1f, mean %.1f%n",
                        dts.length, dts[dts.length / 2] * 1e-3 / G, dts[0] * 1e-3 / G, java.util.Arrays.stream(dts).average().orElse(0) * 1e-3 / G);
            }
        }
    }
}
