package jmglu.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jmglu.engine.Tensor;

/**
 * A checkpoint folder (config, tokenizer, safetensors shards) written and replaced as a unit: a
 * reader that opens the folder at any moment sees the previous complete folder or the new one.
 *
 * <pre>
 *   parent/name/                          the checkpoint (what readers open)
 *   parent/.name.lock                     lock file: "pid …, started …, command …" of the writer
 *   parent/.name.new-&lt;pid&gt;-&lt;hex&gt;/        staging: the new files are written here, then swapped in
 *   parent/.name.old-&lt;pid&gt;/               only in the fallback commit, between its two renames
 * </pre>
 *
 * <p>{@link #lock} takes an exclusive lock (FileChannel.tryLock: the OS releases it when the
 * process dies, even by kill -9) and cleans up after dead writers. {@link #beginWrite} opens a
 * staging folder; {@link Writer#commit} forces every file and the staging folder to disk, then
 * swaps staging and target with {@code renameat2(RENAME_EXCHANGE)} ({@link Renameat2}) in one
 * step, deletes the old contents (now under the staging name) and forces the parent. With no
 * target yet it is one atomic rename. Where renameat2 is unavailable (not Linux, or a filesystem
 * that answers EINVAL) the fallback renames target → .name.old-&lt;pid&gt;, staging → target, then
 * deletes the old one; a reader may then briefly find no folder (never a mixed one), and a crash
 * between the two renames is repaired by {@link #recover}, which lock() calls: .old is renamed back.
 * A writer that does not commit (an exception, a crash) leaves the target as it was.
 */
public final class ModelFolder {
    private ModelFolder() {}

    /** Tests set this to exercise the two-rename fallback. */
    /** Staging and .old paths of this JVM's writers that are in use (never cleaned as stale). */
    private static final Set<Path> ACTIVE = ConcurrentHashMap.newKeySet();

    private static final Pattern NEW = Pattern.compile("new-(\\d{1,18})-[0-9a-f]{8}"), OLD = Pattern.compile("old-(\\d{1,18})");

    /** The folder is locked by another writer (a user error: the message names the holder). */
    public static final class LockedException extends IllegalStateException {
        public LockedException(String message) { super(message); }
    }

