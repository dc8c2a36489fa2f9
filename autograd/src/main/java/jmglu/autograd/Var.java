package jmglu.autograd;

import jmglu.engine.DType;
import jmglu.engine.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A node of the computation graph: a value tensor, its gradient, and the op (with its inputs)
 * that produced it. Leaves are parameters (collect a gradient) or constants (do not).
 *
 * <p>{@link #backward()} on a scalar seeds dL/dL = 1 and runs the ops in reverse topological
 * order; each op adds into the gradients of its inputs. Afterwards the graph is dismantled: every
 * op drops its saved activations, every non-leaf gradient is freed and the links to the inputs
 * are cut, so one training step's graph is garbage as soon as the caller drops the loss.
 * Parameter gradients accumulate across backward calls until {@link #zeroGrad()}.
 */
public final class Var {
    private final Tensor value;
    private Tensor grad;                 // F32, offset 0, value's shape; null until first accumulated
    private final boolean requiresGrad;
    private final boolean leaf;
    Op op;                               // the producer (null for leaves and after backward)
    Var[] inputs;                        // the producer's inputs (null for leaves and after backward)
    private boolean consumed;            // a non-leaf whose graph was freed by backward()

    private Var(Tensor value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.leaf = true;
    }

    Var(Tensor value, Op op, Var[] inputs) {
        this.value = value;
        this.requiresGrad = true;
        this.leaf = false;
        this.op = op;
        this.inputs = inputs;
    }

    /** A leaf that collects a gradient (a trainable parameter, or an input being differentiated). */
    public static Var param(Tensor t) { return new Var(checkF32("Var.param", t), true); }

    /**
     * A leaf without gradient (data, targets, fixed masks). A constant may hold any tensor (a BF16
     * weight in a mapped file, a device buffer) for code that only reads it; the autograd ops
     * themselves compute on heap F32 and say so when given anything else.
     */
    public static Var constant(Tensor t) {
        if (t == null) throw new IllegalArgumentException("Var.constant: tensor is null");
        return new Var(t, false);
    }

    private static Tensor checkF32(String what, Tensor t) {
        if (t == null) throw new IllegalArgumentException(what + ": tensor is null");
        if (t.dtype() != DType.F32)
            throw new IllegalArgumentException(what + ": autograd computes in F32, got a " + t.dtype() + " tensor " + Arrays.toString(t.shape()) + " (convert with to(DType.F32))");
        return t;
    }

    public Tensor value() { return value; }

    /** Same shape as value; null before backward reached this Var, for constants, and for freed non-leaves. */
    public Tensor grad() { return grad; }

    public int[] shape() { return value.shape(); }

    public boolean requiresGrad() { return requiresGrad; }

    public boolean isLeaf() { return leaf; }

    /** Sets the gradient to zeros (kept allocated, so steps reuse the buffer); a no-op before the first backward. */
    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad.data(), 0f);
    }

    /** The gradient buffer, allocated as zeros on first use (for ops accumulating into it). */
    Tensor gradBuffer() {
        if (!requiresGrad) throw new IllegalStateException("gradient requested for a Var that does not require one");
        if (grad == null) grad = Tensor.zeros(value.shape());
        return grad;
    }

    /**
     * Backpropagates from this scalar (size-1) Var: seeds 1, runs every op in reverse topological
     * order accumulating into the gradients of the parameters, then frees saved activations and
     * non-leaf gradients. A graph can be backpropagated once.
     */
    public void backward() {
        if (value.size() != 1)
            throw new IllegalArgumentException("backward: needs a scalar (size-1) Var, got shape " + Arrays.toString(value.shape()));
        if (!requiresGrad)
            throw new IllegalStateException("backward: this value does not depend on any parameter (or was computed under noGrad)");
        if (consumed)
            throw new IllegalStateException("backward: the graph of this value was already freed by an earlier backward()");
        List<Var> order = topologicalOrder();
        gradBuffer().data()[0] += 1f;
        for (int n = order.size() - 1; n >= 0; n--) {
            Var v = order.get(n);
            if (v.op == null) continue;
            if (v.grad != null) v.op.backward(v.grad);
            v.op.release();
            v.op = null;
            v.inputs = null;
            v.consumed = true;
            v.grad = null;   // a non-leaf gradient is not needed once its op has run
        }
    }

    /** Non-leaf nodes reachable from this one (through Vars that require a gradient), inputs before users. */
    private List<Var> topologicalOrder() {
        List<Var> order = new ArrayList<>();
        Set<Var> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        // iterative post-order DFS (graphs of deep models would overflow a recursive one)
        ArrayDeque<Var> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>();
        stack.push(this); next.push(0); seen.add(this);
        while (!stack.isEmpty()) {
            Var v = stack.peek();
            int i = next.pop();
            if (v.inputs != null && i < v.inputs.length) {
                next.push(i + 1);
                Var in = v.inputs[i];
                if (in.requiresGrad && in.op != null && seen.add(in)) { stack.push(in); next.push(0); }
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override public String toString() {
        return "Var" + Arrays.toString(value.shape()) + (leaf ? (requiresGrad ? " param" : " constant") : " (" + (op == null ? "freed" : op.name()) + ")");
    }
}
