package jmglu.gpu;

import java.util.Locale;
import jmglu.engine.DType;

/**
 * Which kernel and work-group shape {@link OpenClMglu} launches for GEMV, FlashMGLU and the MGLU
 * scores: immutable, given at construction. {@link #fromSystemProperties()} reads the
 * {@code -Djmglu.opencl.*} properties once (when the backend opens); tests and the lab's tuner build
 * variants with the {@code withXxx} methods. Every field selects a production path; the defaults
 * are what measured best on the H200 (lab/gpu/README.md).
 *
 * <p>GEMV and SwiGLU at tcGemvMinB ≤ B ≤ tcGemvMaxB (default 1..8) take the tensor-core kernel gemv_tc.cl
 * when {@code tc} is on (W read row-major, 16-bit, h % 8 == 0), otherwise the row kernel. The three kernels,
 * tried in this order for FlashMGLU and the scores:
 * <ol>
 *   <li>tensor cores (flash_tc.cl, NVIDIA mma.sync; elsewhere an emulation, for tests): {@code tc}
 *       AUTO = on NVIDIA platforms; {@code tcWarps} warps split h per 16-row block; {@code tcParts}
 *       1 or 2 parts of x in W's 16-bit type (2: x ≈ x₀ + x₁, about 22 bits), or 0 (the default) by the
 *       launch: {@link #xParts};</li>
 *   <li>the fast kernel (mglu_fast.cl, h % 8 == 0): on when {@code fast}, for B ≤ {@code fastMaxB} and
 *       nm ≥ {@code fastMinNm} (B = 1) or {@code fastMinNmBatch} (B &gt; 1); a warp owns {@code fastR}
 *       rows, a lane {@code fastCpl} chunks of 8 per step, {@code fastLs} threads per group,
 *       {@code persist} groups per compute unit (0: one group per task), {@code smear} the mask
 *       select form (AUTO: on for B &gt; 1);</li>
 *   <li>the row kernel (mglu.cl): {@code ls} threads and {@code rows} output rows per group, chunk
 *       unroll {@code unroll} (1, 2, 4), x staged in local memory per {@code xlocal} (AUTO: when it fits).</li>
 * </ol>
 * {@code shfl}: warp-shuffle reductions through inline PTX (AUTO: on NVIDIA). {@code alignedAll}: the
 * aligned-load row kernel for every dtype, not only fp16 (the only one validated on the H200).
 */
