package jmglu.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import jmglu.engine.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernel-table harness on the cpu device at tiny, awkward shapes: the CSV has the documented
 * header and one row per (case, kernel) plus the ceiling, every kernel's output agrees with the
 * float64 reference (max_rel_err), and a bad device name is one clear error. No timing is
 * asserted: performance lives in `./jmglu bench`, not in tests.
 */
class KernelTableTest {

    @BeforeAll
    static void smallRotation() {
        // keep the rotated weight sets and the ceiling buffer small (read once at class init)
        System.setProperty("jmglu.bench.rotateBytes", String.valueOf(1 << 20));
    }

    @Test
    void csvRowsAndErrors() {
        StringWriter csv = new StringWriter();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (KernelDevice dev = KernelDevices.open("cpu"); PrintWriter w = new PrintWriter(csv)) {
            KernelTable.run(dev, "cpu", DType.BF16, List.of(new int[] {67, 33}), List.of(1, 3), List.of(1, 3),
                    true, new PrintStream(text), w);
        }
        List<String> lines = csv.toString().lines().toList();
        assertEquals(KernelTable.CSV_HEADER, lines.get(0));
        assertTrue(lines.get(1).contains(",ceiling,"), lines.get(1));
        assertEquals(2 + 2 * 2 * 3, lines.size(), "header + ceiling + 3 kernels × 4 cases");
        for (String row : lines.subList(2, lines.size())) {
            String[] f = row.split(",");
            assertEquals(11, f.length, row);
            assertTrue(List.of("flashmglu", "naive_mglu", "swiglu").contains(f[6]), row);
            assertTrue(Double.parseDouble(f[7]) > 0, "ms must be positive: " + row);
            assertTrue(Double.parseDouble(f[10]) < 1e-3, "max_rel_err vs the reference: " + row);
        }
        assertTrue(text.toString().contains("h×d = 67×33"), text.toString());
        assertTrue(text.toString().contains("compute ceiling: FMA "), text.toString());
    }

    @Test
    void unknownDevice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelDevices.open("tpu"));
        assertTrue(e.getMessage().contains("'tpu'"), e.getMessage());
    }
}
