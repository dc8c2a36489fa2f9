package jmglu.model;

import java.util.LinkedHashMap;
import java.util.Map;
import jmglu.autograd.Var;
import jmglu.engine.Rng;
import jmglu.engine.Tensor;

/**
 * The model's named parameters in creation order (the order of the checkpoint and of the
 * optimizer), created from one seeded Rng so that initialisation is reproducible. Names are
 * PyTorch style: "layers.0.attn.wq.weight".
 */
public final class Params {
    private final Map<String, Var> all = new LinkedHashMap<>();
    private final Rng rng;

    public Params(long seed) { this.rng = new Rng(seed); }

    /** std·N(0, 1) entries. */
    public Var randn(String name, double std, int... shape) { return add(name, Tensor.randn(rng, std, shape)); }

    /** All ones (norm gains). */
    public Var ones(String name, int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return add(name, Tensor.of(a, n));
    }

    private Var add(String name, Tensor t) {
        if (all.containsKey(name)) throw new IllegalStateException("duplicate parameter " + name);
        Var v = Var.param(t);
        all.put(name, v);
        return v;
    }

    public Map<String, Var> map() { return all; }

    /** Scoped names: params.scope("layers.0.") prefixes every name. */
    public Scope scope(String prefix) { return new Scope(prefix); }

    public final class Scope {
        private final String prefix;
        Scope(String prefix) { this.prefix = prefix; }
        public Var randn(String name, double std, int... shape) { return Params.this.randn(prefix + name, std, shape); }
        public Var ones(String name, int n) { return Params.this.ones(prefix + name, n); }
        public Scope scope(String more) { return new Scope(prefix + more); }
    }
}
