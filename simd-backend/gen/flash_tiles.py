#!/usr/bin/env python3
"""Generates the FlashMGLU register tiles (package jmglu.simd):
    float        FlashTiles.java            float rows (widened or F32 on the heap), any Bt; the shared constants
    bf16         FlashTilesBf16.java        Bt = 1 over a raw BF16 row in a short[]: the "h" widening and "e" even/odd tiles
    bf16seg      FlashTilesBf16Seg.java     the same tiles over a BF16 row in a native segment (off-heap, mapped)
    bf16batch    FlashTilesBf16Batch.java   B > 1 over a raw BF16 row in a short[]: the e{Bt}k{K} even/odd tiles
    bf16batchseg FlashTilesBf16BatchSeg.java the same over a native segment

One tile = Bt rows of x times one row of W times K mask planes, with all Bt*(1+K) accumulators in
locals so C2 keeps them in vector registers. A BF16 tile exists twice, identical but for how it
loads W (ShortVector.fromArray or fromMemorySegment), so that each compiled tile only ever sees one
kind of storage (see FlashTiles' comment). Run from the repository root, for each mode:
    python3 simd-backend/gen/flash_tiles.py MODE > simd-backend/src/main/java/jmglu/simd/CLASS.java
The committed classes must equal this script's output byte for byte (GeneratedTilesTest checks it).
"""
import sys

FILES = {"float": "FlashTiles", "bf16": "FlashTilesBf16", "bf16seg": "FlashTilesBf16Seg",
         "bf16batch": "FlashTilesBf16Batch", "bf16batchseg": "FlashTilesBf16BatchSeg"}
MODE = sys.argv[1] if len(sys.argv) == 2 else ""
if MODE not in FILES:
    sys.exit("usage: flash_tiles.py " + "|".join(FILES) + "  (writes " + ".java | ".join(FILES.values()) + ".java to stdout)")
SEG = MODE.endswith("seg")

TILES = [(bt, k) for bt in (1, 2, 4) for k in (1, 2, 4, 8) if bt * (1 + k) <= 24]
# B > 1 over a raw BF16 row, 16 lanes: (bt rows of x) x (k planes), with or without t
# (8-row tiles spill and lose to 4-row ones; 4x4 loses to two 4x2 sweeps: lab/simd/results/README.md)
ETILES = [(1, 1), (1, 2), (1, 4), (1, 8), (2, 1), (2, 2), (4, 1), (4, 2)]

# ---- how a BF16 tile reads W: (parameters, 32 BF16 at word q as 16 ints, 16 BF16 at chunk u of word q)
if SEG:
    W_PARAMS = "MemorySegment w, long wo"
    W_LOAD32 = "ShortVector.fromMemorySegment(SH2, w, wo + 64L * q, LE)"
    W_LOAD16 = "ShortVector.fromMemorySegment(SH, w, wo + 64L * q + 2 * u, LE)"
    MASK_PARAMS = "MemorySegment bits, long mo"
else:
    W_PARAMS = "short[] w, int wo"
    W_LOAD32 = "ShortVector.fromArray(SH2, w, wo + c)"
    W_LOAD16 = "ShortVector.fromArray(SH, w, wo + c + u)"
    MASK_PARAMS = "int[] bits, int mo"


def word(i):
    """Plane i's word q: from the int[], or (segment tiles) from the native segment at byte mb_i + 4q."""
    return f"bits.get(WORD, mb{i} + 4L * q)" if SEG else f"bits[mo + {i} * wpr + q]"


def word_offsets(a, k):
    if SEG:
        for i in range(k):
            a(f"        long mb{i} = 4L * (mo + {i} * wpr); // plane {i}'s first word, in bytes")


def fma_form(bt, k):
    """FMA form when its live vectors (accumulators, masked weights, x rows, w) fit 32 registers with room."""
    return bt >= 2 and bt * (1 + k) + k + bt + 1 <= 26


