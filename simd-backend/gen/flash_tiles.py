#!/usr/bin/env python3
"""Generates the FlashMGLU register tiles: FlashTiles.java (float rows, any Bt; the dispatch),
FlashTilesBf16.java (Bt = 1 over a raw BF16 row: the "h" widening and the "e" even/odd tiles) and
FlashTilesBf16Batch.java (B > 1 over a raw BF16 row: the e{Bt}k{K} even/odd tiles).

One tile = Bt rows of x times one row of W times K mask planes, with all Bt*(1+K) accumulators
in locals so C2 keeps them in vector registers. Run from the repository root:
    python3 simd-backend/gen/flash_tiles.py float > simd-backend/src/main/java/jmglu/simd/FlashTiles.java
    python3 simd-backend/gen/flash_tiles.py bf16 > simd-backend/src/main/java/jmglu/simd/FlashTilesBf16.java
    python3 simd-backend/gen/flash_tiles.py bf16batch > simd-backend/src/main/java/jmglu/simd/FlashTilesBf16Batch.java
The whole family is printed into a buffer first, then split into the three classes (see the end).
"""
import io
import sys
MODE = sys.argv[1] if len(sys.argv) == 2 else ""
if MODE not in ("float", "bf16", "bf16batch"):
    sys.exit("usage: flash_tiles.py float|bf16|bf16batch  (FlashTiles.java | FlashTilesBf16.java | FlashTilesBf16Batch.java)")
_stdout, sys.stdout = sys.stdout, io.StringIO()
TILES = [(bt, k) for bt in (1, 2, 4) for k in (1, 2, 4, 8) if bt * (1 + k) <= 24]

def fma_form(bt, k):
    """FMA form when its live vectors (accumulators, masked weights, x rows, w) fit 32 registers with room."""
    return bt >= 2 and bt * (1 + k) + k + bt + 1 <= 26

def tile(bt, k, half):
    L = []
    a = L.append
    args = ", ".join(f"int x{b}" for b in range(bt))
    wt = "short[]" if half else "float[]"
    name = f"b{bt}k{k}" + ("h" if half else "")
    a(f"    static void {name}(float[] res, {wt} w, int wo, float[] x, {args}, int[] bits, int mo, int wpr, int hp) {{")
    for b in range(bt):
        a(f"        FloatVector t{b} = FloatVector.zero(S);")
        for i in range(k):
            a(f"        FloatVector s{b}_{i} = FloatVector.zero(S);")
    a("        for (int c = 0; c < hp; c += 32) { // one 32-bit word per plane covers 32 elements")
    a("            int wd = mo + (c >>> 5);")
    for i in range(k):
        a(f"            int w{i} = bits[wd + {i} * wpr];")
    a("            for (int u = 0; u < 32; u += L) { // 32/L chunks; C2 unrolls this constant loop")
    if half:
        a("                FloatVector wv = ((IntVector) ShortVector.fromArray(SH, w, wo + c + u).convertShape(VectorOperators.S2I, SI, 0))")
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
    elif False:
        # one x row: p = x⊙w once, t += p, s_i += p on the lanes of mask i (merge-masked add)
        a("                FloatVector p0 = FloatVector.fromArray(S, x, x0 + c + u).mul(wv);")
        a("                t0 = t0.add(p0);")
        for i in range(k):
            a(f"                s0_{i} = s0_{i}.add(p0, m{i});")
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
    for b in range(bt):
        a(f"        res[{b * (1 + k)}] = t{b}.reduceLanes(VectorOperators.ADD);")
        for i in range(k):
            a(f"        res[{b * (1 + k) + 1 + i}] = s{b}_{i}.reduceLanes(VectorOperators.ADD);")
    a("    }")
    return "\n".join(L)

