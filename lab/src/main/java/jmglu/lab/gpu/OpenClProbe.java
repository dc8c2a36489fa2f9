package jmglu.lab.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import jmglu.engine.Rng;
import jmglu.engine.WeightMatrix;
import jmglu.gpu.OpenClBench;
import jmglu.gpu.OpenClContext;
import jmglu.gpu.TcLayout;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * Kernel-research probe for device machines: times shapes of the tensor-core FlashMGLU kernel
 * (flash_tc.cl, fp16 W) and of the read-bandwidth kernel (stream.cl) on weight sets rotated past the
 * L2, checks each FlashMGLU shape against ReferenceMglu on sampled rows, and with --ptx writes each
 * program's binary (PTX on NVIDIA) to a folder for ptxas -v and cuobjdump -sass.
 * <pre>
 *   java -cp 'lib/*' jmglu.lab.gpu.OpenClProbe [--h 4096] [--d 14336] [--ptx DIR] VARIANT...
 *   VARIANT = stream:U:LS:GROUPS_PER_CU | tc:NM:B:WARPS:MAXREG:XPARTS:EMU[:PD]
 *   (NM 0 = GEMV; MAXREG 0 or -: the compiler's choice, else NVIDIA's -cl-nv-maxrregcount; EMU -: by platform;
 *    PD: prefetch distance, default 1)
 * </pre>
 * Each line: median ms of 40 launches after 5 warm-ups, GB/s of the bytes read, max_rel_err.
 */
