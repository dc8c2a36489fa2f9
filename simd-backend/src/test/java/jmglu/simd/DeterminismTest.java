package jmglu.simd;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Training on simd is reproducible bit for bit (issue 11): every reducing kernel gives the same bits
 * interpreted and C2-compiled, run after run, and whatever the thread count.
 * <ul>
 *   <li>Two child JVMs run {@link DeterminismProbe} with 2 threads: one with -Xint (the Vector API's
 *       Java fallbacks throughout), one normally, printing its hashes cold (first calls, before C2)
 *       and again warm (after thousands of calls). All three passes must agree kernel by kernel. The
 *       probe's reduceLanes canary must change between the cold and warm pass: proof that the warm
 *       pass ran C2 code (where reduceLanes sums in another order than the interpreter).</li>
 *   <li>In this JVM the probe's cases give the same bits on 1, 2 and 3 threads.</li>
 * </ul>
 */
class DeterminismTest {

    @Test void interpretedColdAndCompiledAgree() throws Exception {
        Map<String, String> xint = hashes(run(List.of("-Xint"), "2", "0"), "cold");
        List<String> normal = run(List.of(), "2", "5000");
        Map<String, String> cold = hashes(normal, "cold"), warm = hashes(normal, "warm");
        assertEquals(DeterminismProbe.CASES.size() + 1, warm.size(), "probe output: " + normal);
        assertNotEquals(cold.get("canary"), warm.get("canary"), "the warm pass did not run C2 code (the reduceLanes canary kept its interpreted value)");
        for (String kernel : DeterminismProbe.CASES.keySet()) {
            assertEquals(xint.get(kernel), cold.get(kernel), kernel + ": -Xint run vs the first calls of another run");
            assertEquals(cold.get(kernel), warm.get(kernel), kernel + ": first calls vs C2-compiled calls");
        }
    }

    @Test void threadCountDoesNotChangeBits() {
        SimdKernels one = new SimdKernels(SimdSettings.defaults().withThreads(1));
        for (int threads : new int[] {2, 3}) {
            SimdKernels k = new SimdKernels(SimdSettings.defaults().withThreads(threads));
            DeterminismProbe.CASES.forEach((name, c) -> assertEquals(c.run(one, 1), c.run(k, 1), name + ": " + threads + " threads vs 1"));
        }
    }

    /** "pass name hash" lines of one pass, by name. */
    static Map<String, String> hashes(List<String> lines, String pass) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : lines) {
            String[] f = l.split(" ");
            if (f.length == 3 && f[0].equals(pass)) m.put(f[1], f[2]);
        }
        return m;
    }

    /** Runs DeterminismProbe in a child JVM on this JVM's class path; returns its stdout lines. */
    static List<String> run(List<String> jvmFlags, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(jvmFlags);
        cmd.add(DeterminismProbe.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child JVM " + cmd + " failed; stdout: " + out);
        return out.lines().toList();
    }
}
