package jmglu.model.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Training text. The default corpus needs no download: the top-level sources of java.util
 * (java.base/java/util/*.java, about 130 files and 4.4 MB in JDK 25; sub-packages such as
 * java.util.concurrent are left out to keep one style of code) from the running JDK's
 * lib/src.zip, concatenated in name order. {@code --data FILE} takes any UTF-8 text instead.
 */
public record Corpus(String name, String text) {

    public static final String SRC_PREFIX = "java.base/java/util/";
    /** Largest --data file read (the text and its token ids live in the heap). */
    public static final int MAX_BYTES = 256 << 20;

    /** The --data file if given, else the JDK's java.util sources; a clear error when neither is there. */
    public static Corpus load(Path dataFile) {
        return dataFile != null ? fromFile(dataFile) : fromJdk(Path.of(System.getProperty("java.home"), "lib", "src.zip"));
    }

    public static Corpus fromFile(Path f) {
        try {
            byte[] b;
            try (InputStream in = Files.newInputStream(f)) { b = in.readNBytes(MAX_BYTES + 1); }   // bounded: /dev/zero ends here too
            if (b.length > MAX_BYTES)
                throw new IllegalArgumentException(f + ": the data file is larger than " + (MAX_BYTES >> 20) + " MiB (jmglu reads its training text into memory)");
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
            if (text.isEmpty()) throw new IllegalArgumentException(f + ": the data file is empty");
            return new Corpus(f.getFileName().toString(), text);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(f + ": no such data file");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(f + ": not UTF-8 text (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": cannot read (" + e.getMessage() + ")");
        }
    }

    public static Corpus fromJdk(Path srcZip) {
        if (!Files.isRegularFile(srcZip))
            throw new IllegalArgumentException("no training data: give --data FILE (any UTF-8 text), or use a JDK that ships "
                    + srcZip + " (the default corpus is the java.util sources from it; Debian: install openjdk-25-source)");
        try (ZipFile zip = new ZipFile(srcZip.toFile())) {
            List<ZipEntry> files = new ArrayList<>();
            zip.stream().filter(e -> !e.isDirectory() && e.getName().startsWith(SRC_PREFIX) && e.getName().endsWith(".java")
                    && e.getName().indexOf('/', SRC_PREFIX.length()) < 0).forEach(files::add);
            files.sort((a, b) -> a.getName().compareTo(b.getName()));
            if (files.isEmpty()) throw new IllegalArgumentException(srcZip + " has no " + SRC_PREFIX + "*.java; give --data FILE");
            StringBuilder sb = new StringBuilder();
            for (ZipEntry e : files)
                try (InputStream in = zip.getInputStream(e)) { sb.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n'); }
            return new Corpus("java.util sources (" + files.size() + " files of " + srcZip + ")", sb.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(srcZip + ": cannot read (" + e.getMessage() + "); give --data FILE");
        }
    }
}
