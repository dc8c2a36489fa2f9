package jmglu.gpu;

import jmglu.engine.Act;
import jmglu.engine.DType;
import jmglu.engine.MaskPlanes;
import org.jocl.cl_mem;

/**
 * The launcher of gemm_tc.cl: linear, glu and FlashMGLU over many rows of x at once (a prefill), as
 * tensor-core GEMMs (NVIDIA mma.sync; elsewhere the emulated mma, for tests). One launch per op over
 * all B rows: a grid of W row blocks × batch tiles, the batch tiles of one W block consecutive, so W
 * is read from memory about once and every weight feeds a whole tile of rows (the row kernels of
 * {@link OpenClMglu} re-read W for every 16 rows). Before it, split_x turns x (B, h) f32 into its
 * {@link OpenClSettings#gemmParts()} 16-bit parts (B padded to the batch tile, h to 32).
 *
 * <p>W is read row-major as the backend holds it (no tile copy; masks as their bit-planes), so
 * taking this path holds no more weight copies than before. Applies to 16-bit W with h % 8 == 0 and
 * B &gt; {@link #MIN_ROWS} rows (at most 8 rows the B ≤ 8 kernels read W once already), when
 * -Djmglu.opencl.gemm (auto, on, off; AUTO: where the tensor-core path is on, i.e. on NVIDIA, or
 * forced by the settings' tc) allows. Top-K routed MGLU stays on the row kernels.
 */
final class ClGemm {
    /** Batches of more rows than this take the GEMM. */
    static final int MIN_ROWS = 8;
    static final int LINEAR = 0, GLU = 1, FLASH = 2;

    /**
     * The tile of a launch: a warp owns mt m-tiles (16 W rows) × nt n-tiles (8 x rows), a work-group wm × wn
     * warps. Accumulators per lane: mt·nt·NV·4 floats (NV = 1 linear, 2 glu, nm + 1 FlashMGLU).
     */
    record Shape(int mt, int nt, int wm, int wn) {
        Shape {
            if (mt < 1 || nt < 1 || wm < 1 || wn < 1 || wm * wn > 8)
                throw new IllegalArgumentException("gemm shape " + mt + "x" + nt + " tiles, " + wm + "x" + wn + " warps");
        }
        int rowsPerGroup() { return 16 * mt * wm; }
        int batchPerGroup() { return 8 * nt * wn; }