def tile(bt, k, half):
    """Bt rows of x against one row (floats, or raw BF16 widened in registers when half) and K planes."""
    L = []
    a = L.append
    args = ", ".join(f"int x{b}" for b in range(bt))
    name = f"b{bt}k{k}" + ("h" if half else "")
    wparams = W_PARAMS if half else "float[] w, int wo"
    ro = "int ro, " if half else ""
    a(f"    static void {name}(float[] res, {ro}{wparams}, float[] x, {args}, {MASK_PARAMS}, int wpr, int hp) {{")
    for b in range(bt):
        a(f"        FloatVector t{b} = FloatVector.zero(S);")
        for i in range(k):
            a(f"        FloatVector s{b}_{i} = FloatVector.zero(S);")
    word_offsets(a, k if half else 0)
    a("        for (int q = 0; q < wpr; q++) { // one 32-bit word per plane covers 32 elements")
    a("            int c = q << 5;")
    for i in range(k):
        a(f"            int w{i} = {word(i) if half else f'bits[mo + {i} * wpr + q]'};")
    a("            for (int u = 0; u < 32; u += L) { // 32/L chunks; C2 unrolls this constant loop")
    if half:
        a(f"                FloatVector wv = ((IntVector) {W_LOAD16}.convertShape(VectorOperators.S2I, SI, 0))")
        a("                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); // BF16 → float in registers")
    else:
        a("                FloatVector wv = FloatVector.fromArray(S, w, wo + c + u);")
    for i in range(k):
        a(f"                VectorMask<Float> m{i} = VectorMask.fromLong(S, (w{i} >>> u) & LANES);")
    if bt == 1 or not fma_form(bt, k):
        # p_b = x_b⊙w once per row, t_b += p_b, s_{b,i} += p_b on the lanes of mask i (merge-masked add)
        for b in range(bt):
            a(f"                FloatVector p{b} = FloatVector.fromArray(S, x, x{b} + c + u).mul(wv);")
            a(f"                t{b} = t{b}.add(p{b});")
            for i in range(k):
                a(f"                s{b}_{i} = s{b}_{i}.add(p{b}, m{i});")
    else:
        # several x rows: the masked weights m_i⊙w once per chunk, then FMAs for every row
        for i in range(k):
            a(f"                FloatVector wm{i} = ZERO.blend(wv, m{i});")
        for b in range(bt):
            a(f"                FloatVector xv{b} = FloatVector.fromArray(S, x, x{b} + c + u);")
            a(f"                t{b} = xv{b}.fma(wv, t{b});")
            for i in range(k):
                a(f"                s{b}_{i} = xv{b}.fma(wm{i}, s{b}_{i});")
    a("            }")
    a("        }")
    at = "ro + " if half else ""
    for b in range(bt):
        a(f"        t{b}.intoArray(res, {at}{b * (1 + k)} * L);")
        for i in range(k):
            a(f"        s{b}_{i}.intoArray(res, {at}{b * (1 + k) + 1 + i} * L);")
    a("    }")
    return "\n".join(L)


