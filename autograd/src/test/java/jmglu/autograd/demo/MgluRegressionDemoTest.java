package jmglu.autograd.demo;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo really learns: one MGLU layer with trained masks fits a random teacher. */
class MgluRegressionDemoTest {

    @Test void lossFallsWellBelowTheStart() {
        for (long seed : new long[] {1, 2}) {
            MgluRegressionDemo.Result r = MgluRegressionDemo.train(new jmglu.engine.ReferenceKernels(), seed, 300, null);
            double first = MgluRegressionDemo.meanOf(r.losses(), 0, 10), last = MgluRegressionDemo.meanOf(r.losses(), 280, 300);
            assertTrue(last < 0.35 * first, "seed " + seed + ": loss " + first + " -> " + last + " should fall below 35% of the start");
            assertTrue(last < 0.5 * r.zeroLoss(), "seed " + seed + ": final loss " + last + " vs predicting zero " + r.zeroLoss());
            assertTrue(r.maskFlips() > 0.01, "seed " + seed + ": the masks should be trained, flipped fraction " + r.maskFlips());
        }
    }

    @Test void learnedMasksBeatFrozenMasksOnTheSameBatches() {
        MgluRegressionDemo.Result learned = MgluRegressionDemo.train(new jmglu.engine.ReferenceKernels(), 1, 300, null, true);
        MgluRegressionDemo.Result frozen = MgluRegressionDemo.train(new jmglu.engine.ReferenceKernels(), 1, 300, null, false);
        double a = MgluRegressionDemo.meanOf(learned.losses(), 250, 300), b = MgluRegressionDemo.meanOf(frozen.losses(), 250, 300);
        assertTrue(frozen.maskFlips() == 0, "frozen masks flipped");
        assertTrue(a < b, "learned masks " + a + " should beat frozen masks " + b);
    }

    @Test void runPrintsTheLossCurve() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        MgluRegressionDemo.run(new jmglu.engine.ReferenceKernels(), new PrintStream(buf, true), 3, 40);
        String s = buf.toString();
        assertTrue(s.contains("step    1  loss") && s.contains("step   40  loss") && s.contains("->") && s.contains("masks frozen"), s);
    }
}
