package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Backend selection: a usable default, the reference always there, a clear error for a missing name, nothing cached. */
class BackendsTest {

    @Test void defaultIsUsableAndNotShared() {
        try (Backend a = Backends.open(null); Backend b = Backends.open("")) {
            assertNotSame(a, b, "every open() is a new backend owned by its caller");
            assertEquals(a.name(), b.name());
            float[] c = new float[4];
            a.kernels().matmul(c, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0, 2, 2, 2, false);
            assertArrayEquals(new float[] {19, 22, 43, 50}, c, "the default backend multiplies [[1,2],[3,4]]·[[5,6],[7,8]]");
            assertTrue(Backends.available().contains(a.name()), "the default '" + a.name() + "' is one of the available backends");
        }
    }

    @Test void referenceAlwaysAvailable() {
        assertEquals("reference", Backends.open("reference").name());
        assertEquals("reference", Backends.open("REFERENCE").name(), "names are case-insensitive");
        assertTrue(Backends.available().contains("reference"));
        var ps = Backends.providers();
        for (int i = 1; i < ps.size(); i++) assertTrue(ps.get(i - 1).priority() >= ps.get(i).priority(), "providers in priority order");
    }

    /** Host backends keep F32 KV caches: the default kvCacheType, and zeros of another type refused by name. */
    @Test void hostCachesStayF32() {
        try (Backend be = Backends.open("reference")) {
            assertEquals(DType.F32, be.kvCacheType());
            assertEquals(DType.F32, be.zeros(DType.F32, 2, 3).dtype());
            var e = assertThrows(UnsupportedOperationException.class, () -> be.zeros(DType.F16, 2, 3));
            assertTrue(e.getMessage().contains("reference"), e.getMessage());
        }
    }

    @Test void missingBackendNamesItselfAndTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.open("nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("available: ") && e.getMessage().contains("reference"), e.getMessage());
    }

    @Test void missingOpIsOneClearLine() {
        Backend b = Backends.open("reference");
        b.require("the test", "linear", "flashMglu");
        var e = assertThrows(UnsupportedOperationException.class, () -> b.require("Top-K decoding", "teleport"));
        assertEquals("backend 'reference' does not implement teleport, which Top-K decoding needs", e.getMessage());
    }
}