        /** "mt,nt,wm,wn". */
        static Shape parse(String s) {
            String[] p = s.split(",");
            if (p.length != 4) throw new IllegalArgumentException("gemm shape '" + s + "': expected mt,nt,wm,wn");
            return new Shape(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim()), Integer.parseInt(p[3].trim()));
        }
    }

    private final OpenClContext cl;
    private final OpenClMglu mglu;
    private final OpenClSettings.Switch on;
    /** -Djmglu.opencl.gemmshape.{linear,glu,flash} = mt,nt,wm,wn overrides {@link #shape}. */
    private final Shape[] forced = new Shape[3];
    private final cl_mem dummy;
    private cl_mem xs;
    private long xsBytes;
    private volatile boolean refused;

    ClGemm(OpenClContext cl, OpenClMglu mglu) {
        this(cl, mglu, OpenClSettings.Switch.parse("jmglu.opencl.gemm", System.getProperty("jmglu.opencl.gemm", "auto")));
    }

    ClGemm(OpenClContext cl, OpenClMglu mglu, OpenClSettings.Switch on) {
        this.cl = cl;
        this.mglu = mglu;
        this.on = on;
        String[] names = {"linear", "glu", "flash"};
        for (int i = 0; i < 3; i++) {
            String v = System.getProperty("jmglu.opencl.gemmshape." + names[i]);
            if (v != null) forced[i] = Shape.parse(v);
        }
        this.dummy = cl.alloc(64);
    }

    void release() { OpenClContext.release(dummy, xs); }

    /** Whether an op over B rows of a W of this type and width takes the GEMM. */
    boolean applies(DType dt, int h, int B) {
        return B > MIN_ROWS && dt != DType.F32 && h % 8 == 0 && !refused && on.resolve(mglu.tensorCores());
    }

    /**
     * The default tile of a mode for d rows of W and B rows of x: the first of the mode's list (m-tiles × n-tiles a
     * warp; linear 4 × 4, 2 × 4, 2 × 2, 1 × 2, 1 × 1; glu from 2 × 2; FlashMGLU 1 × 4, 1 × 2, 1 × 1) whose accumulators
     * fit in 96 floats a lane, then smaller ones while the grid has fewer than four groups of 2 × 2 warps per compute
     * unit. H200, lab/gpu/prefill-run1, B = 512, ms: FlashMGLU nm = 4, d = 8192, h = 2048: 2 × 2 0.678, 1 × 4 0.551;
     * glu d = 8192: 2 × 4 0.323, 2 × 2 0.280; linear d = 2048, h = 8192: 2 × 2 0.343, 1 × 2 0.269 (more groups in flight).
     */
    Shape shape(int mode, int nm, int d, int B) {
        if (forced[mode] != null) return forced[mode];
        int nv = mode == LINEAR ? 1 : mode == GLU ? 2 : nm + 1;
        int[][] tiles = switch (mode) {
            case LINEAR -> new int[][] {{4, 4}, {2, 4}, {2, 2}, {1, 2}, {1, 1}};
            case GLU -> new int[][] {{2, 2}, {1, 2}, {1, 1}};
            default -> new int[][] {{1, 4}, {1, 2}, {1, 1}};
        };
        int i = 0;
        while (i < tiles.length - 1 && tiles[i][0] * tiles[i][1] * nv * 4 > 96) i++;
        while (i < tiles.length - 1 && groups(new Shape(tiles[i][0], tiles[i][1], 2, 2), d, B) < 4 * Math.max(1, cl.computeUnits)) i++;
        return new Shape(tiles[i][0], tiles[i][1], 2, 2);
    }

    private static long groups(Shape sh, int d, int B) {
        return (long) ((d + sh.rowsPerGroup() - 1) / sh.rowsPerGroup()) * ((B + sh.batchPerGroup() - 1) / sh.batchPerGroup());
    }

    /** y (B, d) = x (B, h) Wᵀ, or y += that when acc; W (d, h) 16-bit from byte 0 of w. */
    boolean linear(cl_mem y, cl_mem x, DType dt, cl_mem w, int d, int h, int B, boolean acc) {
        return run(LINEAR, y, x, dt, w, null, null, 0, d, h, B, acc, Act.SILU, shape(LINEAR, 0, d, B));
    }

    /** y = g(x Wgᵀ) ⊙ (x Wvᵀ); Wg and Wv (d, h) of one 16-bit type. */
    boolean glu(cl_mem y, cl_mem x, DType dt, cl_mem wg, cl_mem wv, int d, int h, int B, Act g) {
        return run(GLU, y, x, dt, wg, wv, null, 0, d, h, B, false, g, shape(GLU, 0, d, B));
    }

    /** FlashMGLU y = Σ_i g(s_i) ⊙ (t − s_i); masks the (d, nm, ⌈h/32⌉) bit-planes from byte 0 of masks. */
    boolean flash(cl_mem y, cl_mem x, DType dt, cl_mem w, cl_mem masks, int nm, int d, int h, int B, Act g) {
        return run(FLASH, y, x, dt, w, null, masks, nm, d, h, B, false, g, shape(FLASH, nm, d, B));
    }

    /**
     * One op: split_x, then gemm_tc. Returns false (nothing launched) when the device's compiler refuses the
     * program (logged once; the GEMM stays off for this launcher and the caller runs the row kernels).
     */
    boolean run(int mode, cl_mem y, cl_mem x, DType dt, cl_mem w, cl_mem w2, cl_mem masks, int nm, int d, int h, int B,
                boolean acc, Act g, Shape sh) {
        if (dt == DType.F32 || h % 8 != 0 || B < 1) throw new IllegalArgumentException("gemm: W must be 16-bit with h % 8 == 0, got " + dt + " h=" + h);
        if (mode == FLASH) MaskPlanes.checkNm(nm, "flashMglu");
        boolean emu = !mglu.nvidia();
        int xsParts = mglu.settings().gemmParts(), hp = (h + 31) / 32 * 32, bpg = sh.batchPerGroup();
        int Bp = (B + bpg - 1) / bpg * bpg, nbt = Bp / bpg, nwb = (d + sh.rowsPerGroup() - 1) / sh.rowsPerGroup();
        String opts = "-DWT=" + OpenClMglu.wt(dt) + " -DXS=" + xsParts + " -DMODE=" + mode + " -DNM=" + nm + " -DACT=" + g.ordinal() + " -DACC=" + (acc ? 1 : 0)
                + " -DMT=" + sh.mt() + " -DNT=" + sh.nt() + " -DWM=" + sh.wm() + " -DWN=" + sh.wn() + " -DEMU=" + (emu ? 1 : 0) + " -DFULL=" + (h % 32 == 0 ? 1 : 0);
        org.jocl.cl_kernel k = OpenClMglu.kernelOrNull(cl, "gemm_tc.cl", opts, "gemm_tc", "tensor-core GEMM");
        if (k == null) {
            refused = true;
            return false;
        }
        org.jocl.cl_kernel split = cl.kernel("gemm_tc.cl", opts, "split_x");     // the same program, built
        cl_mem parts = xs((long) xsParts * Bp * hp * 2);
        cl.launch(split, (long) Bp * hp, 0, null, parts, x, B, h, Bp, hp);
        cl.launch(k, (long) nwb * nbt * 32 * sh.wm() * sh.wn(), 32L * sh.wm() * sh.wn(), null, y, parts, w, w2 == null ? dummy : w2,
                masks == null ? dummy : masks, h, d, B, Bp, hp, nbt);
        return true;
    }

    /** The split-x scratch of at least bytes (one op at a time runs on the backend's in-order queue). */
    private cl_mem xs(long bytes) {
        if (xsBytes < bytes) {
            OpenClContext.release(xs);              // freed once the commands using it have run
            xs = cl.alloc(bytes);
            xsBytes = bytes;
        }
        return xs;
    }
}
