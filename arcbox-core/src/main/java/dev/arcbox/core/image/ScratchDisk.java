package dev.arcbox.core.image;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A sandbox's writable disk: a sparse raw file holding an empty ext4 file system, which the guest
 * agent uses as the upper layer of its overlay root. Only written blocks take host space.
 */
public final class ScratchDisk {

    private ScratchDisk() {}

    /**
     * Creates a sparse file of {@code sizeBytes} at {@code path} (which must not exist) and formats
     * it ext4 with {@code mkfs.ext4}. On failure the file is removed.
     */
    public static void create(Path path, long sizeBytes) {
        if (sizeBytes < 16L << 20) {
            throw new ArcboxException.InvalidArgument("disk_size: must be at least 16 MiB, got " + sizeBytes + " bytes");
        }
        try {
            Files.createFile(path);
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(sizeBytes);
            }
            // lazy init keeps creation fast and the file sparse; no discard on a fresh sparse file
            List<String> command = List.of("mkfs.ext4", "-q", "-F", "-L", "arcbox-rw", "-m", "0",
                    "-E", "nodiscard,lazy_itable_init=1,lazy_journal_init=1", path.toString());
            Process mkfs = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = mkfs.getInputStream().readNBytes(64 * 1024);
            if (!mkfs.waitFor(60, TimeUnit.SECONDS)) {
                mkfs.destroyForcibly();
                throw new ArcboxException.HostFailure("mkfs.ext4 on " + path + " did not finish in 60 s", null);
            }
            if (mkfs.exitValue() != 0) {
                throw new ArcboxException.HostFailure("mkfs.ext4 on " + path + " failed: "
                        + new String(output, java.nio.charset.StandardCharsets.UTF_8).strip(), null);
            }
        } catch (IOException e) {
            deleteQuietly(path);
            throw new ArcboxException.HostFailure("creating disk " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            deleteQuietly(path);
            throw new ArcboxException.HostFailure("creating disk " + path + ": interrupted", e);
        } catch (RuntimeException e) {
            deleteQuietly(path);
            throw e;
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the original failure is what the caller needs to see
        }
    }
}
