#!/usr/bin/env python3
"""Generates lab/src/main/java/jmglu/simd/FlashProbe.java (package jmglu.simd inside lab: it calls the
package-private tiles; not committed, generate it when needed): a single-thread, in-cache
per-chunk cost probe (ns per 16 elements) of FlashMGLU B=1 BF16 tile variants (not a unit test).
O = old widening tile (FlashTilesBf16 b1kKh), N = the even/odd tile as it was (loop over c, c >>> 5 word
index: C2 keeps a bounds check per plane load); A/E/F/V/G/H/J/K = variants tried before. Word-index loop
(every index linear in q, bounds checks hoisted): W = vector bit test (now FlashTilesBf16 b1kKe),
R = run-time pext (Integer.compress) + VectorMask.fromLong, P = planes pre-split once (even bits low 16,
odd high 16) + fromLong(word & 0xFFFF) / fromLong(word >>> 16), Q = P with one block's k words adjacent,
X = W and P on alternate planes. Measured 2026-11-28 (AMD EPYC Zen 5, load ~1), ns per 16 elements,
nm = 1/2/4/8: N 0.72/0.88/1.82/3.28, W 0.77/0.93/1.41/3.06, X 0.78/0.93/1.58/3.18, P 0.83/1.04/1.78/3.35,
R 0.78/1.21/2.08/3.74, Q 0.76/1.02/1.66/3.26: a GPR→k move (kmovq) costs more here than and + vpcmpd, so
the pre-split cache (P/Q) and pext (R) lose; W is kept. Generate, compile and run (single thread, in cache, round-robin min of 15):
    python3 lab/simd/gen/probe_tiles.py > lab/src/main/java/jmglu/simd/FlashProbe.java
    javac --add-modules jdk.incubator.vector -d /tmp/probe -cp engine/target/classes:simd-backend/target/classes lab/src/main/java/jmglu/simd/FlashProbe.java
    java --add-modules jdk.incubator.vector -cp /tmp/probe:simd-backend/target/classes:engine/target/classes jmglu.simd.FlashProbe 5000 O,N,J
"""
KS = (1, 2, 4, 8)

