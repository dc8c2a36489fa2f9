package jmglu.autograd.ops;

import jmglu.autograd.Var;
import jmglu.engine.Tensor;

/**
 * Shared checks and array access for the ops: shape strings like "(4, 8)" for error messages,
 * rank and equality checks that throw one IllegalArgumentException naming the op and shapes,
 * and dense() for kernels that index their arrays from 0 (a view with an offset is copied).
 */
final class Shapes {
    private Shapes() {}

    /** "(4, 8)". */
    static String str(int[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : ", ").append(shape[i]);
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    static String str(Var v) { return str(v.shape()); }

    static IllegalArgumentException fail(String op, String msg) {
        return new IllegalArgumentException(op + ": " + msg);
    }

    static void notNull(String op, String name, Object v) {
        if (v == null) throw fail(op, name + " is null");
    }

    static void rank(String op, String name, Var v, int rank) {
        notNull(op, name, v);
        if (v.shape().length != rank)
            throw fail(op, name + " must have rank " + rank + ", got " + str(v));
    }

    static void rankAtLeast(String op, String name, Var v, int rank) {
        notNull(op, name, v);
        if (v.shape().length < rank)
            throw fail(op, name + " must have rank at least " + rank + ", got " + str(v));
    }

    static void sameShape(String op, String an, Var a, String bn, Var b) {
        notNull(op, an, a);
        notNull(op, bn, b);
        if (!a.value().sameShape(b.value()))
            throw fail(op, an + " " + str(a) + " and " + bn + " " + str(b) + ": shapes differ");
    }

    /** The last dimension. */
    static int last(Var v) { int[] s = v.shape(); return s[s.length - 1]; }

    /** The shape with its last dimension replaced. */
    static int[] withLast(int[] shape, int last) {
        int[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /** The elements of t in an array that starts at index 0 and holds exactly size() elements (shared when possible). */
    static float[] dense(Tensor t) {
        float[] d = t.data();
        return t.offset() == 0 && d.length == t.size() ? d : t.toArray();
    }
}
