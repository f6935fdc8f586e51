package dev.arcbox.core.fs;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Removal of directory trees the daemon owns. Never follows symbolic links. */
public final class FileTree {

    private FileTree() {}

    /** Deletes {@code root} and everything below it; a missing root is fine. */
    public static void delete(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (exc != null && !(exc instanceof NoSuchFileException)) {
                        throw exc;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("removing " + root + ": " + e.getMessage(), e);
        }
    }

    /** The last {@code maxBytes} of a file as text, or "" when it cannot be read. For error messages. */
    public static String tail(Path file, int maxBytes) {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            long start = Math.max(0, size - maxBytes);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - start));
            ch.read(buf, start);
            return new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Copies {@code from} to {@code to} (which must not exist) keeping holes, so sparse guest RAM
     * and disk images stay sparse; a reflink when the file system offers one.
     */
    public static void sparseCopy(Path from, Path to) throws IOException {
        if (Files.exists(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new java.nio.file.FileAlreadyExistsException(to.toString());
        }
        Process cp = new ProcessBuilder("cp", "--sparse=always", "--reflink=auto", "--", from.toString(), to.toString())
                .redirectErrorStream(true).start();
        String out = new String(cp.getInputStream().readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
        try {
            if (!cp.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)) {
                cp.destroyForcibly();
                throw new IOException("copying " + from + " to " + to + ": timed out");
            }
            if (cp.exitValue() != 0) {
                throw new IOException("copying " + from + " to " + to + ": " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("copying " + from + ": interrupted", e);
        }
    }
}