public record OpenClSettings(int ls, int rows, int unroll, Switch xlocal, Switch shfl, boolean alignedAll,
                             boolean fast, int fastLs, int fastR, int fastCpl, int persist, Switch smear,
                             int fastMaxB, int fastMinNm, int fastMinNmBatch,
                             Switch tc, int tcWarps, int tcParts, int tcGemvMinB, int tcGemvMaxB) {

    /** A three-way choice: AUTO lets the launcher decide from the device. */
    public enum Switch {
        AUTO, ON, OFF;

        static Switch parse(String property, String v) {
            return switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "on", "true" -> ON;
                case "off", "false" -> OFF;
                default -> throw new IllegalArgumentException("-D" + property + "=" + v + ": expected auto, on or off");
            };
        }

        /** ON → true, OFF → false, AUTO → auto. */
        public boolean resolve(boolean auto) { return this == AUTO ? auto : this == ON; }
    }

    public OpenClSettings {
        if (ls < 1 || Integer.bitCount(ls) != 1) throw new IllegalArgumentException("OpenClSettings: ls must be a power of two, got " + ls);
        if (rows < 1) throw new IllegalArgumentException("OpenClSettings: rows must be ≥ 1, got " + rows);
        if (unroll != 1 && unroll != 2 && unroll != 4) throw new IllegalArgumentException("OpenClSettings: unroll must be 1, 2 or 4, got " + unroll);
        if (fastLs < 32 || fastR < 1 || fastCpl < 1 || persist < 0)
            throw new IllegalArgumentException("OpenClSettings: fast shape LS=" + fastLs + " R=" + fastR + " CPL=" + fastCpl + " persist=" + persist
                    + " (LS ≥ 32, R ≥ 1, CPL ≥ 1, persist ≥ 0)");
        if (tcWarps < 1 || tcParts < 0 || tcParts > 2)
            throw new IllegalArgumentException("OpenClSettings: tensor-core warps " + tcWarps + " (≥ 1), x parts " + tcParts + " (1, 2 or 0: by the launch)");
        if (tcGemvMinB < 1 || tcGemvMaxB > OpenClMglu.MAX_BATCH)
            throw new IllegalArgumentException("OpenClSettings: tensor-core GEMV batches " + tcGemvMinB + ".." + tcGemvMaxB
                    + " (from ≥ 1, to ≤ " + OpenClMglu.MAX_BATCH + "; to < from: never)");
        if (xlocal == null || shfl == null || smear == null || tc == null) throw new IllegalArgumentException("OpenClSettings: a switch is null");
    }

    /** The defaults (H200 runs 6, 8, 9, 11: see the field notes above). */
    public static OpenClSettings defaults() {
        return new OpenClSettings(64, 2, 2, Switch.OFF, Switch.AUTO, false,
                true, 128, 2, 2, 0, Switch.OFF, OpenClMglu.MAX_BATCH, 5, 4,
                Switch.AUTO, 4, 0, 1, 8);
    }

    /**
     * The 16-bit parts of x in a tensor-core decode launch (gemv_tc.cl, flash_tc.cl) of B rows over W of type w:
     * tcParts when set (-Djmglu.opencl.xparts = 1 | 2), else one part where a second would take a second n-tile of 8
     * B columns (B > 4) over fp16 W: x rounded to fp16 for the products, as an fp16 engine feeds its GEMMs (f32
     * accumulators either way), so B = 5..8 does half the mma and x loads; two parts (about 22 bits of x) otherwise
     * and for bf16 W, whose one part would keep 8 bits. H200, B = 8, device µs (lab/gpu/s8-run call 2, TcGemvProbe):
     * W2 23.6 → 19.6, qkv of a normed x 19.8 → 14.1, SwiGLU's glu 31.1 → 23.1; the decode step 785 → 720 µs.
     */
    public int xParts(int B, DType w) { return tcParts != 0 ? tcParts : B > 4 && w == DType.F16 ? 1 : 2; }

    /** The parts of x in the prefill GEMM (gemm_tc.cl): tcParts when set, else two. */
    public int gemmParts() { return tcParts != 0 ? tcParts : 2; }

    /**
     * The defaults overridden by -Djmglu.opencl.{ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastls,
     * fastrows, cpl, persist, smear, fastmaxb, fastminnm, fastminnmbatch, tc, tcwarps, xparts,
     * tcgemvmin, tcgemvmax}.
     */
    public static OpenClSettings fromSystemProperties() {
        OpenClSettings d = defaults();
        return new OpenClSettings(integer("ls", d.ls), integer("rows", d.rows), integer("unroll", d.unroll),
                sw("xlocal", d.xlocal), sw("shfl", d.shfl), Boolean.parseBoolean(prop("alignedAll", "false")),
                sw("fast", d.fast ? Switch.ON : Switch.OFF) != Switch.OFF, integer("fastls", d.fastLs), integer("fastrows", d.fastR),
                integer("cpl", d.fastCpl), integer("persist", d.persist), sw("smear", d.smear),
                integer("fastmaxb", d.fastMaxB), integer("fastminnm", d.fastMinNm), integer("fastminnmbatch", d.fastMinNmBatch),
                sw("tc", d.tc), integer("tcwarps", d.tcWarps), integer("xparts", d.tcParts),
                integer("tcgemvmin", d.tcGemvMinB), integer("tcgemvmax", d.tcGemvMaxB));
    }

    private static String prop(String name, String def) { return System.getProperty("jmglu.opencl." + name, def); }

    private static int integer(String name, int def) {
        String v = prop(name, null);
        if (v == null) return def;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Djmglu.opencl." + name + "=" + v + " is not an integer");
        }
    }

    private static Switch sw(String name, Switch def) {
        String v = prop(name, null);
        return v == null ? def : Switch.parse("jmglu.opencl." + name, v);
    }

    // ---------------------------------------------------------------- variants
    public OpenClSettings withRowKernel(int ls, int rows, int unroll, Switch xlocal) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    public OpenClSettings withShfl(Switch shfl) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    public OpenClSettings withAlignedAll(boolean alignedAll) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    public OpenClSettings withFast(boolean fast) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    /** The fast kernel's shape: threads per group, rows per warp task, chunks per lane, groups per compute unit. */
    public OpenClSettings withFastShape(int fastLs, int fastR, int fastCpl, int persist) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    public OpenClSettings withSmear(Switch smear) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    /** Where the fast kernel serves: B ≤ fastMaxB, nm ≥ fastMinNm at B = 1, nm ≥ fastMinNmBatch at B > 1. */
    public OpenClSettings withFastRange(int fastMaxB, int fastMinNm, int fastMinNmBatch) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    public OpenClSettings withTc(Switch tc) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    public OpenClSettings withTcShape(int tcWarps, int tcParts) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    /** The batches B (minB ≤ B ≤ maxB) whose GEMV and SwiGLU take the tensor-core kernel gemv_tc.cl when tc is on. */
    public OpenClSettings withTcGemv(int tcGemvMinB, int tcGemvMaxB) {
        return new OpenClSettings(ls, rows, unroll, xlocal, shfl, alignedAll, fast, fastLs, fastR, fastCpl, persist, smear,
                fastMaxB, fastMinNm, fastMinNmBatch, tc, tcWarps, tcParts, tcGemvMinB, tcGemvMaxB);
    }

    /** One line for logs: the paths and shapes in use. */
    public String describe() {
        return "tc " + tc + " (warps " + tcWarps + ", x parts " + (tcParts == 0 ? "by the launch" : String.valueOf(tcParts)) + ", GEMV at B " + tcGemvMinB + ".." + tcGemvMaxB + "); fast " + (fast ? "on" : "off") + " (LS=" + fastLs + " R=" + fastR
                + " CPL=" + fastCpl + " persist=" + persist + " smear=" + smear + ", B ≤ " + fastMaxB + ", nm ≥ " + fastMinNm + " at B=1, ≥ "
                + fastMinNmBatch + " at B>1); rows LS=" + ls + " R=" + rows + " U=" + unroll + " xlocal=" + xlocal + "; shfl " + shfl;
    }
}
