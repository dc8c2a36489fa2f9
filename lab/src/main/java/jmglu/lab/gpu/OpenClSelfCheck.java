package jmglu.lab.gpu;

import java.util.Arrays;
import jmglu.engine.Act;
import jmglu.engine.Backend;
import jmglu.engine.DType;
import jmglu.engine.HostBackend;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;
import jmglu.engine.WeightMatrix;
import jmglu.gpu.OpenClBackend;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.OpenClMglu;
import jmglu.gpu.OpenClSettings;
import org.jocl.cl_mem;

/**
 * The unit tests' comparisons as a main, for device machines without Maven (the NVIDIA-only
 * warp-shuffle and tensor-core kernels never run under PoCL):
 * <ol>
 *   <li>gemv (plain and accumulating) / mgluScores / FlashMGLU through {@link OpenClMglu} against
 *       ReferenceKernels / ReferenceMglu on awkward sizes, every dtype, B = 1, 3, 16, nm = 1..16, under
 *       three row-kernel shapes, then the fast kernel under every shape the tuner may keep;</li>
 *   <li>every decode op of {@link OpenClBackend} against HostBackend(ReferenceKernels) on a few shapes
 *       (GQA, batches past one 16-row launch, model-sized FlashMGLU), and six steps of a decode-like
 *       sequence of ops with KV caches.</li>
 * </ol>
 * Settings from the jmglu.opencl.* properties. Tolerance |a − e| ≤ abs + rel·|e|. Prints one line per
 * part; exits 1 on the first failure. Arguments (optional): the dtypes to check (F32 BF16 F16), default all; "backend":
 * only part 2 (the backend's ops).
 * <pre>  java -cp 'lib/*' jmglu.lab.gpu.OpenClSelfCheck [F16 ...] [backend | fuse]</pre>
 */
public final class OpenClSelfCheck {
    static int checks;

    public static void main(String[] args) {
        DType[] dtypes = Arrays.stream(DType.floats()).filter(t -> args.length == 0 || Arrays.asList(args).contains(t.name())).toArray(DType[]::new);
        OpenClSettings base = OpenClSettings.fromSystemProperties();
        boolean fuseOnly = Arrays.asList(args).contains("fuse");        // only OpenClFuseCheck (the fused lm head argmax, the embedding)
        try (OpenClContext cl = OpenClContext.open()) {
            System.out.println("self-check on " + cl.describe() + "; " + base.describe());
            if (!Arrays.asList(args).contains("backend") && !fuseOnly) kernels(cl, base, dtypes);
        }
        try (OpenClBackend gpu = new OpenClBackend(OpenClContext.open(), base)) {
            if (!fuseOnly) OpenClBackendCheck.run(gpu, dtypes);
            int before = checks;
            for (DType dt : dtypes) if (dt != DType.F32) OpenClFuseCheck.run(gpu, dt);
            System.out.println("fused head argmax and embedding: " + (checks - before) + " comparisons passed");
        }
        System.out.println("self-check passed (" + checks + " comparisons)");
    }

    private static void kernels(OpenClContext cl, OpenClSettings base, DType[] dtypes) {
        Rng rng = new Rng(7);
        int[][] cases = {{67, 33, 1, 1}, {129, 17, 3, 3}, {31, 7, 16, 8}, {100, 31, 1, 16}, {257, 65, 3, 8}, {4096, 70, 8, 4}, {64, 19, 3, 2},
                {200, 9, 1, 4}, {512, 33, 16, 16}, {512, 33, 8, 16}, {256, 40, 5, 16}};   // the last two: tensor cores at nm = 16, B > 4
        for (int[] tu : new int[][] {{128, 4, 1}, {32, 2, 4}, {64, 4, 2}}) {            // {LS, R, U}
            var xl = tu[0] == 128 ? OpenClSettings.Switch.ON : OpenClSettings.Switch.OFF;
            OpenClMglu mglu = new OpenClMglu(cl, base.withRowKernel(tu[0], tu[1], tu[2], xl));
            for (DType dt : dtypes)
                for (int[] c : cases) {
                    String what = "LS=" + tu[0] + " R=" + tu[1] + " U=" + tu[2] + " xlocal=" + xl;
                    flashScoresGemv(cl, mglu, rng, dt, c[0], c[1], c[2], c[3], Act.values()[checks % 3], true, what);
                }
            mglu.release();
        }
        // the fast kernel under every shape the tuner may keep, SMEAR on and off; d = 9000 and 5000 make the
        // persistent shapes loop over several row tasks per group
        int[][] fastCases = {{4096, 37, 8, 4}, {4096, 33, 1, 8}, {2056, 19, 3, 2}, {256, 9000, 1, 4}, {264, 5000, 8, 2}};
        int fc = 0;
        for (int[] fs : OpenClBenchMain.FAST_SHAPES)
            for (int[] c : fastCases) {
                var smear = fc++ % 2 == 0 ? OpenClSettings.Switch.OFF : OpenClSettings.Switch.ON;   // over the shapes, each case meets both
                OpenClMglu mglu = new OpenClMglu(cl, OpenClBenchMain.fastShape(base.withFast(true), fs).withSmear(smear)
                        .withFastRange(OpenClMglu.MAX_BATCH, 0, 0));
                DType dt = dtypes[fc % dtypes.length];
                flashScoresGemv(cl, mglu, rng, dt, c[0], c[1], c[2], c[3], Act.values()[fc % 3], false,
                        "fast LS=" + fs[0] + " R=" + fs[1] + " CPL=" + fs[2] + " persist=" + fs[3] + " smear=" + smear);
                if (mglu.refusedPaths().contains("fast")) fail("the fast kernel did not build");
                mglu.release();
            }
        System.out.println("kernels: " + checks + " comparisons passed");
    }