def tile_eo(k):
    """B = 1, BF16 row, 16 float lanes: even/odd split, no widening shuffle. The loop runs over the
    word index q (every index linear in q, so C2 hoists the bounds checks). Masks in the sign form:
    u_i = Σ_j σ_ij p_j with σ = +1 where the mask bit is set and −1 where not (the word shifted so
    lane j's bit lands on bit 31, then p ^ (~bit & sign): one vpternlogd, then a plain add), and
    s_i = (t + u_i) / 2. No k-register is involved. The even and odd halves keep their own u
    accumulators (two add chains per plane), except in the segment tile with 8 planes: C2 unrolls
    that loop and 2 + 16 accumulators then spill, so one accumulator per plane takes both halves."""
    L = []
    a = L.append
    split = k < 8 or not SEG
    a(f"    static void b1k{k}e(float[] res, int ro, {W_PARAMS}, float[] x, int x0, {MASK_PARAMS}, int wpr, int hp) {{")
    for z in "eo":
        a(f"        FloatVector t{z} = FloatVector.zero(S);")
        for i in range(k):
            if split or z == "e":
                a(f"        FloatVector u{z if split else ''}{i} = FloatVector.zero(S);")
    a("        IntVector she = IntVector.fromArray(SI, SIGN_SHIFTS, 0), sho = IntVector.fromArray(SI, SIGN_SHIFTS, 16);")
    word_offsets(a, k)
    a("        for (int q = 0; q < wpr; q++) { // 32 BF16 = one 512-bit load = one mask word per plane")
    a("            int c = q << 5;")
    a(f"            IntVector wi = {W_LOAD32}.reinterpretAsInts(); // lane j = w[c+2j] | w[c+2j+1] << 16")
    a("            FloatVector we = wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); // w[c+2j] as float")
    a("            FloatVector wod = wi.and(0xFFFF0000).reinterpretAsFloats();                   // w[c+2j+1] as float")
    a("            FloatVector xe = FloatVector.fromArray(S, x, x0 + c), xo = FloatVector.fromArray(S, x, x0 + c + 16);")
    a("            FloatVector pe = xe.mul(we), po = xo.mul(wod);")
    a("            te = xe.fma(we, te);")
    a("            to = xo.fma(wod, to);")
    a("            IntVector pei = pe.reinterpretAsInts(), poi = po.reinterpretAsInts();")
    for i in range(k):
        ue, uo = (f"ue{i}", f"uo{i}") if split else (f"u{i}", f"u{i}")
        a(f"            IntVector b{i} = IntVector.broadcast(SI, {word(i)}); // plane {i}: lane j's bit 2j (even) / 2j+1 (odd) to bit 31")
        a(f"            {ue} = {ue}.add(pei.lanewise(VectorOperators.XOR, b{i}.lanewise(VectorOperators.LSHL, she).not().and(SIGN)).reinterpretAsFloats()); // ±p")
        a(f"            {uo} = {uo}.add(poi.lanewise(VectorOperators.XOR, b{i}.lanewise(VectorOperators.LSHL, sho).not().and(SIGN)).reinterpretAsFloats());")
    a("        }")
    a("        te.add(to).intoArray(res, ro);")
    for i in range(k):
        a(f"        {f'ue{i}.add(uo{i})' if split else f'u{i}'}.intoArray(res, ro + {1 + i} * L); // u_i: s_i = (t + u_i) / 2 after the lane sums")
    a("    }")
    return "\n".join(L)


# B = 1 tiles in the k-register form that replace the sign form for these nm (measured on native segments,
# lab/simd/mask-tile-b1.txt; the heap-array tiles follow so that a model gives the same bits from either
# storage: CheckpointTest compares a mapped file with the same weights in memory); the other nm keep b1k{K}e
M_TILES = (4,) if MODE in ("bf16", "bf16seg") else ()


