package jmglu.gpu;

import java.util.ArrayList;
import java.util.List;
import jmglu.engine.Act;
import jmglu.engine.decode.Decoder;
import jmglu.engine.decode.DecoderWeights;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * A {@link Decoder} with every weight resident on the OpenCL device (uploaded once, at open) and
 * the KV cache on the device; per token only the token id goes in (as a buffer offset) and only
 * the logits come back. Same semantics as {@link jmglu.engine.decode.KernelsDecoder}:
 * <pre>
 *   x = emb[token]
 *   per layer: n = rmsnorm(x); q, k, v = Wq n, Wk n, Wv n; rope(q), rope(k); cache k, v at pos;
 *              x += Wo · attnStep(q, caches[0..pos]);  x += W2 · ffn(rmsnorm(x))
 *   logits = lmHead · rmsnorm(x)
 * </pre>
 * ffn: gelu (GEMV + GELU), swiglu (one fused kernel when W1 and W3 share a dtype, else two GEMVs),
 * mglu (FlashMGLU). Top-K routed MGLU is not implemented on the device: open() says so.
 * RoPE angles come from a (maxSeq, hd/2) cos/sin table computed on the host in float64.
 */
public final class OpenClDecoder implements Decoder {
    private final OpenClContext cl;
    private final OpenClMglu mglu;
    private final DecoderWeights w;
    private final int maxSeq, C, hd, H;
    private final List<cl_mem> owned = new ArrayList<>();
    private final List<OpenClMglu.DeviceMatrix> mats = new ArrayList<>();
    private final List<OpenClMglu.DeviceMasks> masks = new ArrayList<>();
    private final List<Layer> layers = new ArrayList<>();
    private final cl_mem emb, finalNorm, ropeTab, x, n, q, k, v, att, proj, ffnH, ffnV, logits, scores;
    private final OpenClMglu.DeviceMatrix lmHead;
    private final cl_kernel rmsnorm, rope, attn, add, actGelu, actFfn, mul;
    private final float[] out;

    private record Layer(cl_mem attnNorm, OpenClMglu.DeviceMatrix wq, OpenClMglu.DeviceMatrix wk, OpenClMglu.DeviceMatrix wv,
                         OpenClMglu.DeviceMatrix wo, cl_mem ffnNorm, OpenClMglu.DeviceMatrix w1, OpenClMglu.DeviceMatrix w3,
                         OpenClMglu.DeviceMatrix w2, OpenClMglu.DeviceMasks masks, cl_mem kCache, cl_mem vCache) {}

    /** Uploads the weights; the decoder owns (and closes) cl. */
    public OpenClDecoder(OpenClContext cl, DecoderWeights weights, int maxSeq) {
        if (maxSeq <= 0) throw new IllegalArgumentException("opencl decoder: maxSeq must be positive, got " + maxSeq);
        if (weights.ffn().equals("mglu") && weights.topK() > 0)
            throw new IllegalArgumentException("opencl decoder: Top-K routed MGLU (topK=" + weights.topK()
                    + ") is not implemented on the OpenCL device; use --device cpu or simd for this model");
        if (weights.headDim() % 2 != 0)
            throw new IllegalArgumentException("opencl decoder: RoPE needs an even head size, got " + weights.headDim());
        this.cl = cl;
        this.mglu = new OpenClMglu(cl);
        this.w = weights;
        this.maxSeq = maxSeq;
        this.C = weights.dim();
        this.hd = weights.headDim();
        this.H = weights.hidden();
        emb = keep(cl.upload(weights.tokenEmbedding()));
        finalNorm = keep(cl.upload(weights.finalNorm()));
        lmHead = mat(weights.lmHead());
        for (DecoderWeights.Layer L : weights.layers())
            layers.add(new Layer(keep(cl.upload(L.attnNorm())), mat(L.wq()), mat(L.wk()), mat(L.wv()), mat(L.wo()),
                    keep(cl.upload(L.ffnNorm())), L.masks() == null ? mat(L.w1()) : matTc(L.w1()), L.w3() == null ? null : mat(L.w3()), mat(L.w2()),
                    L.masks() == null ? null : masks(L.masks()),
                    keep(cl.alloc(4L * maxSeq * C)), keep(cl.alloc(4L * maxSeq * C))));
        ropeTab = keep(cl.upload(ropeTable(maxSeq, hd, weights.ropeTheta())));
        x = buf(C); n = buf(C); q = buf(C); k = buf(C); v = buf(C); att = buf(C); proj = buf(C);
        ffnH = buf(H); ffnV = buf(H); logits = buf(weights.vocab()); scores = buf(weights.nHeads() * maxSeq);
        rmsnorm = cl.kernel("decode.cl", "-DACT=1", "rmsnorm");
        rope = cl.kernel("decode.cl", "-DACT=1", "rope");
        attn = cl.kernel("decode.cl", "-DACT=1", "attn_step");
        add = cl.kernel("decode.cl", "-DACT=1", "add_inplace");
        mul = cl.kernel("decode.cl", "-DACT=1", "mul_inplace");
        actGelu = cl.kernel("decode.cl", "-DACT=1", "act_inplace");
        actFfn = cl.kernel("decode.cl", "-DACT=" + weights.act().ordinal(), "act_inplace");
        out = new float[weights.vocab()];
    }

