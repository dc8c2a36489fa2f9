package jmglu.examples;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The examples run as a user would run them: train in-process, then stream text from the packed model. */
class ExamplesTest {
    @TempDir Path dir;

    @Test void trainThenStream() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            TrainInProcess.main(new String[] {dir.toString(), "120"});
            assertTrue(Files.exists(dir.resolve("model.safetensors")));
            StreamText.main(new String[] {dir.toString(), "public static "});
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        System.out.println(out);
        assertTrue(out.contains("validation loss"), out);
        assertTrue(out.contains("tokens/s, stopped: "), out);
        assertTrue(out.contains("on simd"), "the examples run on the default backend: " + out);
    }
}
