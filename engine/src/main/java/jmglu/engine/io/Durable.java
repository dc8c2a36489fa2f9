package jmglu.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writing files so that a crash never leaves a half-written one where a reader looks.
 *
 * <p>A file is written to {@code .<name>.tmp-<pid>-<random>} in the same folder, forced to disk,
 * renamed over the target (rename is atomic within a filesystem), and then the folder itself is
 * forced so that the rename survives a power cut. The pid in the name lets a later writer tell a
 * leftover of a dead process (delete it) from the file of a live one (leave it alone).
 */
final class Durable {
    private Durable() {}

    static final long PID = ProcessHandle.current().pid();

    /** Temporary files: {@code .<name>.tmp-<pid>-<hex>}; group 1 is the pid. */
    static final Pattern TEMP = Pattern.compile("^\\..*\\.tmp-(\\d{1,18})-[0-9a-f]{8}$");

    /** Something that writes a file's bytes. */
    interface Body { void write(FileChannel ch) throws IOException; }

    /** 8 random hex digits. */
    static String random() { return String.format("%08x", ThreadLocalRandom.current().nextInt()); }

    /** Writes file through a temporary file beside it, atomically replacing an existing file. */
    static void writeAtomically(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // CREATE_NEW with a unique name (not createTempFile, whose 0600 mode would stick to the result)
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + PID + "-" + random());
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                body.write(ch);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
        fsyncDir(dir);
    }

    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) position += ch.write(b, position);
    }

    /** Forces a file's contents and size to disk. */
    static void fsyncFile(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) { ch.force(true); }
    }

    /**
     * Forces a folder's entries (creations, renames) to disk. Linux allows fsync on a folder opened
     * read-only; some filesystems and systems refuse, which is ignored: there is nothing better to do.
     */
    static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // e.g. Windows cannot open a folder as a channel; the rename is still atomic, only its durability is weaker
        }
    }

    /** Deletes a file or a folder with everything in it; never follows a symbolic link out of it. */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }
            @Override public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }
            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Whether a process with this pid is running (a pid that cannot be parsed is treated as alive). */
    static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** Deletes the temporary files of dead writers directly inside dir (best effort). */
    static void deleteDeadTemps(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (var entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (m.matches() && !alive(m.group(1)) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) Files.deleteIfExists(p);
            }
        }
    }
}