def tile_em(k):
    """B = 1, BF16 row, 16 float lanes, even/odd split like b1kKe, masks in the k-register form: per
    plane the broadcast word AND [1 << 2j] (even) / [1 << 2j+1] (odd), compared != 0 into a k-register
    (vpandd + vpcmpd), and s_i += p merge-masked (p = x⊙w once, t += p). 3 vector ops per plane and 16
    elements against the sign form's ~3.5 (shift, ternlog, add + the broadcast), and no (t + u_i)/2:
    1.06–1.10× the sign tile out of cache at nm = 4 (lab/simd/mask-tile-b1.txt). It leaves s_i."""
    L = []
    a = L.append
    a(f"    static void b1k{k}m(float[] res, int ro, {W_PARAMS}, float[] x, int x0, {MASK_PARAMS}, int wpr, int hp) {{")
    for z in "eo":
        a(f"        FloatVector t{z} = FloatVector.zero(S);")
        for i in range(k):
            a(f"        FloatVector s{z}{i} = FloatVector.zero(S);")
    a("        IntVector ev = IntVector.fromArray(SI, EVEN_ODD_BITS, 0), od = IntVector.fromArray(SI, EVEN_ODD_BITS, 16);")
    word_offsets(a, k)
    a("        for (int q = 0; q < wpr; q++) { // 32 BF16 = one 512-bit load = one mask word per plane")
    a("            int c = q << 5;")
    a(f"            IntVector wi = {W_LOAD32}.reinterpretAsInts(); // lane j = w[c+2j] | w[c+2j+1] << 16")
    a("            FloatVector pe = FloatVector.fromArray(S, x, x0 + c).mul(wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()); // x[c+2j]·w[c+2j]")
    a("            FloatVector po = FloatVector.fromArray(S, x, x0 + c + 16).mul(wi.and(0xFFFF0000).reinterpretAsFloats());             // x[c+2j+1]·w[c+2j+1]")
    a("            te = te.add(pe);")
    a("            to = to.add(po);")
    for i in range(k):
        a(f"            IntVector b{i} = IntVector.broadcast(SI, {word(i)}); // plane {i}: lane j's bits 2j (even) and 2j+1 (odd)")
        a(f"            se{i} = se{i}.add(pe, b{i}.and(ev).compare(VectorOperators.NE, 0).cast(S));")
        a(f"            so{i} = so{i}.add(po, b{i}.and(od).compare(VectorOperators.NE, 0).cast(S));")
    a("        }")
    a("        te.add(to).intoArray(res, ro);")
    for i in range(k):
        a(f"        se{i}.add(so{i}).intoArray(res, ro + {1 + i} * L); // s_i")
    a("    }")
    return "\n".join(L)


def tile_eb(bt, k, with_t):
    """bt rows of x (even/odd split, row stride hp) against one BF16 row and k planes. Even and odd
    halves share the accumulators; the row is widened once and each half's k masks are made once per
    32 elements, shared by the bt rows (each half's masks are used before the next half's are made,
    so at most k of the 7 usable k-registers are live). FMA form: m_i⊙w blended once, shared by the rows."""
    L = []
    a = L.append
    name = f"e{bt}k{k}" + ("" if with_t else "n")
    a(f"    static void {name}(float[] res, {W_PARAMS}, float[] x, int x0, {MASK_PARAMS}, int wpr, int hp) {{")
    for b in range(bt):
        if with_t:
            a(f"        FloatVector t{b} = FloatVector.zero(S);")
        for i in range(k):
            a(f"        FloatVector s{b}_{i} = FloatVector.zero(S);")
    a("        IntVector ev = IntVector.fromArray(SI, EVEN_ODD_BITS, 0), od = IntVector.fromArray(SI, EVEN_ODD_BITS, 16);")
    word_offsets(a, k)
    a("        for (int q = 0; q < wpr; q++) {")
    a("            int c = q << 5;")
    a(f"            IntVector wi = {W_LOAD32}.reinterpretAsInts();")
    for i in range(k):
        a(f"            IntVector b{i} = IntVector.broadcast(SI, {word(i)});")
    for half, wexpr, pat, off in (("e", "wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()", "ev", ""),
                                  ("o", "wi.and(0xFFFF0000).reinterpretAsFloats()", "od", " + 16")):
        a(f"            FloatVector w{half.upper()} = {wexpr};")
        for i in range(k):
            a(f"            VectorMask<Float> m{half}{i} = b{i}.and({pat}).compare(VectorOperators.NE, 0).cast(S);")
        for i in range(k):
            a(f"            FloatVector wm{half}{i} = ZERO.blend(w{half.upper()}, m{half}{i});")
        for b in range(bt):
            a(f"            FloatVector x{half}{b} = FloatVector.fromArray(S, x, x0 + {b} * hp + c{off});")
            if with_t:
                a(f"            t{b} = x{half}{b}.fma(w{half.upper()}, t{b});")
            for i in range(k):
                a(f"            s{b}_{i} = x{half}{b}.fma(wm{half}{i}, s{b}_{i});")
    a("        }")
    for b in range(bt):
        if with_t:
            a(f"        t{b}.intoArray(res, {b * (1 + k)} * L);")
        for i in range(k):
            a(f"        s{b}_{i}.intoArray(res, {b * (1 + k) + 1 + i} * L);")
    a("    }")
    return "\n".join(L)