def tile(k, name, evenodd, tfma, mode=""):
    L = []; a = L.append
    a(f"    static void {name}(float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp) {{")
    sets = ("e", "o") if evenodd else ("",)
    for z in sets:
        a(f"        FloatVector t{z} = FloatVector.zero(S);")
        for i in range(k): a(f"        FloatVector s{z}{i} = FloatVector.zero(S);")
    if evenodd:
        a("        IntVector ev = IntVector.fromArray(SI, EV, 0), od = IntVector.fromArray(SI, EV, 16);")
        a("        IntVector shE = IntVector.fromArray(SI, SH_, 0), shO = IntVector.fromArray(SI, SH_, 16);")
        a("        for (int c = 0; c < hp; c += 32) {")
        a("            int wd = mo + (c >>> 5);")
        a("            IntVector wi = ShortVector.fromArray(SH32, w, wo + c).reinterpretAsInts();")
        a("            FloatVector we = wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();")
        a("            FloatVector wo_ = wi.and(0xFFFF0000).reinterpretAsFloats();")
        a("            FloatVector xe = FloatVector.fromArray(S, x, x0 + c), xo = FloatVector.fromArray(S, x, x0 + c + 16);")
        if mode == "S":
            for z, xv, wv in (("e", "xe", "we"), ("o", "xo", "wo_")):
                a(f"            FloatVector p{z} = {xv}.mul({wv});")
                a(f"            t{z} = {xv}.fma({wv}, t{z});")
            for i in range(k):
                a(f"            IntVector bv{i} = IntVector.broadcast(SI, bits[wd + {i} * wpr]);")
                a(f"            se{i} = se{i}.add(pe, bv{i}.and(ev).compare(VectorOperators.NE, 0).cast(S)).add(po, bv{i}.and(od).compare(VectorOperators.NE, 0).cast(S));")
        elif mode == "J":
            for z, xv, wv in (("e", "xe", "we"), ("o", "xo", "wo_")):
                a(f"            FloatVector p{z} = {xv}.mul({wv});")
                a(f"            t{z} = {xv}.fma({wv}, t{z});")
            for i in range(k):
                a(f"            IntVector bv{i} = IntVector.broadcast(SI, bits[wd + {i} * wpr]);")
                a(f"            se{i} = se{i}.add(pe, bv{i}.and(ev).compare(VectorOperators.NE, 0).cast(S));")
                a(f"            so{i} = so{i}.add(po, bv{i}.and(od).compare(VectorOperators.NE, 0).cast(S));")
        elif mode == "K":
            for z, xv, wv in (("e", "xe", "we"), ("o", "xo", "wo_")):
                a(f"            FloatVector p{z} = {xv}.mul({wv});")
                a(f"            t{z} = {xv}.fma({wv}, t{z});")
            for i in range(k):
                a(f"            IntVector bv{i} = IntVector.broadcast(SI, bits[wd + {i} * wpr]);")
                a(f"            se{i} = se{i}.add(pe, bv{i}.lanewise(VectorOperators.LSHL, shE).compare(VectorOperators.LT, 0).cast(S));")
                a(f"            so{i} = so{i}.add(po, bv{i}.lanewise(VectorOperators.LSHL, shO).compare(VectorOperators.LT, 0).cast(S));")
        elif mode == "H":
            for z, xv, wv in (("e", "xe", "we"), ("o", "xo", "wo_")):
                a(f"            FloatVector p{z} = {xv}.mul({wv});")
                a(f"            t{z} = {xv}.fma({wv}, t{z});")
            for i in range(k):
                a(f"            int b{i} = bits[wd + {i} * wpr];")
                a(f"            se{i} = se{i}.add(pe, VectorMask.fromLong(S, Integer.compress(b{i}, 0x55555555)));")
                a(f"            so{i} = so{i}.add(po, VectorMask.fromLong(S, Integer.compress(b{i}, 0xAAAAAAAA)));")
        else:
          for i in range(k):
            a(f"            int b{i} = bits[wd + {i} * wpr];")
            a(f"            VectorMask<Float> me{i} = VectorMask.fromLong(S, Integer.compress(b{i}, 0x55555555));")
            a(f"            VectorMask<Float> mo{i} = VectorMask.fromLong(S, Integer.compress(b{i}, 0xAAAAAAAA));")
          for z, xv, wv in (("e", "xe", "we"), ("o", "xo", "wo_")):
            a(f"            FloatVector p{z} = {xv}.mul({wv});")
            a(f"            t{z} = {xv}.fma({wv}, t{z});" if tfma else f"            t{z} = t{z}.add(p{z});")
            for i in range(k): a(f"            s{z}{i} = s{z}{i}.add(p{z}, m{z}{i});")
        a("        }")
    else:
        a("        FloatVector zero = FloatVector.zero(S);")
        a("        IntVector lo = IntVector.fromArray(SI, LO, 0), hi = IntVector.fromArray(SI, LO, 16);")
        a("        for (int c = 0; c < hp; c += 32) {")
        a("            int wd = mo + (c >>> 5);")
        for i in range(k): a(f"            int b{i} = bits[wd + {i} * wpr];")
        if mode == "V":
            for i in range(k): a(f"            IntVector bv{i} = IntVector.broadcast(SI, b{i});")
        a("            for (int u = 0; u < 32; u += 16) {")
        a("                FloatVector wv = ((IntVector) ShortVector.fromArray(SH, w, wo + c + u).convertShape(VectorOperators.S2I, SI, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();")
        a("                FloatVector xv = FloatVector.fromArray(S, x, x0 + c + u);")
        for i in range(k):
            if mode == "V": a(f"                VectorMask<Float> m{i} = bv{i}.and(u == 0 ? lo : hi).compare(VectorOperators.NE, 0).cast(S);")
            else: a(f"                VectorMask<Float> m{i} = VectorMask.fromLong(S, (b{i} >>> u) & 0xFFFFL);")
        a("                FloatVector p = xv.mul(wv);")
        a("                t = xv.fma(wv, t);" if tfma else "                t = t.add(p);")
        for i in range(k):
            if mode == "G" and i >= k // 2: a(f"                s{i} = zero.blend(xv, m{i}).fma(wv, s{i});")
            else: a(f"                s{i} = s{i}.add(p, m{i});")
        a("            }")
        a("        }")
    if evenodd:
        a("        res[0] = te.add(to).reduceLanes(VectorOperators.ADD);")
        for i in range(k): a(f"        res[{1+i}] = se{i}.add(so{i}).reduceLanes(VectorOperators.ADD);")
    else:
        a("        res[0] = t.reduceLanes(VectorOperators.ADD);")
        for i in range(k): a(f"        res[{1+i}] = s{i}.reduceLanes(VectorOperators.ADD);")
    a("    }")
    return "\n".join(L)