def tile_eo(k):
    """B = 1, BF16 row, 16 float lanes: even/odd split, no widening shuffle.
    The loop runs over the word index q (every index linear in q, so C2 hoists the bounds checks).
    Masks in the sign form: u_i = Σ_j σ_ij p_j with σ = +1 where the mask bit is set and −1 where not
    (the word shifted so lane j's bit lands on bit 31, then p ^ (~bit & sign): one vpternlogd, then a
    plain add), and s_i = (t + u_i) / 2. No k-register is involved: the earlier form (and + compare to
    a k-register + masked add) did the same count of vector ops but ran 1.0-1.25x slower out of cache
    (side by side out of cache, see simd-backend/results/README.md)."""
    L = []
    a = L.append
    a(f"    static void b1k{k}e(float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp) {{")
    for z in "eo":
        a(f"        FloatVector t{z} = FloatVector.zero(S);")
        for i in range(k):
            a(f"        FloatVector u{z}{i} = FloatVector.zero(S);")
    a("        IntVector she = IntVector.fromArray(SI, SIGN_SHIFTS, 0), sho = IntVector.fromArray(SI, SIGN_SHIFTS, 16);")
    a("        for (int q = 0; q < wpr; q++) { // 32 BF16 = one 512-bit load = one mask word per plane")
    a("            int c = q << 5;")
    a("            IntVector wi = ShortVector.fromArray(SH2, w, wo + c).reinterpretAsInts(); // lane j = w[c+2j] | w[c+2j+1] << 16")
    a("            FloatVector we = wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); // w[c+2j] as float")
    a("            FloatVector wod = wi.and(0xFFFF0000).reinterpretAsFloats();                   // w[c+2j+1] as float")
    a("            FloatVector xe = FloatVector.fromArray(S, x, x0 + c), xo = FloatVector.fromArray(S, x, x0 + c + 16);")
    a("            FloatVector pe = xe.mul(we), po = xo.mul(wod);")
    a("            te = xe.fma(we, te);")
    a("            to = xo.fma(wod, to);")
    a("            IntVector pei = pe.reinterpretAsInts(), poi = po.reinterpretAsInts();")
    for i in range(k):
        a(f"            IntVector b{i} = IntVector.broadcast(SI, bits[mo + {i} * wpr + q]); // plane {i}: lane j's bit 2j (even) / 2j+1 (odd) to bit 31")
        a(f"            ue{i} = ue{i}.add(pei.lanewise(VectorOperators.XOR, b{i}.lanewise(VectorOperators.LSHL, she).not().and(SIGN)).reinterpretAsFloats()); // ±p")
        a(f"            uo{i} = uo{i}.add(poi.lanewise(VectorOperators.XOR, b{i}.lanewise(VectorOperators.LSHL, sho).not().and(SIGN)).reinterpretAsFloats());")
    a("        }")
    a("        float t = te.add(to).reduceLanes(VectorOperators.ADD);")
    a("        res[0] = t;")
    for i in range(k):
        a(f"        res[{1 + i}] = 0.5f * (t + ue{i}.add(uo{i}).reduceLanes(VectorOperators.ADD)); // s_i = (t + u_i) / 2")
    a("    }")
    return "\n".join(L)

# B > 1 over a raw BF16 row, 16 lanes: (bt rows of x) x (k planes), with or without t
# measured in cache (FlashProbeB, B = 8): 8-row tiles spill and lose to 4-row ones; 4x4 loses to two 4x2 sweeps
ETILES = [(1, 1), (1, 2), (1, 4), (1, 8), (2, 1), (2, 2), (4, 1), (4, 2)]

import os
def fma_routes(bt, k):
    """How many of the k planes use the FMA form (m_i⊙w blended once, shared by the bt rows); the rest
    use p = x⊙w and a merge-masked add (add pipes instead of FMA pipes)."""
    e = os.environ.get("EB_A", "all")
    return k if e == "all" else 0 if e == "0" else k // 2