def header(imports, doc, cls):
    out = ["package jmglu.simd;", ""]
    out += [f"import {i};" for i in imports]
    out += ["", "/**", " * GENERATED by simd-backend/gen/flash_tiles.py — edit the generator, not this file.", " *"]
    out += [" * " + line if line else " *" for line in doc.split("\n")]
    out += [" */", f"final class {cls} {{", f"    private {cls}() {{}}", ""]
    return "\n".join(out) + "\n"


VEC = "jdk.incubator.vector."
CLS = FILES[MODE]
parts = []
if MODE == "float":
    parts.append(header([VEC + "FloatVector", VEC + "VectorMask", VEC + "VectorSpecies"], """<p>The FlashMGLU inner loop: for one row w of W and K bit-planes of that row, and Bt rows of x
(at x0, x1, ...), accumulates t_b = x_b·w and s_{b,i} = x_b·(m_i ⊙ w) in one sweep over w. A
tile stores its Bt·(1+K) accumulator vectors to res (slot j at res[j·L, (j+1)·L)); the dispatcher
(run, runBf16, runE) then sums each slot's lanes in a fixed order ({@link Lanes#fold}), leaving
res[b·(1+K)] = t_b, res[b·(1+K) + 1 + i] = s_{b,i}. res needs Bt·(1+K)·L floats. (The sums are
not in the tile: C2 compiles a tile as one unit with a node budget, and the tile's loop needs it.)
<pre>
  w    : the row's hp values from index (or byte offset) wo: floats here (a widened row, or F32 W on
         the heap); raw BF16 in FlashTilesBf16 (a short[]) and FlashTilesBf16Seg (a native segment)
  bits : plane i of the row is the wpr words bits[mo + i·wpr + q]; bit j of word q = mask of
         element 32q + j
  x    : float rows, zero-padded to hp = 32·wpr by the caller (padding mask bits are 0 too)
</pre>
Per 32 elements each plane's word is loaded once; per L-lane chunk its L bits become a VectorMask
(VectorMask.fromLong → a k-register on AVX-512). Bt = 1: p = x⊙w, t += p, s_i += p merge-masked
(K+2 vector ops). Bt ≥ 2 with few planes (2x1, 2x2, 2x4, 4x1, 4x2): the masked weights m_i⊙w are
formed once (a blend) and shared by the Bt rows: t_b = fma(x_b, w, t_b), s_{b,i} = fma(x_b, m_i⊙w,
s_{b,i}); larger tiles keep the masked-add form, whose fewer live vectors fit the 32 registers.
Every accumulator is a local, so C2 keeps all Bt·(1+K) in vector registers.

<p>The "h" tiles (FlashTilesBf16) read a raw BF16 row and widen it in registers. With 16 float
lanes (AVX-512) the "e" tiles replace them: one 512-bit load takes 32 BF16 = 16 ints; even
elements are (int << 16), odd ones (int & 0xFFFF0000), each a single op (no widening shuffle); x
comes pre-split per 32-block into [x_even(16), x_odd(16)] ({@link FlashTilesBf16#evenOdd}); masks
take the sign form: the broadcast word shifted left by 31 − 2j (even) / 30 − 2j (odd) puts lane j's
bit on bit 31, ±p = p ^ (~bit & sign) is one vpternlogd, u_i += ±p, and s_i = (t + u_i)/2, so no
k-register is involved. Exception: nm = 4 takes b1k4m, the k-register form
(word AND lane bit, compare into k, s_i += p merge-masked), 6–10% faster there (lab/simd/mask-tile-b1.txt). B > 1 with a BF16 row: the e{Bt}k{K} tiles (FlashTilesBf16Batch, n =
without t) widen the row the same way once per 32 elements and make each plane's even/odd masks
once, shared by Bt ≤ 4 rows of x (even/odd split too); FMA form with m_i⊙w blended once; even and
odd halves share accumulators. Every tile loops over the word index q, so every index is linear
in the loop variable and C2 hoists the bounds checks.

<p>Storage. The BF16 tiles exist twice: over a short[] (weights on the heap) and over a native
MemorySegment (off-heap or mapped weights, read in place); a compiled tile that saw both kinds runs
several times slower, and JDK 25 vectorises heap-segment loads only for the array's own element
type. Mask words are read from the masks' int[] by the array tiles and in place from the native
segment by the segment tiles. The measurements behind these choices: lab/simd/results/README.md
(tiles) and lab/simd/README.md (storage, sums).
Tiles (Bt x K): """ + ", ".join(f"{bt}x{k}" for bt, k in TILES) + ".", CLS))
    parts.append("""    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final long LANES = (1L << L) - 1;
    static final FloatVector ZERO = FloatVector.zero(S);

    /** Largest K available for a Bt tile. */
    static int maxK(int bt) { return bt == 4 ? 4 : 8; }

    /** Dispatches to the float (bt, k) tile; xs[b] = offset of x row b. */
    static void run(int bt, int k, float[] res, float[] w, int wo, float[] x, int[] xs, int[] bits, int mo, int wpr, int hp) {
        switch (bt * 16 + k) {
""")
    for bt, k in TILES:
        xs = ", ".join(f"xs[{b}]" for b in range(bt))
        parts.append(f"            case {bt * 16 + k} -> b{bt}k{k}(res, w, wo, x, {xs}, bits, mo, wpr, hp);\n")
    parts.append("""            default -> throw new IllegalArgumentException("FlashTiles: no tile for Bt=" + bt + ", K=" + k);
        }
        Lanes.fold(res, 0, bt * (1 + k));
    }
""")
    for bt, k in TILES:
        parts.append("\n" + tile(bt, k, False) + "\n")