def tile_w(k, name, mode):
    """Linear word loop (w = 0..wpr-1, indices linear in w so C2 can drop the bounds checks).
    W: vector-test masks as N; R: run-time pext; P: pre-split planes (even 16 bits low, odd high),
    plane layout; Q: pre-split and the k words of one 32-block adjacent (bits[mo + w*k + i])."""
    L = []; a = L.append
    a(f"    static void {name}(float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp) {{")
    for z in "eo":
        a(f"        FloatVector t{z} = FloatVector.zero(S);")
        for i in range(k): a(f"        FloatVector s{z}{i} = FloatVector.zero(S);")
    a("        IntVector ev = IntVector.fromArray(SI, EV, 0), od = IntVector.fromArray(SI, EV, 16);")
    a("        for (int q = 0; q < wpr; q++) {")
    a("            int c = q << 5;")
    a("            IntVector wi = ShortVector.fromArray(SH32, w, wo + c).reinterpretAsInts();")
    a("            FloatVector we = wi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();")
    a("            FloatVector wo_ = wi.and(0xFFFF0000).reinterpretAsFloats();")
    a("            FloatVector xe = FloatVector.fromArray(S, x, x0 + c), xo = FloatVector.fromArray(S, x, x0 + c + 16);")
    a("            FloatVector pe = xe.mul(we), po = xo.mul(wo_);")
    a("            te = xe.fma(we, te);")
    a("            to = xo.fma(wo_, to);")
    for i in range(k):
        idx = f"mo + q * {k} + {i}" if mode == "Q" else f"mo + {i} * wpr + q"
        a(f"            int b{i} = bits[{idx}];")
        if mode == "W" or (mode == "X" and i % 2 == 0):
            a(f"            IntVector bv{i} = IntVector.broadcast(SI, b{i});")
            a(f"            se{i} = se{i}.add(pe, bv{i}.and(ev).compare(VectorOperators.NE, 0).cast(S));")
            a(f"            so{i} = so{i}.add(po, bv{i}.and(od).compare(VectorOperators.NE, 0).cast(S));")
        elif mode == "R":
            a(f"            se{i} = se{i}.add(pe, VectorMask.fromLong(S, Integer.compress(b{i}, 0x55555555)));")
            a(f"            so{i} = so{i}.add(po, VectorMask.fromLong(S, Integer.compress(b{i}, 0xAAAAAAAA)));")
        else:
            a(f"            se{i} = se{i}.add(pe, VectorMask.fromLong(S, b{i} & 0xFFFF));")
            a(f"            so{i} = so{i}.add(po, VectorMask.fromLong(S, b{i} >>> 16));")
    a("        }")
    a("        res[0] = te.add(to).reduceLanes(VectorOperators.ADD);")
    for i in range(k): a(f"        res[{1+i}] = se{i}.add(so{i}).reduceLanes(VectorOperators.ADD);")
    a("    }")
    return "\n".join(L)

WVARS = ("W", "R", "P", "Q", "X")

VARS = [("A", False, True, ""), ("E", True, False, ""), ("F", True, True, ""), ("V", False, True, "V"), ("G", False, True, "G"), ("H", True, True, "H"), ("J", True, True, "J"), ("K", True, True, "K"), ("S", True, True, "S")]
print("""package jmglu.simd;

import jdk.incubator.vector.*;

/** GENERATED by lab/simd/gen/probe_tiles.py: per-chunk cost probe of B=1 BF16 tile variants (a main, not a test). */
public final class FlashProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> SH = ShortVector.SPECIES_256, SH32 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_512;
    static final int[] LO = new int[32];
    static final int[] EV = new int[32], SH_ = new int[32];
    static { for (int j = 0; j < 16; j++) { SH_[j] = 31 - 2 * j; SH_[16 + j] = 30 - 2 * j; } }
    static { for (int j = 0; j < 32; j++) LO[j] = 1 << j; for (int j = 0; j < 16; j++) { EV[j] = 1 << (2 * j); EV[16 + j] = 1 << (2 * j + 1); } }
    interface T { void run(float[] res, short[] w, int wo, float[] x, int x0, int[] bits, int mo, int wpr, int hp); }
""")
for k in KS:
    for n, eo, tf, md in VARS: print(tile(k, f"{n}{k}", eo, tf, md)); print()
    for n in WVARS: print(tile_w(k, f"{n}{k}", n)); print()
print("""    static T pick(String v, int k) {
        return switch (v + k) {""")
