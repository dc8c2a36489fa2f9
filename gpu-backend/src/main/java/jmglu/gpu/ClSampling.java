package jmglu.gpu;

import static jmglu.gpu.OpenClBackend.elems;

import jmglu.engine.Sampling;
import jmglu.engine.Tensor;
import org.jocl.cl_mem;

/**
 * {@link OpenClBackend#sample}: temperature and top-k sampling on the device (sample.cl, a work-group per row), so a
 * decode step reads back B ints instead of B·V floats. Launches of up to 16 rows: their uniforms are one int16 kernel
 * argument (float bits), so nothing is written to the device per call. Greedy settings (T = 0 or k = 1) go to argmax.
 */
final class ClSampling {
    private static final int CHUNK = 16, LS = 256;
    private final OpenClBackend be;
    private final OpenClContext cl;

    ClSampling(OpenClBackend be) {
        this.be = be;
        this.cl = be.cl;
    }

    void sample(int[] out, Tensor logits, float t, int k, double[] u) {
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        if (out.length < B) throw new IllegalArgumentException("sample: " + B + " rows of logits, out has " + out.length);
        cl_mem ids = be.scratch.slot(ClScratch.IDS, 4L * B);
        sample(ids, logits, t, k, u);
        cl.readInts(ids, 0, out, B);
    }

    /** The same draws into ids[0, B) of a device buffer, nothing read back. */
    void sample(cl_mem ids, Tensor logits, float t, int k, double[] u) {
        Sampling.check(t, k);
        int V = logits.dim(logits.rank() - 1), B = logits.size() / V;
        if (u.length < B) throw new IllegalArgumentException("sample: " + B + " rows of logits, u has " + u.length);
        if (t == 0f || k == 1) {
            be.decode().argmax(ids, logits);
            return;
        }
        ClBuffer lb = be.f32(logits, "sample", "logits", (long) B * V);
        for (int b0 = 0; b0 < B; b0 += CHUNK) {
            int n = Math.min(CHUNK, B - b0);
            int[] bits = new int[16];
            for (int b = 0; b < n; b++) {
                if (!(u[b0 + b] >= 0 && u[b0 + b] < 1)) throw new IllegalArgumentException("sample: u[" + (b0 + b) + "] = " + u[b0 + b] + " is not in [0, 1)");
                bits[b] = Float.floatToIntBits(Math.min((float) u[b0 + b], Math.nextDown(1f)));   // (float) may round up to 1
            }
            cl.launch(cl.kernel("sample.cl", "", "sample_rows"), (long) n * LS, LS, null, ids, b0, lb.mem(), elems(logits) + b0 * V, V, t, k, bits);
        }
    }
}