elif MODE in ("bf16", "bf16seg"):
    imports = (["java.lang.foreign.MemorySegment", "java.lang.foreign.ValueLayout", "java.nio.ByteOrder"] if SEG else []) + \
        [VEC + c for c in ("FloatVector", "IntVector", "ShortVector", "VectorMask", "VectorOperators", "VectorSpecies")]
    where = "a native MemorySegment (off-heap or mapped: w is the segment, wo the row's byte offset)" if SEG \
        else "a short[] (weights on the heap: wo is the row's first index)"
    parts.append(header(imports, f"""<p>The Bt = 1 FlashMGLU tiles over a raw BF16 row in {where}, the decode hot
path; accumulator layout, padding and the "h"/"e" tile designs are described in {{@link FlashTiles}}.""", CLS))
    parts.append("""    static final VectorSpecies<Float> S = FlashTiles.S;
    static final VectorSpecies<Short> SH = WeightRows.SH;
    static final VectorSpecies<Integer> SI = WeightRows.SI;
    static final int L = FlashTiles.L;
    static final long LANES = FlashTiles.LANES;
""")
    if SEG:
        parts.append("""    static final VectorSpecies<Short> SH2 = FlashTilesBf16.SH2;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** A mask word: a little-endian int; where that is the native order, read with the native layout (same bytes, one step less per read). */
    static final ValueLayout.OfInt WORD = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ValueLayout.JAVA_INT_UNALIGNED
            : ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int[] SIGN_SHIFTS = FlashTilesBf16.SIGN_SHIFTS;
    static final int SIGN = FlashTilesBf16.SIGN;
    static final int[] EVEN_ODD_BITS = FlashTilesBf16.EVEN_ODD_BITS;
""")
    else:
        parts.append("""    /** 32 shorts: one 512-bit load of 32 BF16, reinterpreted as 16 ints. */
    static final VectorSpecies<Short> SH2 = ShortVector.SPECIES_512;
    /** True when the even/odd BF16 tiles can run: 16 float lanes (AVX-512). */
    static final boolean EVEN_ODD = L == 16;
    /** [1 << 2j for j < 16, 1 << 2j+1 for j < 16]: the even and odd bit of lane j in a mask word. */
    static final int[] EVEN_ODD_BITS = new int[32];
    static { for (int j = 0; j < 16; j++) { EVEN_ODD_BITS[j] = 1 << 2 * j; EVEN_ODD_BITS[16 + j] = 1 << 2 * j + 1; } }
    /** [31 − 2j for j < 16, 30 − 2j for j < 16]: shifting a mask word left by these puts lane j's even / odd bit at bit 31. */
    static final int[] SIGN_SHIFTS = new int[32];
    static { for (int j = 0; j < 16; j++) { SIGN_SHIFTS[j] = 31 - 2 * j; SIGN_SHIFTS[16 + j] = 30 - 2 * j; } }
    static final int SIGN = 0x80000000;

    /** x (B rows of hp, hp a multiple of 32) with each 32-block reordered as [x0, x2, .., x30, x1, x3, .., x31]. */
    static float[] evenOdd(float[] x, int n) {
        float[] s = new float[n];
        for (int c = 0; c + 32 <= n; c += 32)
            for (int j = 0; j < 16; j++) { s[c + j] = x[c + 2 * j]; s[c + 16 + j] = x[c + 2 * j + 1]; }
        return s;
    }
""")
    mt = " && ".join(f"k != {k}" for k in M_TILES)
    parts.append(f"""
    /**
     * Dispatches to the Bt = 1 BF16 tile with k planes and sums its lanes: res[0] = t, res[1 + i] = s_i.
     * eo: the even/odd tile (x in the {{@link FlashTilesBf16#evenOdd}} layout; needs
     * {{@link FlashTilesBf16#EVEN_ODD}}; it leaves u_i, and s_i = (t + u_i)/2), else the widening one.
     */
    static void runBf16(boolean eo, int k, float[] res, {W_PARAMS}, float[] x, int x0, {MASK_PARAMS}, int wpr, int hp) {{
        tileBf16(eo, k, res, 0, w, wo, x, x0, bits, mo, wpr, hp);
        Lanes.fold(res, 0, 1 + k);
        if (leavesU(eo, k)) for (int i = 1; i <= k; i++) res[i] = 0.5f * (res[0] + res[i]); // s_i = (t + u_i) / 2
    }}

    /** True when tileBf16(eo, k, ..) leaves u_i in the plane slots (s_i = (t + u_i)/2 after the lane sums), not s_i. */
    static boolean leavesU(boolean eo, int k) {{ return eo{f" && {mt}" if M_TILES else ""}; }}

    /**
     * The Bt = 1 BF16 tile alone: its 1 + k accumulator vectors (t, then the k planes) at res[ro + j·L, ro + (j+1)·L),
     * lanes not summed (runBf16 sums them row by row, SimdFlashMglu.rowsB1 16 rows at once in the same order).
     */
    static void tileBf16(boolean eo, int k, float[] res, int ro, {W_PARAMS}, float[] x, int x0, {MASK_PARAMS}, int wpr, int hp) {{
        if (eo) {{
            switch (k) {{
""")
    for k in (1, 2, 4, 8):
        parts.append(f"                case {k} -> b1k{k}{'m' if k in M_TILES else 'e'}(res, ro, w, wo, x, x0, bits, mo, wpr, hp);\n")
    parts.append("""                default -> throw new IllegalArgumentException("FlashTiles: no BF16 tile for K=" + k);
            }
            return;
        }
        switch (k) {
""")
    for k in (1, 2, 4, 8):
        parts.append(f"            case {k} -> b1k{k}h(res, ro, w, wo, x, x0, bits, mo, wpr, hp);\n")
    parts.append("""            default -> throw new IllegalArgumentException("FlashTiles: no BF16 tile for K=" + k);
        }
    }
""")
    for k in (1, 2, 4, 8):
        parts.append("\n" + tile(1, k, True) + "\n")
    for k in (1, 2, 4, 8):
        parts.append("\n" + tile_eo(k) + "\n")
    for k in M_TILES:
        parts.append("\n" + tile_em(k) + "\n")