    /** cos, sin of θ = p · theta^(−2j/hd) for p < maxSeq, j < hd/2 (float64, as ReferenceKernels.rope). */
    static float[] ropeTable(int maxSeq, int hd, float theta) {
        float[] t = new float[maxSeq * hd];
        for (int p = 0; p < maxSeq; p++)
            for (int j = 0; j < hd / 2; j++) {
                double ang = p * Math.pow(theta, -2.0 * j / hd);
                t[(p * (hd / 2) + j) * 2] = (float) Math.cos(ang);
                t[(p * (hd / 2) + j) * 2 + 1] = (float) Math.sin(ang);
            }
        return t;
    }

    @Override public int maxSeq() { return maxSeq; }

    @Override public String describe() { return "opencl: " + cl.describe(); }

    @Override
    public synchronized float[] forward(int token, int pos) {
        if (token < 0 || token >= w.vocab()) throw new IllegalArgumentException("decoder: token " + token + " outside vocabulary of " + w.vocab());
        if (pos < 0 || pos >= maxSeq) throw new IllegalArgumentException("decoder: position " + pos + " outside 0.." + (maxSeq - 1));
        cl.copy(emb, 4L * token * C, x, 0, 4L * C, null);                                  // x = emb[token]  (C)
        int nH = w.nHeads();
        for (Layer L : layers) {
            norm(n, x, L.attnNorm());
            gemv(q, L.wq());
            gemv(k, L.wk());
            gemv(v, L.wv());
            cl.launch(rope, nH * (hd / 2), 0, null, q, ropeTab, pos, nH, hd);
            cl.launch(rope, nH * (hd / 2), 0, null, k, ropeTab, pos, nH, hd);
            cl.copy(k, 0, L.kCache(), 4L * pos * C, 4L * C, null);                       // cache (maxSeq, nH, hd)
            cl.copy(v, 0, L.vCache(), 4L * pos * C, 4L * C, null);
            int ls = 64;
            cl.launch(attn, (long) nH * ls, ls, null, att, q, L.kCache(), L.vCache(), scores, pos + 1, nH, hd, maxSeq,
                    (float) (1.0 / Math.sqrt(hd)), new OpenClContext.Local(4L * ls));
            mglu.rows(OpenClMglu.GEMV, proj, null, att, L.wo(), null, null, 1, Act.SILU, null);
            cl.launch(add, C, 0, null, x, proj, C);
            norm(n, x, L.ffnNorm());
            ffn(L);
            mglu.rows(OpenClMglu.GEMV, proj, null, ffnH, L.w2(), null, null, 1, Act.SILU, null);
            cl.launch(add, C, 0, null, x, proj, C);
        }
        norm(n, x, finalNorm);
        mglu.rows(OpenClMglu.GEMV, logits, null, n, lmHead, null, null, 1, Act.SILU, null);
        cl.read(logits, out, out.length);                                                  // the only read back
        return out.clone();
    }

    /** ffnH (hidden) = ffn(n). */
    private void ffn(Layer L) {
        switch (w.ffn()) {
            case "gelu" -> {
                mglu.rows(OpenClMglu.GEMV, ffnH, null, n, L.w1(), null, null, 1, Act.GELU, null);
                cl.launch(actGelu, H, 0, null, ffnH, H);
            }
            case "swiglu" -> {
                if (L.w1().dtype() == L.w3().dtype()) {                                      // g(W1 n) ⊙ (W3 n), fused
                    mglu.rows(OpenClMglu.SWIGLU, ffnH, null, n, L.w1(), L.w3(), null, 1, w.act(), null);
                } else {
                    mglu.rows(OpenClMglu.GEMV, ffnV, null, n, L.w1(), null, null, 1, w.act(), null);
                    cl.launch(actFfn, H, 0, null, ffnV, H);
                    mglu.rows(OpenClMglu.GEMV, ffnH, null, n, L.w3(), null, null, 1, w.act(), null);
                    cl.launch(mul, H, 0, null, ffnH, ffnV, H);
                }
            }
            default -> mglu.rows(OpenClMglu.FLASH, ffnH, null, n, L.w1(), null, L.masks(), 1, w.act(), null);
        }
    }

    private void norm(cl_mem dst, cl_mem src, cl_mem weight) {
        int ls = 256;
        cl.launch(rmsnorm, ls, ls, null, dst, src, weight, C, w.normEps(), new OpenClContext.Local(4L * ls));
    }

    private void gemv(cl_mem y, OpenClMglu.DeviceMatrix m) {
        mglu.rows(OpenClMglu.GEMV, y, null, n, m, null, null, 1, Act.SILU, null);
    }

    private cl_mem keep(cl_mem m) { owned.add(m); return m; }

    private cl_mem buf(int floats) { return keep(cl.alloc(4L * floats)); }

    private OpenClMglu.DeviceMatrix mat(jmglu.engine.WeightMatrix m) {
        var d = OpenClMglu.DeviceMatrix.upload(cl, m);
        mats.add(d);
        return d;
    }

    /** A masked FFN matrix: also in the tensor-core tile layout when that path is on (held twice then). */
    private OpenClMglu.DeviceMatrix matTc(jmglu.engine.WeightMatrix m) {
        var d = OpenClMglu.DeviceMatrix.upload(cl, m, mglu.tensorCores());
        mats.add(d);
        return d;
    }

    private OpenClMglu.DeviceMasks masks(jmglu.engine.MaskPlanes m) {
        var d = OpenClMglu.DeviceMasks.upload(cl, m, mglu.tensorCores());
        masks.add(d);
        return d;
    }

    @Override
    public synchronized void close() {
        for (var m : mats) m.release();
        for (var m : masks) m.release();
        for (var m : owned) OpenClContext.release(m);
        mats.clear(); masks.clear(); owned.clear();
        mglu.release();
        cl.close();
    }
}
