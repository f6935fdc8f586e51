package dev.arcbox.core.sandbox;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps a VMM's own log files (the {@code *.log} files of its run directory, which the VMM appends
 * to) below a cap: a file past the cap has its last {@code cap} bytes kept as {@code NAME.1} and is
 * truncated in place. The VMM writes with {@code O_APPEND}, so its next write lands at the new end;
 * a VMM cannot fill the host disk through its logs (at most twice the cap per file, plus what it
 * writes between two sweeps).
 */
final class VmmLogs {

    private static final System.Logger LOG = System.getLogger(VmmLogs.class.getName());

    private VmmLogs() {}

    /** Rotates every log in {@code runDir} larger than {@code cap} bytes. */
    static void cap(Path runDir, long cap) {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (var files = Files.list(runDir)) {
            for (Path log : files.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                rotate(log, cap);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "vmm logs in " + runDir + ": " + e.getMessage());
        }
    }

    static void rotate(Path log, long cap) throws IOException {
        if (!Files.isRegularFile(log) || Files.size(log) <= cap) {
            return;
        }
        Path older = log.resolveSibling(log.getFileName() + ".1");
        try (FileChannel in = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileChannel out = FileChannel.open(older, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            long from = Math.max(0, size - cap);
            in.transferTo(from, size - from, out);
            in.truncate(0);
        }
    }
}
