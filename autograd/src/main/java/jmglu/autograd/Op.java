package jmglu.autograd;

import jmglu.engine.Kernels;
import jmglu.engine.Tensor;

/**
 * One differentiable operation: a subclass computes its forward in a static factory, keeps what
 * its backward needs (saved activations) in fields, and implements {@link #backward} right next
 * to it. Backward accumulates ({@code +=}) into the gradients of the inputs that need one.
 *
 * <p>Lifetime: {@link #record} attaches the op to its output Var only when some input needs a
 * gradient and recording is on; otherwise the op (and what it saved) is simply dropped. After
 * {@link Var#backward()} has run an op it calls {@link #release()} and forgets the op, so saved
 * activations do not outlive one step.
 */
public abstract class Op {
    private final String name;
    /** The kernels the forward ran on; the backward runs on the same ones (set by {@link #record}). */
    protected Kernels kernels;

    protected Op(String name) { this.name = name; }

    /** The op's name as used in error messages ("linear", "mglu", ...). */
    public final String name() { return name; }

    /**
     * The output Var for value: a graph node produced by this op when some input requires a
     * gradient and recording is on, else a constant.
     */
    protected final Var record(Kernels kernels, Tensor value, Var... inputs) {
        if (!recording(inputs)) return Var.constant(value);
        this.kernels = kernels;
        return new Var(value, this, inputs.clone());
    }

    /** Whether an op over these inputs will be recorded (lets a forward skip saving when not). */
    protected static boolean recording(Var... inputs) {
        if (!Autograd.gradEnabled()) return false;
        for (Var v : inputs) if (v.requiresGrad()) return true;
        return false;
    }

    /** Accumulates the gradients of the inputs from dOut, the gradient of the output (same shape). */
    protected abstract void backward(Tensor dOut);

    /** Drops saved activations (called once the op's backward has run). */
    protected void release() {}

    /** Whether v needs a gradient from this op. */
    protected static boolean needs(Var v) { return v.requiresGrad(); }

    /**
     * The gradient buffer of v, allocated as zeros on first use: an F32 tensor of v's shape at
     * offset 0, so kernels can index its data() from 0.
     */
    protected static float[] grad(Var v) { return v.gradBuffer().data(); }

    @Override public String toString() { return name; }
}