def tile_eb(bt, k, with_t):
    """bt rows of x (even/odd split, row stride hp) against one BF16 row and k planes. Even and odd
    halves share the accumulators; the row is widened once and each half's k masks are made once per
    32 elements, shared by the bt rows (each half's masks are used before the next half's are made,
    so at most k of the 7 usable k-registers are live)."""
    L = []
    a = L.append
    name = f"e{bt}k{k}" + ("" if with_t else "n")
    a(f"    static void {name}(float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp) {{")
    for b in range(bt):
        if with_t:
            a(f"        FloatVector t{b} = FloatVector.zero(S);")
        for i in range(k):
            a(f"        FloatVector s{b}_{i} = FloatVector.zero(S);")
    a("        IntVector ev = IntVector.fromArray(SI, EVEN_ODD_BITS, 0), od = IntVector.fromArray(SI, EVEN_ODD_BITS, 16);")
    a("        for (int q = 0; q < wpr; q++) {")
    a("            int c = q << 5;")
    a("            IntVector wi = ShortVector.fromArray(SH2, w, wo + c).reinterpretAsInts();")
    for i in range(k):
        a(f"            IntVector b{i} = IntVector.broadcast(SI, bits[mo + {i} * wpr + q]);")
    for half, wexpr, pat, off in (("e", "wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()", "ev", ""), ("o", "wi.and(0xFFFF0000).reinterpretAsFloats()", "od", " + 16")):
        a(f"            FloatVector w{half.upper()} = {wexpr};")
        for i in range(k):
            a(f"            VectorMask<Float> m{half}{i} = b{i}.and({pat}).compare(VectorOperators.NE, 0).cast(S);")
        nf = fma_routes(bt, k)
        for i in range(nf):
            a(f"            FloatVector wm{half}{i} = ZERO.blend(w{half.upper()}, m{half}{i});")
        for b in range(bt):
            a(f"            FloatVector x{half}{b} = FloatVector.fromArray(S, x, x0 + {b} * hp + c{off});")
            if nf < k:
                a(f"            FloatVector p{half}{b} = x{half}{b}.mul(w{half.upper()});")
            if with_t:
                a(f"            t{b} = x{half}{b}.fma(w{half.upper()}, t{b});")
            for i in range(k):
                if i < nf:
                    a(f"            s{b}_{i} = x{half}{b}.fma(wm{half}{i}, s{b}_{i});")
                else:
                    a(f"            s{b}_{i} = s{b}_{i}.add(p{half}{b}, m{half}{i});")
    a("        }")
    for b in range(bt):
        if with_t:
            a(f"        res[{b * (1 + k)}] = t{b}.reduceLanes(VectorOperators.ADD);")
        for i in range(k):
            a(f"        res[{b * (1 + k) + 1 + i}] = s{b}_{i}.reduceLanes(VectorOperators.ADD);")
    a("    }")
    return "\n".join(L)

