package jmglu.engine.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Linux's atomic exchange of two paths, through the FFM API:
 * <pre>
 *   int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
 *   renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)     a and b swap names in one step
 * </pre>
 * java.nio cannot rename a folder over a non-empty folder; this can, for folders and files alike,
 * and readers see one or the other, never neither. glibc has exported renameat2 since 2.28; the
 * kernel has had it since 3.15, though some filesystems refuse RENAME_EXCHANGE (EINVAL).
 * Calling a native function needs {@code --enable-native-access=ALL-UNNAMED} to stay quiet.
 */
final class Renameat2 {
    private Renameat2() {}

    private static final int AT_FDCWD = -100, RENAME_EXCHANGE = 2;
    private static final int ENOENT = 2, EACCES = 13, EXDEV = 18, EINVAL = 22, ENOSYS = 38, EPERM = 1, EBUSY = 16;

    private static final MethodHandle RENAMEAT2;
    private static final StructLayout STATE;
    private static final VarHandle ERRNO;

    static {
        MethodHandle h = null;
        StructLayout state = null;
        VarHandle errno = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux")) {
                Linker linker = Linker.nativeLinker();
                var symbol = linker.defaultLookup().find("renameat2");
                if (symbol.isPresent()) {
                    state = Linker.Option.captureStateLayout();
                    errno = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                    h = linker.downcallHandle(symbol.get(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                            Linker.Option.captureCallState("errno"));
                }
            }
        } catch (RuntimeException | LinkageError e) {
            h = null;                                     // no native access: the caller falls back
        }
        RENAMEAT2 = h;
        STATE = state;
        ERRNO = errno;
    }

    /** Whether the call can be made at all (Linux with a glibc that exports it). */
    static boolean available() { return RENAMEAT2 != null; }

    /**
     * Swaps a and b atomically. False when this system or filesystem cannot (not Linux, ENOSYS,
     * EINVAL): the caller falls back to two renames. Any other failure is an IOException.
     */
    static boolean exchange(Path a, Path b) throws IOException {
        if (RENAMEAT2 == null) return false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r;
            try {
                r = (int) RENAMEAT2.invokeExact(state, AT_FDCWD, arena.allocateFrom(a.toString()),
                        AT_FDCWD, arena.allocateFrom(b.toString()), RENAME_EXCHANGE);
            } catch (Throwable t) {
                throw new IOException("renameat2 could not be called: " + t, t);
            }
            if (r == 0) return true;
            int errno = (int) ERRNO.get(state, 0L);
            if (errno == ENOSYS || errno == EINVAL) return false;
            throw new IOException("cannot exchange " + a + " and " + b + ": renameat2 failed with errno " + errno + describe(errno));
        }
    }

    private static String describe(int errno) {
        return switch (errno) {
            case ENOENT -> " (ENOENT: a path does not exist)";
            case EACCES, EPERM -> " (EACCES/EPERM: permission denied)";
            case EXDEV -> " (EXDEV: the paths are on different filesystems)";
            case EBUSY -> " (EBUSY: a path is in use, e.g. a mount point)";
            default -> "";
        };
    }
}