for k in KS:
    print(f'            case "O{k}" -> FlashTilesBf16::b1k{k}h;')
    print(f'            case "N{k}" -> FlashTilesBf16::b1k{k}e;')
    for n, _, _, _ in VARS: print(f'            case "{n}{k}" -> FlashProbe::{n}{k};')
    for n in WVARS: print(f'            case "{n}{k}" -> FlashProbe::{n}{k};')
print("""            default -> throw new IllegalArgumentException(v + k);
        };
    }

    /** x split per 32-block: [x0, x2, .., x30, x1, x3, .., x31]. */
    static float[] split(float[] x) {
        float[] s = new float[x.length];
        for (int c = 0; c < x.length; c += 32) for (int j = 0; j < 16; j++) { s[c + j] = x[c + 2 * j]; s[c + 16 + j] = x[c + 2 * j + 1]; }
        return s;
    }

    /** Each word's even bits to its low 16, odd bits to its high 16 (pext, once). */
    static int[] presplit(int[] b) {
        int[] o = new int[b.length];
        for (int i = 0; i < b.length; i++) o[i] = Integer.compress(b[i], 0x55555555) | Integer.compress(b[i], 0xAAAAAAAA) << 16;
        return o;
    }

    /** Odd planes pre-split, even planes raw (the mixed variant X). */
    static int[] mixsplit(int[] b, int k, int wpr) {
        int[] o = b.clone(), p = presplit(b);
        for (int i = 1; i < k; i += 2) System.arraycopy(p, i * wpr, o, i * wpr, wpr);
        return o;
    }

    /** One row's k planes [i][w] reordered to [w][i]. */
    static int[] interleave(int[] b, int k, int wpr) {
        int[] o = new int[b.length];
        for (int i = 0; i < k; i++) for (int w = 0; w < wpr; w++) o[w * k + i] = b[i * wpr + w];
        return o;
    }

    public static void main(String[] a) {
        int h = 2048, reps = Integer.parseInt(a.length > 0 ? a[0] : "20000");
        java.util.Random rnd = new java.util.Random(1);
        short[] w = new short[h]; float[] x = new float[h];
        for (int i = 0; i < h; i++) { w[i] = (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16); x[i] = (float) rnd.nextGaussian(); }
        float[] xs = split(x);
        String[] vs = (a.length > 1 ? a[1] : "O,A,E,F").split(",");
        for (int k : new int[] {1, 2, 4, 8}) {
            int wpr = h / 32; int[] bits = new int[k * wpr];
            for (int i = 0; i < bits.length; i++) bits[i] = rnd.nextInt();
            float[] ref = new float[1 + k];
            pick("O", k).run(ref, w, 0, x, 0, bits, 0, wpr, h);
            StringBuilder sb = new StringBuilder("nm=" + k);
            int nv = vs.length; double[] best = new double[nv]; java.util.Arrays.fill(best, 1e9);
            T[] ts = new T[nv]; float[][] xx = new float[nv][]; int[][] bb = new int[nv][]; double[] err = new double[nv];
            for (int q = 0; q < nv; q++) {
                ts[q] = pick(vs[q], k); xx[q] = (vs[q].equals("E") || vs[q].equals("F") || vs[q].equals("H") || vs[q].equals("J") || vs[q].equals("K") || vs[q].equals("N") || vs[q].equals("S") || "WRPQX".contains(vs[q])) ? xs : x;
                bb[q] = vs[q].equals("P") ? presplit(bits) : vs[q].equals("Q") ? interleave(presplit(bits), k, wpr) : vs[q].equals("X") ? mixsplit(bits, k, wpr) : bits;
                float[] res = new float[1 + k];
                for (int r = 0; r < 3 * reps; r++) ts[q].run(res, w, 0, xx[q], 0, bb[q], 0, wpr, h); // warm up (C2)
                for (int i = 0; i <= k; i++) err[q] = Math.max(err[q], Math.abs(res[i] - ref[i]));
            }
            float[] res = new float[1 + k];
            for (int rep = 0; rep < 15; rep++)
                for (int q = 0; q < nv; q++) { // round robin: every variant sees the same load drift
                    long t0 = System.nanoTime();
                    for (int r = 0; r < reps; r++) ts[q].run(res, w, 0, xx[q], 0, bb[q], 0, wpr, h);
                    best[q] = Math.min(best[q], (System.nanoTime() - t0) / (double) reps / (h / 16));
                }
            for (int q = 0; q < nv; q++) sb.append(String.format("  %s %.3f ns/16 (err %.1e)", vs[q], best[q], err[q]));
            System.out.println(sb);
        }
    }
}""")