    /**
     * The exclusive right to write dir: a {@link LockedException} naming the holder (pid, command)
     * at once if another writer, in this JVM or another process, has it. Then repairs an
     * interrupted fallback commit ({@link #recover}) and deletes what dead writers left: staging
     * folders, .old folders, temporary files in dir. The lock file stays (deleting it would race).
     */
    public static Lock lock(Path dir) {
        Path d = normalize(dir);
        Path lockFile = d.getParent().resolve("." + d.getFileName() + ".lock");
        FileChannel ch = null;
        try {
            Files.createDirectories(d.getParent());
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock fl;
            try {
                fl = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                fl = null;                                         // held by this JVM: same answer as another process
            }
            if (fl == null) {
                String holder = holder(ch);
                ch.close();
                throw new LockedException(d + " is being written by another writer (" + holder + "); lock file " + lockFile);
            }
            ProcessHandle.Info info = ProcessHandle.current().info();
            String me = "pid " + Durable.PID + ", started " + info.startInstant().map(Object::toString).orElse("?") + ", command " + command(info);
            ch.truncate(0);
            Durable.writeFully(ch, ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            Lock lock = new Lock(d, ch, fl);
            try {
                recover(d);
                cleanStale(d);
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
            return lock;
        } catch (IOException e) {
            if (ch != null) try { ch.close(); } catch (IOException ignored) { /* already failing */ }
            throw new UncheckedIOException("cannot lock " + d + ": " + e.getMessage(), e);
        }
    }

    /** The command line on one short line: class paths elided, at most ~300 characters (the head and the main class's end). */
    private static String command(ProcessHandle.Info info) {
        String s = info.commandLine().orElse(info.command().orElse("?"));
        if (info.arguments().isPresent()) {
            StringBuilder b = new StringBuilder(info.command().orElse("?"));
            String[] args = info.arguments().get();
            for (int i = 0; i < args.length; i++) {
                b.append(' ').append(args[i]);
                if (Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path").contains(args[i]) && i + 1 < args.length) {
                    b.append(" ...");
                    i++;
                }
            }
            s = b.toString();
        }
        s = s.replaceAll("\\s+", " ").strip();
        return s.length() <= 300 ? s : s.substring(0, 80) + " ... " + s.substring(s.length() - 200);
    }

    /** Who holds the lock, from the lock file (at most 4 KiB of it). */
    private static String holder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) { /* read on */ }
        String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).replaceAll("\\s+", " ").strip();
        if (s.length() > 600) s = s.substring(0, 600) + " ...";
        return s.isEmpty() ? "a writer that has not yet recorded its pid" : s;
    }

    /** A staging folder for a new version of dir; lock must be dir's lock, held. */
    public static Writer beginWrite(Path dir, Lock lock) { return beginWrite(dir, lock, true); }

    /** As {@link #beginWrite(Path, Lock)}; exchange false commits with the two-rename fallback even where renameat2 exists (tests). */
    static Writer beginWrite(Path dir, Lock lock, boolean exchange) {
        Path d = normalize(dir);
        if (lock == null || !lock.dir.equals(d)) throw new IllegalArgumentException("beginWrite(" + d + ") needs the lock of that folder, got " + lock);
        if (!lock.isHeld()) throw new IllegalStateException("the lock of " + d + " was released");
        Path staging = d.getParent().resolve("." + d.getFileName() + ".new-" + Durable.PID + "-" + Durable.random());
        try {
            Files.createDirectory(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + staging + ": " + e.getMessage(), e);
        }
        ACTIVE.add(staging);
        return new Writer(d, staging, lock, exchange);
    }

    /**
     * Repairs a fallback commit cut between its renames: if dir is missing and a dead writer's
     * .name.old-&lt;pid&gt; exists, it is renamed back to dir. Call it holding dir's lock (lock() does).
     */
    public static void recover(Path dir) {
        Path d = normalize(dir);
        try {
            for (Path old : leftovers(d, OLD)) {
                if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(old, d, StandardCopyOption.ATOMIC_MOVE);
                    Durable.fsyncDir(d.getParent());
                } else {
                    Durable.deleteTree(old);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover " + d + ": " + e.getMessage(), e);
        }
    }

    /** Deletes dead writers' staging folders beside dir and temporary files inside it. */
    private static void cleanStale(Path d) throws IOException {
        for (Path p : leftovers(d, NEW)) Durable.deleteTree(p);
        Durable.deleteDeadTemps(d);
    }

    /** Entries .name.&lt;pattern&gt; beside d whose writer is gone: a dead pid, or this JVM but not in use. */
    private static List<Path> leftovers(Path d, Pattern kind) throws IOException {
        String prefix = "." + d.getFileName() + ".";
        List<Path> out = new ArrayList<>();
        try (var entries = Files.list(d.getParent())) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String n = p.getFileName().toString();
                if (!n.startsWith(prefix)) continue;
                Matcher m = kind.matcher(n.substring(prefix.length()));
                if (!m.matches()) continue;
                boolean mine = m.group(1).equals(Long.toString(Durable.PID));
                if (mine ? !ACTIVE.contains(p) : !Durable.alive(m.group(1))) out.add(p);
            }
        }
        return out;
    }

    private static Path normalize(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        if (d.getParent() == null || d.getFileName() == null) throw new IllegalArgumentException(dir + " cannot be a checkpoint folder");
        return d;
    }

    /** Whether name is a plain file name (no folder, no "." or ".."). */
    static boolean plainName(String name) {
        return name != null && !name.isEmpty() && name.length() <= 255 && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    // ---------------------------------------------------------------- the lock

    /** An exclusive lock on one checkpoint folder; close releases it (idempotent). */
    public static final class Lock implements AutoCloseable {
        private final Path dir;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean closed;

        private Lock(Path dir, FileChannel channel, FileLock lock) { this.dir = dir; this.channel = channel; this.lock = lock; }

        /** The folder this lock is for (absolute, normalized). */
        public Path dir() { return dir; }

        public synchronized boolean isHeld() { return !closed && lock.isValid(); }

        @Override public synchronized void close() {
            if (closed) return;
            closed = true;
            try (channel) {
                if (lock.isValid()) channel.truncate(0);      // before releasing: never clear the next holder's record
                lock.release();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot release the lock of " + dir + ": " + e.getMessage(), e);
            }
        }

        @Override public String toString() { return "ModelFolder.Lock[" + dir + (isHeld() ? "" : ", released") + "]"; }
    }

    // ---------------------------------------------------------------- the writer

    /** Files for the new version of a folder; nothing is visible in the folder before {@link #commit}. */
    public static final class Writer implements AutoCloseable {
        private final Path target, staging;
        private final Lock lock;
        private final boolean exchange;
        private boolean committed, closed;

        private Writer(Path target, Path staging, Lock lock, boolean exchange) {
            this.target = target; this.staging = staging; this.lock = lock; this.exchange = exchange;
        }

        /** The staging folder (the files written so far). */
        public Path staging() { return staging; }

        /** Writes a UTF-8 text file (config.json, tokenizer.json…). */
        public Path writeString(String name, String text) {
            Path p = file(name);
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            try {
                Durable.writeAtomically(p, ch -> Durable.writeFully(ch, ByteBuffer.wrap(b)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
            }
            return p;
        }

        /** Writes one safetensors file ({@link Safetensors#write}). */
        public Path writeSafetensors(String name, Map<String, Tensor> tensors, Map<String, String> metadata) {
            Path p = file(name);
            Safetensors.write(p, tensors, metadata);
            return p;
        }

        /** Writes the shards and the index ({@link Safetensors#writeSharded}). */
        public void writeSharded(Map<String, Tensor> tensors, Map<String, String> metadata, long maxShardBytes) {
            open();
            Safetensors.writeSharded(staging, tensors, metadata, maxShardBytes);
        }

        /** Copies a file into the new folder under its own name (e.g. the tokenizer of the old folder). */
        public Path copyFrom(Path source) { return copyFrom(source, source.getFileName().toString()); }

        /** Copies a file into the new folder as name. */
        public Path copyFrom(Path source, String name) {
            Path p = file(name);
            try {
                if (!Files.isRegularFile(source)) throw new IllegalArgumentException("cannot copy " + source + ": not a file");
                Files.copy(source, p, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy " + source + " to " + p + ": " + e.getMessage(), e);
            }
            return p;
        }

        private Path file(String name) {
            open();
            if (!plainName(name)) throw new IllegalArgumentException(StrictJson.show(String.valueOf(name)) + " is not a plain file name");
            return staging.resolve(name);
        }

        private void open() {
            if (closed || committed) throw new IllegalStateException("the writer of " + target + " is " + (committed ? "committed" : "closed"));
        }

        /**
         * Makes the staging folder durable, then puts it in place of the target as one step (see the
         * class comment). After commit the writer is done.
         */
        public void commit() {
            open();
            if (!lock.isHeld()) throw new IllegalStateException("the lock of " + target + " was released before commit");
            Path parent = target.getParent();
            try {
                try (var files = Files.list(staging)) {
                    for (Path f : (Iterable<Path>) files::iterator) if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) Durable.fsyncFile(f);
                }
                Durable.fsyncDir(staging);
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                    committed = true;
                } else {
                    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException(target + " exists and is not a folder");
                    if (exchange && Renameat2.exchange(staging, target)) {
                        committed = true;                       // staging now holds the old contents
                        Durable.fsyncDir(parent);
                        deleteQuietly(staging);
                    } else {
                        swapByRenames(parent);
                    }
                }
                Durable.fsyncDir(parent);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot commit " + target + ": " + e.getMessage(), e);
            } finally {
                if (committed) ACTIVE.remove(staging);
            }
        }

        /** The fallback: target → .old, staging → target, delete .old; undone if the second rename fails. */
        private void swapByRenames(Path parent) throws IOException {
            Path old = parent.resolve("." + target.getFileName() + ".old-" + Durable.PID);
            ACTIVE.add(old);
            try {
                Durable.deleteTree(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                    throw e;
                }
                committed = true;
                Durable.fsyncDir(parent);
                deleteQuietly(old);
            } finally {
                ACTIVE.remove(old);
            }
        }

        /** After the commit the old contents are garbage: if they cannot be deleted now, the next lock() deletes them. */
        private static void deleteQuietly(Path p) {
            try {
                Durable.deleteTree(p);
            } catch (IOException ignored) {
                // left for the next writer's cleanup; the commit itself succeeded
            }
        }

        /** Without a commit: deletes the staging folder (the target is untouched). Idempotent. */
        @Override public void close() {
            if (closed) return;
            closed = true;
            if (committed) return;
            try {
                Durable.deleteTree(staging);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + staging + ": " + e.getMessage(), e);
            } finally {
                ACTIVE.remove(staging);
            }
        }

        @Override public String toString() { return "ModelFolder.Writer[" + target + " via " + staging + "]"; }
    }
}