else:  # bf16batch, bf16batchseg
    imports = (["java.lang.foreign.MemorySegment", "java.lang.foreign.ValueLayout", "java.nio.ByteOrder"] if SEG else []) + \
        [VEC + c for c in ("FloatVector", "IntVector", "ShortVector", "VectorMask", "VectorOperators", "VectorSpecies")]
    where = "a native MemorySegment (w the segment, wo the row's byte offset)" if SEG else "a short[] (wo the row's first index)"
    parts.append(header(imports, f"""<p>The B > 1 FlashMGLU tiles over a raw BF16 row in {where}: e{{Bt}}k{{K}} takes
Bt ≤ 4 rows of x (in {{@link FlashTilesBf16#evenOdd}} layout) and K planes per sweep; the design is
described in {{@link FlashTiles}}.""", CLS))
    parts.append("""    static final VectorSpecies<Float> S = FlashTiles.S;
    static final int L = FlashTiles.L;
    static final VectorSpecies<Integer> SI = FlashTilesBf16.SI;
    static final VectorSpecies<Short> SH2 = FlashTilesBf16.SH2;
    static final FloatVector ZERO = FlashTiles.ZERO;
    static final int[] EVEN_ODD_BITS = FlashTilesBf16.EVEN_ODD_BITS;
""")
    if SEG:
        parts.append("    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;\n    static final ValueLayout.OfInt WORD = FlashTilesBf16Seg.WORD;\n")
    else:
        parts.append("""
    /** The largest k of the B > 1 BF16 even/odd tiles with bt rows (bt ∈ {1, 2, 4}). */
    static int maxKe(int bt) { return bt == 1 ? 8 : 2; }
""")
    parts.append(f"""
    /**
     * Dispatches to the B > 1 BF16 even/odd tile e{{bt}}k{{k}} and sums its lanes (withT: also t = x·w, else
     * res's t slots are left undefined); rows of x at x0 + b·hp in {{@link FlashTilesBf16#evenOdd}} layout.
     */
    static void runE(int bt, int k, boolean withT, float[] res, {W_PARAMS}, float[] x, int x0, {MASK_PARAMS}, int wpr, int hp) {{
        switch ((withT ? 256 : 0) + bt * 16 + k) {{
""")
    for bt, k in ETILES:
        for t in (True, False):
            parts.append(f"            case {(256 if t else 0) + bt * 16 + k} -> e{bt}k{k}{'' if t else 'n'}(res, w, wo, x, x0, bits, mo, wpr, hp);\n")
    parts.append("""            default -> throw new IllegalArgumentException("FlashTiles: no BF16 B>1 tile for Bt=" + bt + ", K=" + k);
        }
        if (withT) Lanes.fold(res, 0, bt * (1 + k));
        else for (int b = 0; b < bt; b++) Lanes.fold(res, b * (1 + k) + 1, k); // the s slots only
    }
""")
    for bt, k in ETILES:
        for t in (True, False):
            parts.append("\n" + tile_eb(bt, k, t) + "\n")
parts.append("}\n")
sys.stdout.write("".join(parts))
