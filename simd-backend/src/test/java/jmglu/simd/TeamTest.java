package jmglu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The helper team behind Parallel.chunks: every row exactly once, errors reach the caller, nested regions run inline. */
class TeamTest {

    @Test void everyRowOnceWhateverTheSizes() {
        Parallel par = new Parallel(3);
        for (int n : new int[] {1, 2, 15, 16, 17, 100, 1000, 4099})
            for (int min : new int[] {1, 16, 64})
                for (int rep = 0; rep < 20; rep++) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(n);
                    par.chunks(n, Long.MAX_VALUE, min, (lo, hi) -> {
                        if (lo < 0 || hi > n || lo >= hi) throw new AssertionError("chunk [" + lo + ", " + hi + ") of " + n);
                        for (int i = lo; i < hi; i++) seen.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "row " + i + " of " + n + " (min " + min + ")");
                }
    }

    @Test void anErrorInAnyChunkReachesTheCaller() {
        Parallel par = new Parallel(2);
        for (int bad : new int[] {0, 500, 999}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.chunks(1000, Long.MAX_VALUE, 1, (lo, hi) -> {
                if (lo <= bad && bad < hi) throw new IllegalStateException("row " + bad);
            }));
            assertEquals("row " + bad, e.getMessage());
        }
        AtomicIntegerArray seen = new AtomicIntegerArray(10);                  // the team still works afterwards
        par.chunks(10, Long.MAX_VALUE, 1, (lo, hi) -> { for (int i = lo; i < hi; i++) seen.incrementAndGet(i); });
        for (int i = 0; i < 10; i++) assertEquals(1, seen.get(i));
    }

    @Test void nestedRegionsRunInline() {
        Parallel par = new Parallel(2);
        AtomicIntegerArray seen = new AtomicIntegerArray(64 * 64);
        par.chunks(64, Long.MAX_VALUE, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int row = i;
                par.chunks(64, Long.MAX_VALUE, 1, (a, b) -> { for (int j = a; j < b; j++) seen.incrementAndGet(row * 64 + j); });
            }
        });
        for (int i = 0; i < 64 * 64; i++) assertEquals(1, seen.get(i));
    }
}
