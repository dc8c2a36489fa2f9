package jmglu.gpu;

import java.util.ArrayList;
import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPacker;
import jmglu.engine.MaskPlanes;
import jmglu.engine.ReferenceKernels;
import jmglu.engine.ReferenceMglu;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.engine.decode.Decoder;
import jmglu.engine.decode.DecoderWeights;
import jmglu.engine.decode.KernelsDecoder;

/**
 * The unit tests' comparisons as a main, for device machines without Maven (the NVIDIA-only
 * warp-shuffle kernels never run under PoCL): gemv / mgluScores / FlashMGLU against
 * ReferenceKernels / ReferenceMglu on awkward sizes, every dtype, B = 1, 3, 16, nm = 1, 3, 8, 16,
 * and the OpenCL decoder against KernelsDecoder(ReferenceKernels) at every position.
 * Tolerance |a − e| ≤ abs + rel·|e|. Prints one line per check; exits 1 on the first failure.
 * Arguments (optional): the dtypes to check (F32 BF16 F16), default all.
 */
public final class OpenClSelfCheck {
    public static void main(String[] args) {
        int checks = 0;
        try (OpenClKernels k = new OpenClKernels(OpenClContext.open())) {
            System.out.println("self-check on " + k.describe());
            Rng rng = new Rng(7);
            int[][] cases = {{67, 33, 1, 1}, {129, 17, 3, 3}, {31, 7, 16, 8}, {100, 31, 1, 16}, {257, 65, 3, 8}, {4096, 70, 8, 4}, {64, 19, 3, 2}, {200, 9, 1, 4}, {512, 33, 16, 16},
                    {512, 33, 8, 16}, {256, 40, 5, 16}}; // the last two: tensor cores (NVIDIA) at nm = 16, B > 4 (fewer warps per row block)
            Act[] acts = Act.values();
            int[][] tunings = {{128, 4, 1}, {32, 2, 4}, {64, 4, 2}};          // {LS, R, U}
            for (int[] tu : tunings)
            for (DType dt : DType.floats()) {
                if (args.length > 0 && !java.util.Arrays.asList(args).contains(dt.name())) continue;
                for (int[] c : cases) {
                    int h = c[0], d = c[1], B = c[2], nm = c[3];
                    Act g = acts[checks % 3];
                    WeightMatrix w = WeightMatrix.of(dt, gauss(rng, d * h, 1), d, h);
                    MaskPlanes m = MaskPacker.pack(masks(rng, nm * d * h), nm, d, h);
                    float[] x = gauss(rng, B * h, 1);
                    k.mglu().ls = tu[0];
                    k.mglu().rowsPerGroup = tu[1];
                    k.mglu().unroll = tu[2];
                    k.mglu().xlocal = tu[0] == 128 ? "on" : "off";
                    String what = "LS=" + tu[0] + " R=" + tu[1] + " U=" + tu[2] + " xlocal=" + k.mglu().xlocal + " " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
                    float[] t = flashAndScores(k, x, w, m, B, g, what);
                    float[] y2 = nan(B * d);
                    k.gemv(y2, x, w, B);
                    close(t, y2, 8e-5 * Math.sqrt(h), 1e-4, "gemv " + what);
                    checks += 4;
                }
            }
            // the fast path (mglu_fast.cl) under every shape the tuner may keep, SMEAR on and off;
            // d = 9000 and 5000 make the persistent shapes loop over several row tasks per group
            int[][] fastCases = {{4096, 37, 8, 4}, {4096, 33, 1, 8}, {2056, 19, 3, 2}, {256, 9000, 1, 4}, {264, 5000, 8, 2}};
            int fc = 0, minNm = k.mglu().fastMinNm;
            String smear0 = k.mglu().smear;
            int[] shape0 = {k.mglu().fastLs, k.mglu().fastR, k.mglu().fastCpl, k.mglu().persist};
            int minNmB = k.mglu().fastMinNmBatch;
            k.mglu().fastMinNm = 0;                                   // the fast path at every nm here
            k.mglu().fastMinNmBatch = 0;
            for (int[] fs : OpenClBenchMain.FAST_SHAPES)
                for (int[] c : fastCases) {
                        String sm = fc++ % 2 == 0 ? "off" : "on";     // over the shapes, each case meets both
                        int h = c[0], d = c[1], B = c[2], nm = c[3];
                        DType dt = checks % 5 == 0 ? DType.BF16 : checks % 7 == 0 ? DType.F32 : DType.F16;
                        Act g = acts[fc % 3];
                        WeightMatrix w = WeightMatrix.of(dt, gauss(rng, d * h, 1), d, h);
                        MaskPlanes m = MaskPacker.pack(masks(rng, nm * d * h), nm, d, h);
                        float[] x = gauss(rng, B * h, 1);
                        OpenClBenchMain.fastShape(k.mglu(), fs);
                        k.mglu().smear = sm;
                        String what = "fast LS=" + fs[0] + " R=" + fs[1] + " CPL=" + fs[2] + " persist=" + fs[3] + " smear=" + sm
                                + " " + dt + " " + g + " h=" + h + " d=" + d + " B=" + B + " nm=" + nm;
                        flashAndScores(k, x, w, m, B, g, what);
                        checks += 3;
                }
            k.mglu().smear = smear0;
            k.mglu().fastMinNm = minNm;
            k.mglu().fastMinNmBatch = minNmB;
            OpenClBenchMain.fastShape(k.mglu(), shape0);
            if (!"on".equals(k.mglu().fast)) { System.out.println("FAIL: the fast kernel did not build"); System.exit(1); }
            System.out.println("kernels: " + checks + " comparisons passed");
        }
        String[][] models = {{"mglu", "SILU", "F16", "3"}, {"mglu", "GELU", "BF16", "8"}, {"swiglu", "SILU", "F32", "0"}, {"gelu", "GELU", "F16", "0"}};
        for (String[] md : models) {
            DecoderWeights w = model(11, md[0], Act.valueOf(md[1]), DType.valueOf(md[2]), Integer.parseInt(md[3]));
            int maxSeq = 9;
            Decoder ref = new KernelsDecoder(new ReferenceKernels(), w, maxSeq);
            try (Decoder gpu = new OpenClDecoderProvider().open(w, maxSeq)) {
                for (int p = 0; p < maxSeq; p++)
                    close(ref.forward((p * 7) % w.vocab(), p), gpu.forward((p * 7) % w.vocab(), p), 2e-3, 2e-3,
                            "decoder " + String.join(" ", md) + " logits at position " + p);
            }
            System.out.println("decoder " + String.join(" ", md) + ": logits agree at all " + maxSeq + " positions");
        }
        System.out.println("self-check passed");
    }

