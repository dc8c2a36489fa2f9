package jmglu.simd;

/**
 * The SIMD backend's settings, fixed when a {@link SimdKernels} is made: nothing in the backend is
 * a static switch, so two kernels with different settings can run side by side in one JVM (tests
 * and A/B mains do exactly that).
 *
 * <p>The tile choices decide which of two equivalent FlashMGLU paths runs; both compute the same
 * sums, only their speed differs (the A/B that chose the defaults is in lab/simd/results/README.md).
 * The even/odd tiles need 16 float lanes (AVX-512): where the preferred vector is narrower they are
 * never used, whatever these settings ask.
 *
 * @param threads      threads a kernel splits its rows over (≥ 1; 1 = the calling thread only)
 * @param eTileNms     bit nm set: B = 1 BF16 FlashMGLU rows with nm masks (nm ∈ {1, 2, 4, 8}) use the
 *                     even/odd "e" tile (FlashTilesBf16.b1kKe); clear: the widening "h" tile (b1kKh)
 * @param evenOddBatch B > 1 BF16 FlashMGLU rows use the even/odd batch tiles over the raw row
 *                     (FlashTilesBf16Batch); false: the row is widened, then swept by FlashTiles
 */
public record SimdSettings(int threads, int eTileNms, boolean evenOddBatch) {

    /** Every nm that has an "e" tile: 1, 2, 4, 8. */
    public static final int ALL_E_TILES = 1 << 1 | 1 << 2 | 1 << 4 | 1 << 8;

    public SimdSettings {
        if (threads < 1) throw new IllegalArgumentException("SimdSettings: threads must be ≥ 1, got " + threads);
    }

    /**
     * The defaults, reading the system properties once, here: {@code -Djmglu.threads=N} (default: the
     * available processors) and {@code -Djmglu.simd.evenOdd=false} (turns every even/odd tile off).
     */
    public static SimdSettings defaults() {
        int threads = Math.max(1, Integer.getInteger("jmglu.threads", Runtime.getRuntime().availableProcessors()));
        boolean evenOdd = !"false".equals(System.getProperty("jmglu.simd.evenOdd"));
        return new SimdSettings(threads, evenOdd ? ALL_E_TILES : 0, evenOdd);
    }

    public SimdSettings withThreads(int n) { return new SimdSettings(n, eTileNms, evenOddBatch); }

    public SimdSettings withETileNms(int bits) { return new SimdSettings(threads, bits, evenOddBatch); }

    public SimdSettings withEvenOddBatch(boolean on) { return new SimdSettings(threads, eTileNms, on); }

    /** Whether B = 1 BF16 rows with nm masks take the "e" tile (asked for, and 16 float lanes). */
    boolean eTile(int nm) { return FlashTilesBf16.EVEN_ODD && (eTileNms >>> nm & 1) != 0; }

    /** Whether B > 1 BF16 rows take the even/odd batch tiles (asked for, and 16 float lanes). */
    boolean evenOddB() { return FlashTilesBf16.EVEN_ODD && evenOddBatch; }
}
