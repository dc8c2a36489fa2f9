package jmglu.simd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import jmglu.engine.MaskPlanes;
import jmglu.engine.WeightMatrix;

/**
 * Copies of test weights and masks in the storage kernels must read in place: off-heap memory of a
 * confined arena (so the kernels must stay on the calling thread), and a read-only mapping of a temp
 * file of a shared arena, the matrix at byte 6 of the file (an offset aligned to 2 but not to 4, 8
 * or 64: every multi-byte read is unaligned somewhere).
 */
final class Stores implements AutoCloseable {
    enum Kind { HEAP, OFF_HEAP, MAPPED }

    static final long FILE_OFFSET = 6;
    private final Arena confined = Arena.ofConfined(), shared = Arena.ofShared();
    private final List<Path> files = new ArrayList<>();

    WeightMatrix weights(Kind k, WeightMatrix w) { return new WeightMatrix(w.dtype(), w.rows(), w.cols(), copy(k, w.seg())); }

    MaskPlanes masks(Kind k, MaskPlanes m) { return new MaskPlanes(m.nm(), m.rows(), m.cols(), copy(k, m.seg())); }

    MemorySegment copy(Kind k, MemorySegment src) {
        return switch (k) {
            case HEAP -> src;
            case OFF_HEAP -> confined.allocate(src.byteSize(), 8).copyFrom(src);
            case MAPPED -> {
                try {
                    Path f = Files.createTempFile("jmglu-simd-test", ".bin");
                    files.add(f);
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                        ch.write(ByteBuffer.allocate((int) FILE_OFFSET));
                        ch.write(ByteBuffer.wrap(src.toArray(ValueLayout.JAVA_BYTE)));
                        MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, FILE_OFFSET + src.byteSize(), shared).asSlice(FILE_OFFSET);
                        if (!m.isReadOnly() || m.isNative() == false) throw new AssertionError("expected a read-only native mapping");
                        yield m;
                    }
                } catch (IOException e) { throw new UncheckedIOException(e); }
            }
        };
    }

    @Override public void close() {
        confined.close();
        shared.close();
        for (Path f : files) f.toFile().delete();
    }
}