    static DecoderWeights model(long seed, String ffn, Act act, DType dt, int nm) {
        Rng rng = new Rng(seed);
        int vocab = 37, dim = 48, nH = 3, hidden = 70, nL = 2;
        List<DecoderWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < nL; l++)
            layers.add(new DecoderWeights.Layer(uniform(rng, dim), mat(rng, dt, dim, dim), mat(rng, dt, dim, dim), mat(rng, dt, dim, dim),
                    mat(rng, dt, dim, dim), uniform(rng, dim), mat(rng, dt, hidden, dim),
                    ffn.equals("swiglu") ? mat(rng, dt, hidden, dim) : null, mat(rng, dt, dim, hidden),
                    ffn.equals("mglu") ? MaskPacker.pack(masks(rng, nm * hidden * dim), nm, hidden, dim) : null, null));
        return new DecoderWeights(vocab, dim, nL, nH, hidden, 10000f, 1e-5f, ffn, act, nm, 0,
                gauss(rng, vocab * dim, 1), mat(rng, dt, vocab, dim), uniform(rng, dim), layers);
    }

    static WeightMatrix mat(Rng rng, DType dt, int rows, int cols) {
        return WeightMatrix.of(dt, gauss(rng, rows * cols, 1 / Math.sqrt(cols)), rows, cols);
    }

    static float[] gauss(Rng rng, int n, double std) { float[] a = new float[n]; rng.fillGaussian(a, 0, n, std); return a; }

    static float[] uniform(Rng rng, int n) { float[] a = new float[n]; rng.fillUniform(a, 0, n, 0.5, 1.5); return a; }

    static float[] masks(Rng rng, int n) {
        float[] m = new float[n];
        for (int i = 0; i < n; i++) m[i] = rng.nextDouble() < 0.5 ? 1f : 0f;
        return m;
    }

    /**
     * flashMglu and mgluScores on the device against ReferenceMglu (abs 8e-5·√h, ×nm·√h for y;
     * rel 1e-4); returns the reference t for further checks.
     */
    static float[] flashAndScores(OpenClKernels k, float[] x, WeightMatrix w, MaskPlanes m, int B, Act g, String what) {
        int h = w.cols(), d = w.rows(), nm = m.nm();
        double abs = 8e-5 * Math.sqrt(h);
        float[] e = new float[B * d], a = nan(B * d);
        ReferenceMglu.flash(e, x, w, m, B, g);
        k.flashMglu(a, x, w, m, B, g);
        close(e, a, abs * nm * Math.sqrt(h), 1e-4, "flashMglu " + what);
        float[] t = new float[B * d], s = new float[nm * B * d], t2 = nan(B * d), s2 = nan(nm * B * d);
        ReferenceMglu.scores(t, s, x, w, m, B);
        k.mgluScores(t2, s2, x, w, m, B);
        close(t, t2, abs, 1e-4, "mgluScores t " + what);
        close(s, s2, abs, 1e-4, "mgluScores s " + what);
        return t;
    }

    static float[] nan(int n) { float[] a = new float[n]; java.util.Arrays.fill(a, Float.NaN); return a; }

    static void close(float[] e, float[] a, double abs, double rel, String what) {
        for (int i = 0; i < e.length; i++)
            if (!(Math.abs(a[i] - e[i]) <= abs + rel * Math.abs(e[i]))) {
                System.out.println("FAIL " + what + ": element " + i + " is " + a[i] + ", expected " + e[i] + " (abs " + abs + " + rel " + rel + ")");
                System.exit(1);
            }
    }
}
