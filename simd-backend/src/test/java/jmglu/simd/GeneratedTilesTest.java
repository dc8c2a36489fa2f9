package jmglu.simd;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed tile classes are exactly what gen/flash_tiles.py prints: the generator is run
 * (python3; CI installs it) once per class into a temp dir and each output is compared byte for
 * byte with the source under src/main/java. A failure means someone edited a generated file, or
 * changed the generator without regenerating (the command is in the script's docstring).
 */
class GeneratedTilesTest {
    static final String[][] FILES = {
            {"float", "FlashTiles"}, {"bf16", "FlashTilesBf16"}, {"bf16seg", "FlashTilesBf16Seg"},
            {"bf16batch", "FlashTilesBf16Batch"}, {"bf16batchseg", "FlashTilesBf16BatchSeg"}};

    @Test void committedTilesEqualTheGeneratorsOutput(@TempDir Path tmp) throws IOException, InterruptedException {
        Path module = Path.of("").toAbsolutePath(), script = module.resolve("gen/flash_tiles.py");
        assertTrue(Files.isRegularFile(script), "run from the simd-backend module: no " + script);
        for (String[] f : FILES) {
            Path out = tmp.resolve(f[1] + ".java"), err = tmp.resolve(f[1] + ".err");
            Process p;
            try {
                p = new ProcessBuilder("python3", script.toString(), f[0]).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new AssertionError("python3 is needed to check the generated tiles (Debian: apt-get install python3): " + e.getMessage(), e);
            }
            assertEquals(0, p.waitFor(), "flash_tiles.py " + f[0] + " failed: " + Files.readString(err));
            byte[] generated = Files.readAllBytes(out), committed = Files.readAllBytes(module.resolve("src/main/java/jmglu/simd/" + f[1] + ".java"));
            if (!Arrays.equals(generated, committed)) {
                int i = Arrays.mismatch(generated, committed);
                String g = new String(generated), c = new String(committed);
                int line = (int) c.substring(0, Math.min(i, c.length())).chars().filter(ch -> ch == '\n').count() + 1;
                fail(f[1] + ".java differs from `python3 gen/flash_tiles.py " + f[0] + "` from line " + line + " (byte " + i + "): regenerate it");
            }
        }
    }
}