public final class OpenClProbe {
    public static void main(String[] args) throws IOException {
        int h = 4096, d = 14336;
        Path ptx = null;
        List<String> variants = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--h" -> h = Integer.parseInt(args[++i]);
                case "--d" -> d = Integer.parseInt(args[++i]);
                case "--ptx" -> ptx = Path.of(args[++i]);
                default -> variants.add(args[i]);
            }
        }
        if (!TcLayout.fits(h)) throw new IllegalArgumentException("OpenClProbe: h must be a multiple of 32, got " + h);
        if (ptx != null) Files.createDirectories(ptx);
        try (OpenClBench b = new OpenClBench(OpenClContext.open())) {
            OpenClContext cl = b.cl;
            System.out.println(b.describe() + ", " + cl.computeUnits + " compute units");
            System.out.printf(Locale.ROOT, "copy bandwidth %.1f GB/s%n", b.copyGBps(false));
            Rng rng = new Rng(7);
            WeightMatrix w = OpenClBench.randomWeights(rng, DType.F16, d, h);
            float[] x = new float[8 * h];
            rng.fillGaussian(x, 0, x.length, 1.0);
            long wBytes = w.bytes();
            int sets = (int) Math.min(32, Math.max(2, (OpenClBench.ROTATE_BYTES * 3 / 2) / wBytes));
            cl_mem dx = cl.upload(x), dy = cl.alloc(4L * 8 * d), dout = cl.alloc(4L << 24);
            List<cl_mem> raw = copies(cl, cl.upload(w.seg()), sets), tcw = copies(cl, cl.upload(TcLayout.packW(w.tensor().toShorts(), d, h)), sets);
            Map<Integer, MaskPlanes> masks = new HashMap<>();
            Map<Integer, List<cl_mem>> tcm = new HashMap<>();
            String emuDefault = cl.ref.platformName().toUpperCase(Locale.ROOT).contains("NVIDIA") ? "0" : "1";
            for (String v : variants) {
                String[] f = v.split(":");
                try {
                    if (f[0].equals("stream")) {
                        int U = Integer.parseInt(f[1]), LS = Integer.parseInt(f[2]), gpc = Integer.parseInt(f[3]);
                        var k = cl.kernel("stream.cl", "-DU=" + U, "stream");
                        long n = wBytes / 16, global = (long) gpc * cl.computeUnits * LS;
                        double ms = time(cl, (s, ev) -> cl.launch(k, global, LS, ev, dout, raw.get(s), n), sets);
                        System.out.printf(Locale.ROOT, "%-28s %8.4f ms %8.1f GB/s read%n", v, ms, wBytes / (ms * 1e-3) / 1e9);
                        continue;
                    }
                    if (!f[0].equals("tc") || f.length < 7) throw new IllegalArgumentException("unknown variant (stream:U:LS:G, tc:NM:B:WARPS:MAXREG:XPARTS:EMU[:PD])");
                    int nm = Integer.parseInt(f[1]), B = Integer.parseInt(f[2]), ks = Integer.parseInt(f[3]), xs = Integer.parseInt(f[5]);
                    String emu = f[6].equals("-") ? emuDefault : f[6];
                    String opts = "-DWT=1 -DNM=" + nm + " -DBB=" + B + " -DKS=" + ks + " -DXS=" + xs + " -DEMU=" + emu
                            + " -DACT=0 -DMODE=" + (nm == 0 ? 2 : 0) + (f.length > 7 ? " -DPD=" + f[7] : "")
                            + (f[4].equals("-") || f[4].equals("0") ? "" : " -cl-nv-maxrregcount " + f[4]);
                    var k = cl.kernel("flash_tc.cl", opts, "flash_tc");
                    if (ptx != null) Files.write(ptx.resolve(v.replace(':', '_') + ".ptx"), cl.binary("flash_tc.cl", opts));
                    final int hh = h, dd = d;
                    MaskPlanes m = nm == 0 ? null : masks.computeIfAbsent(nm, q -> OpenClBench.randomMasks(new Rng(11 + q), q, dd, hh));
                    List<cl_mem> dm = nm == 0 ? tcw : tcm.computeIfAbsent(nm, q -> copies(cl, cl.upload(TcLayout.packMasks(m)), sets));
                    long groups = TcLayout.blocks(d), LS = 32L * ks;
                    var red = new OpenClContext.Local(4L * Math.max(1, ks - 1) * ((B * xs + 7) / 8) * (nm + 1) * 4 * 32);
                    double ms = time(cl, (s, ev) -> cl.launch(k, groups * LS, LS, ev, dy, dy, dx, tcw.get(s), dm.get(s), hh, dd, red), sets);
                    float[] y = new float[B * d];
                    cl.launch(k, groups * LS, LS, null, dy, dy, dx, tcw.get(0), dm.get(0), h, d, red);
                    cl.read(dy, y, B * d);
                    double err = nm == 0 ? gemvError(y, x, w, B) : OpenClBench.sampledError("flashmglu", y, x, w, null, m, B);
                    long bytes = wBytes + (nm == 0 ? 0 : m.bytes());
                    System.out.printf(Locale.ROOT, "%-28s %8.4f ms %8.1f GB/s  err %.1e%n", v, ms, bytes / (ms * 1e-3) / 1e9, err);
                } catch (RuntimeException e) {
                    System.out.println(v + " FAILED: " + String.valueOf(e.getMessage()).lines().limit(30).reduce("", (a, c) -> a + "\n  " + c));
                }
            }
        }
    }

    /** first and sets − 1 device copies of it. */
    private static List<cl_mem> copies(OpenClContext cl, cl_mem first, int sets) {
        List<cl_mem> l = new ArrayList<>(List.of(first));
        for (int s = 1; s < sets; s++) l.add(cl.duplicate(first));
        return l;
    }

    interface Launch { void run(int set, cl_event ev); }

    /** Median ms of 40 launches after 5 warm-ups, set (i mod sets) in turn. */
    static double time(OpenClContext cl, Launch l, int sets) {
        double[] t = new double[40];
        for (int i = -5; i < t.length; i++) {
            cl_event ev = new cl_event();
            l.run(Math.floorMod(i, sets), ev);
            cl.finish();
            if (i >= 0) t[i] = OpenClContext.elapsedMs(ev);
            org.jocl.CL.clReleaseEvent(ev);
        }
        return OpenClBench.median(t);
    }

    /** max |y − x·w| / Σ|x·w| over 16 rows of batch row 0. */
    private static double gemvError(float[] y, float[] x, WeightMatrix w, int B) {
        int d = w.rows(), h = w.cols();
        double worst = 0;
        for (int r = 0; r < d; r += Math.max(1, d / 16)) {
            double e = 0, scale = 0;
            for (int c = 0; c < h; c++) { double p = x[c] * (double) w.get(r, c); e += p; scale += Math.abs(p); }
            worst = Math.max(worst, Math.abs(y[r] - e) / Math.max(scale, 1e-30));
        }
        return worst;
    }
}
