package jmglu.engine;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Backend selection: a usable default, the reference always there, a clear error for a missing name. */
class BackendsTest {

    @Test void defaultIsUsable() {
        assertTrue(System.getProperty(Backends.PROPERTY, "").isEmpty(), "the engine tests run without -Djmglu.backend");
        Kernels k = Backends.get();
        assertNotNull(k);
        assertSame(k, Backends.get(), "the choice is cached");
        float[] c = new float[4];
        k.matmul(c, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0, 2, 2, 2, false);
        assertArrayEquals(new float[] {19, 22, 43, 50}, c, "the default backend multiplies [[1,2],[3,4]]·[[5,6],[7,8]]");
        boolean listed = false;
        for (KernelsProvider p : Backends.providers()) listed |= p.name().equals(k.name());
        assertTrue(listed, "the default '" + k.name() + "' is one of the providers");
    }

    @Test void referenceAlwaysAvailable() {
        assertEquals("reference", Backends.select("reference").name());
        assertEquals("reference", Backends.select("REFERENCE").name(), "names are case-insensitive");
        assertTrue(Backends.providers().stream().anyMatch(p -> p.name().equals("reference") && p.unavailableReason() == null));
        var ps = Backends.providers();
        for (int i = 1; i < ps.size(); i++) assertTrue(ps.get(i - 1).priority() >= ps.get(i).priority(), "providers in priority order");
    }

    @Test void missingBackendNamesItselfAndTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("available: ") && e.getMessage().contains("reference"), e.getMessage());
    }
}
