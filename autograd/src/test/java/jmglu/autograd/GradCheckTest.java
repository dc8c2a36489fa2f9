package jmglu.autograd;

import jmglu.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GradCheck itself must be able to fail: an op with a wrong backward is caught. */
class GradCheckTest {
    static final F f = new F(new jmglu.engine.ReferenceKernels());

    /** out = x², but the backward claims 2x + 0.1 (a small bug). */
    static final class WrongSquare extends Op {
        private final Var x;
        WrongSquare(Var x) { super("wrongSquare"); this.x = x; }
        static Var apply(Var x) {
            float[] a = x.value().toArray();
            for (int i = 0; i < a.length; i++) a[i] *= a[i];
            return new WrongSquare(x).record(null, Tensor.of(a, x.shape()), x);
        }
        @Override protected void backward(Tensor dy) {
            float[] g = grad(x), xv = x.value().toArray(), d = dy.data();
            for (int i = 0; i < g.length; i++) g[i] += d[i] * (2 * xv[i] + 0.1f);
        }
    }

    @Test void aWrongBackwardIsCaught() {
        Var x = Vars.param(1, 1, 4);
        AssertionError e = assertThrows(AssertionError.class,
                () -> GradCheck.check("wrongSquare", () -> WrongSquare.apply(x), 1e-2, 2e-3, 2e-2, x));
        assertTrue(e.getMessage().contains("wrongSquare"), e.getMessage());
    }

    @Test void theRightBackwardPasses() {
        Var x = Vars.param(1, 1, 4);
        double worst = GradCheck.check("square", () -> f.mul(x, x), 1e-2, 2e-3, 2e-2, x);
        assertTrue(worst < 1e-3, "worst |analytic − numeric| " + worst);
    }
}