    /** FlashMGLU and the scores (and with gemv, a plain and an accumulating GEMV) of one case against the reference. */
    private static void flashScoresGemv(OpenClContext cl, OpenClMglu mglu, Rng rng, DType dt, int h, int d, int B, int nm, Act g,
                                        boolean gemv, String tuning) {
        String what = tuning + " " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
        WeightMatrix w = WeightMatrix.of(dt, gauss(rng, d * h, 1), d, h);
        MaskPlanes m = MaskPacker.pack(gauss(rng, nm * d * h, 1), nm, d, h);
        float[] x = gauss(rng, B * h, 1), y0 = gauss(rng, B * d, 1);
        var dw = OpenClMglu.DeviceMatrix.upload(cl, w, mglu.tensorCores());
        var dm = OpenClMglu.DeviceMasks.upload(cl, m, mglu.tensorCores());
        cl_mem dx = cl.upload(x), dy = cl.upload(nan(B * d)), ds = cl.upload(nan(nm * B * d));
        try {
            double abs = 8e-5 * Math.sqrt(h);
            // a tensor-core launch over fp16 W past 4 rows may feed x as one fp16 part (OpenClSettings.xParts): then the
            // answer is the reference over x rounded to fp16 (xr), else over x
            // er, tr, sr: those references, or null
            float[] xr = roundsX(mglu.settings(), dt, B) ? halves(x) : null;
            float[] e = new float[B * d], t = new float[B * d], s = new float[nm * B * d], a = new float[B * d], a2 = new float[nm * B * d];
            float[] er = null, tr = null, sr = null;
            ReferenceMglu.flash(e, x, w, m, B, g);
            ReferenceMglu.scores(t, s, x, w, m, B);
            if (xr != null) {
                ReferenceMglu.flash(er = new float[B * d], xr, w, m, B, g);
                ReferenceMglu.scores(tr = new float[B * d], sr = new float[nm * B * d], xr, w, m, B);
            }
            mglu.rows(OpenClMglu.FLASH, dy, null, dx, dw, null, dm, B, g, null);
            cl.read(dy, a, a.length);
            close(e, er, a, abs * nm * Math.sqrt(h), 1e-4, "flashMglu " + what);
            mglu.rows(OpenClMglu.SCORES, dy, ds, dx, dw, null, dm, B, g, null);
            cl.read(dy, a, a.length);
            cl.read(ds, a2, a2.length);
            close(t, tr, a, abs, 1e-4, "mgluScores t " + what);
            close(s, sr, a2, abs, 1e-4, "mgluScores s " + what);
            if (!gemv) return;
            mglu.gemv(dy, dx, dw, B, false, null);
            cl.read(dy, a, a.length);
            close(t, tr, a, abs, 1e-4, "gemv " + what);
            cl.write(dy, y0, y0.length);
            mglu.gemv(dy, dx, dw, B, true, null);
            cl.read(dy, a, a.length);
            for (int i = 0; i < t.length; i++) {
                t[i] += y0[i];
                if (tr != null) tr[i] += y0[i];
            }
            close(t, tr, a, abs, 1e-4, "gemv acc " + what);
        } finally {
            dw.release();
            dm.release();
            OpenClContext.release(dx, dy, ds);
        }
    }

    static float[] gauss(Rng rng, int n, double std) { float[] a = new float[n]; rng.fillGaussian(a, 0, n, std); return a; }

    static float[] nan(int n) { float[] a = new float[n]; Arrays.fill(a, Float.NaN); return a; }

    /** x rounded to fp16 (to nearest, ties to even) and back. */
    static float[] halves(float[] x) { return Tensor.of(x, x.length).to(DType.F16).to(DType.F32).toArray(); }

    /**
     * {@link #close(float[], float[], double, double, String)} against e, widened where er is given (the reference over x
     * rounded to fp16, what a launch feeding the tensor cores one fp16 part of x computes: OpenClSettings.xParts) by twice
     * the two references' distance, element by element: a normed x is rounded after its norm weight and before 1/rms, and
     * a batch split into launches may round some rows and not others.
     */
    static void close(float[] e, float[] er, float[] a, double abs, double rel, String what) {
        if (er == null) {
            close(e, a, abs, rel, what);
            return;
        }
        checks++;
        for (int i = 0; i < e.length; i++)
            if (!(Math.abs(a[i] - e[i]) <= abs + rel * Math.abs(e[i]) + 2 * Math.abs(e[i] - er[i])))
                fail(what + ": element " + i + " is " + a[i] + ", expected " + e[i] + " (over x rounded to fp16 " + er[i] + "; abs " + abs
                        + " + rel " + rel + " + 2·the distance)");
    }

    /** Whether the backend may feed a batch of B rows over dt W to the tensor cores as one fp16 part of x (OpenClSettings.xParts's rule). */
    static boolean roundsX(OpenClSettings s, DType dt, int B) { return s.xParts(B, dt) == 1; }

    static void close(float[] e, float[] a, double abs, double rel, String what) {
        checks++;
        for (int i = 0; i < e.length; i++)
            if (!(Math.abs(a[i] - e[i]) <= abs + rel * Math.abs(e[i])))
                fail(what + ": element " + i + " is " + a[i] + ", expected " + e[i] + " (abs " + abs + " + rel " + rel + ")");
    }

    static void fail(String why) {
        System.out.println("FAIL " + why);
        System.exit(1);
    }

    /** x on be as a new host array. */
    static float[] read(Backend be, Tensor t) { float[] a = new float[t.size()]; be.read(t, a); return a; }

    static final HostBackend REF = new HostBackend(new ReferenceKernels(), "ref");
}