print("""package jmglu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GENERATED by simd-backend/gen/flash_tiles.py — edit the generator, not this file.
 *
 * <p>The FlashMGLU inner loop: for one row w of W and K bit-planes of that row (plane i at
 * bits[mo + i·wpr], bit j of word c/32 = element c), and Bt rows of x (at x0, x1, ...),
 * accumulates t_b = x_b·w and s_{b,i} = x_b·(m_i ⊙ w) in one sweep over w:
 * res[b·(1+K)] = t_b, res[b·(1+K) + 1 + i] = s_{b,i}. Per 32 elements each plane's word is
 * loaded once; per 16-lane chunk its 16 bits become a VectorMask (VectorMask.fromLong → a
 * k-register on AVX-512). Bt = 1: p = x⊙w, t += p, s_i += p merge-masked (K+2 vector ops).
 * Bt ≥ 2 with few planes (2x1, 2x2, 2x4, 4x1, 4x2): the masked weights m_i⊙w are formed once (a
 * blend) and shared by the Bt rows: t_b = fma(x_b, w, t_b), s_{b,i} = fma(x_b, m_i⊙w, s_{b,i});
 * larger tiles keep the masked-add form, whose fewer live vectors fit the 32 registers. Every accumulator is a local, so
 * C2 keeps all Bt·(1+K) in vector registers. The "h" tiles (in FlashTilesBf16) read a BF16 row (short[]) and widen
 * it in registers (used when one sweep covers the row). With 16 float lanes (AVX-512) the "e"
 * tiles replace them: one 512-bit load takes 32 BF16 = 16 ints; even elements are (int << 16),
 * odd ones (int & 0xFFFF0000), each a single op (no widening shuffle); x comes pre-split per
 * 32-block into [x_even(16), x_odd(16)] ({@link #evenOdd}); masks take the sign form: the broadcast
 * word shifted left by 31 − 2j (even) / 30 − 2j (odd) puts lane j's bit on bit 31, ±p = p ^ (~bit &
 * sign) is one vpternlogd, u_i += ±p, and s_i = (t + u_i)/2, so no k-register is involved (a
 * GPR→k-register move per mask cost ~0.5 ns per plane per 16 elements; a vector bit test into a
 * k-register, the previous form, did as many vector ops but ran 1.0-1.25x slower out of cache);
 * they loop over the word index q so every array index is linear in the loop
 * variable and C2 hoists the bounds checks (nm = 4: 1.8 → 1.4 ns per 16 elements in cache).
 * B > 1 with a BF16 row: the e{Bt}k{K} tiles (FlashTilesBf16Batch, n = without t) widen the row the same
 * way once per 32 elements and make each plane's even/odd masks once, shared by Bt ≤ 4 rows of x
 * (even/odd split too); FMA form with m_i⊙w blended once; even and odd halves share accumulators.
 * Rows of w and x are zero-padded to hp
 * (a multiple of 32) by the caller: padded lanes multiply to 0 and padding mask bits are 0.
 * Tiles (Bt x K): """ + ", ".join(f"{bt}x{k}" for bt, k in TILES) + """.
 */
final class FlashTiles {
    private FlashTiles() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> SH = WeightRows.SH;
    static final VectorSpecies<Integer> SI = WeightRows.SI;
    static final int L = S.length();
    static final long LANES = (1L << L) - 1;
    static final FloatVector ZERO = FloatVector.zero(S);
    static final VectorSpecies<Short> SH2 = ShortVector.SPECIES_512;
    /** True when the even/odd BF16 tiles apply (16 float lanes; -Djmglu.simd.evenOdd=false turns them off for A/B timing). */
    static final boolean EVEN_ODD = L == 16 && !"false".equals(System.getProperty("jmglu.simd.evenOdd"));
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

    /** Largest K available for a Bt tile. */
    static int maxK(int bt) { return bt == 4 ? 4 : 8; }

    /** Dispatches to the float (bt, k) tile; xs[b] = offset of x row b. */
    static void run(int bt, int k, float[] res, float[] w, int wo, float[] x, int[] xs, int[] bits, int mo, int wpr, int hp) {
        switch (bt * 16 + k) {""")
for bt, k in TILES:
    xs = ", ".join(f"xs[{b}]" for b in range(bt))
    print(f"            case {bt * 16 + k} -> b{bt}k{k}(res, w, wo, x, {xs}, bits, mo, wpr, hp);")
print("""            default -> throw new IllegalArgumentException("FlashTiles: no tile for Bt=" + bt + ", K=" + k);
        }
    }

    /**
     * Dispatches to the BF16-fused Bt = 1 tile with k planes; w holds the raw BF16 row at wo.
     * eo: the even/odd tile (x in the {@link #evenOdd} layout; needs {@link #EVEN_ODD}), else the widening one.
     */
    static void runBf16(boolean eo, int k, float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp) {
        if (eo) {
            switch (k) {""")
for k in (1, 2, 4, 8):
    print(f"                case {k} -> b1k{k}e(res, w, wo, x, x0, bits, mo, wpr, hp);")
print("""                default -> throw new IllegalArgumentException("FlashTiles: no BF16 tile for K=" + k);
            }
            return;
        }
        switch (k) {""")
for k in (1, 2, 4, 8):
    print(f"            case {k} -> b1k{k}h(res, w, wo, x, x0, bits, mo, wpr, hp);")
print("""            default -> throw new IllegalArgumentException("FlashTiles: no BF16 tile for K=" + k);
        }
    }

    /** The largest k of the B > 1 BF16 even/odd tiles with bt rows (bt ∈ {1, 2, 4}). */
    static int maxKe(int bt) { return bt == 1 ? 8 : 2; }

    /**
     * Dispatches to the B > 1 BF16 even/odd tile e{bt}k{k} (withT: also t = x·w, else res's t slots are
     * left alone); rows of x at x0 + b·hp in {@link FlashTilesBf16#evenOdd} layout.
     */
    static void runE(int bt, int k, boolean withT, float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp) {
        switch ((withT ? 256 : 0) + bt * 16 + k) {""")
for bt, k in ETILES:
    for t in (True, False):
        print(f"            case {(256 if t else 0) + bt * 16 + k} -> e{bt}k{k}{'' if t else 'n'}(res, w, wo, x, x0, bits, mo, wpr, hp);")
print("""            default -> throw new IllegalArgumentException("FlashTiles: no BF16 B>1 tile for Bt=" + bt + ", K=" + k);
        }
    }
""")
for bt, k in TILES:
    print(tile(bt, k, False))
    print()
for k in (1, 2, 4, 8):
    print(tile(1, k, True))
    print()
for k in (1, 2, 4, 8):
    print(tile_eo(k))
    print()
for bt, k in ETILES:
    for t in (True, False):
        print(tile_eb(bt, k, t))
        print()
print("}")

# ---- split the buffered class into FlashTiles (float tiles, dispatch) and FlashTilesBf16
text, sys.stdout = sys.stdout.getvalue(), _stdout
def cut(t, start, end):
    """t without t[start:end], and t[start:end] (start/end are marker strings)."""
    i, j = t.index(start), t.index(end)
    return t[:i] + t[j:], t[i:j]
text, bf_fields = cut(text, "    static final VectorSpecies<Short> SH2", "    /** Largest K available")
text, batch_dispatch = cut(text, "    /** The largest k of the B > 1 BF16 even/odd tiles", "    static void b1k1(")
text, bf_dispatch = cut(text, "    /**\n     * Dispatches to the BF16-fused", "    static void b1k1(")
i = text.index("    static void b1k1h(")
float_cls, bf_tiles = text[:i].rstrip() + "\n}\n", text[i:]
j = bf_tiles.index("    static void e1k1(")
bf_tiles, batch_tiles = bf_tiles[:j].rstrip() + "\n}\n", bf_tiles[j:]
imports = text[:text.index("/**")]
if MODE == "float":
    sys.stdout.write(float_cls)
elif MODE == "bf16batch":
    sys.stdout.write(imports + """/**
 * GENERATED by simd-backend/gen/flash_tiles.py — edit the generator, not this file.
 *
 * <p>The B > 1 FlashMGLU tiles over a raw BF16 row (short[]): e{Bt}k{K} takes Bt ≤ 4 rows of x (in
 * {@link FlashTilesBf16#evenOdd} layout) and K planes per sweep; the design is described in
 * {@link FlashTiles}.
 */
final class FlashTilesBf16Batch {
    private FlashTilesBf16Batch() {}

    static final VectorSpecies<Float> S = FlashTiles.S;
    static final VectorSpecies<Integer> SI = FlashTiles.SI;
    static final VectorSpecies<Short> SH2 = FlashTilesBf16.SH2;
    static final FloatVector ZERO = FlashTiles.ZERO;
    static final int[] EVEN_ODD_BITS = FlashTilesBf16.EVEN_ODD_BITS;

""" + batch_dispatch + batch_tiles)
else:
    sys.stdout.write(imports + """/**
 * GENERATED by simd-backend/gen/flash_tiles.py — edit the generator, not this file.
 *
 * <p>The Bt = 1 FlashMGLU tiles over a raw BF16 row (short[]), the decode hot path; accumulator
 * layout, padding and the "h"/"e" tile designs are described in {@link FlashTiles}.
 */
final class FlashTilesBf16 {
    private FlashTilesBf16() {}

    static final VectorSpecies<Float> S = FlashTiles.S;
    static final VectorSpecies<Short> SH = FlashTiles.SH;
    static final VectorSpecies<Integer> SI = FlashTiles.SI;
    static final int L = FlashTiles.L;
    static final long LANES = FlashTiles.LANES;
    static final FloatVector ZERO = FlashTiles.ZERO;
""" + bf_fields + bf_dispatch + bf_tiles)
