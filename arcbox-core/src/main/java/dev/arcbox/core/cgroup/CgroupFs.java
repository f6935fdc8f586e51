package dev.arcbox.core.cgroup;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few file operations a cgroup tree needs. The kernel's cgroup file systems accept them as
 * they are; tests substitute a temp directory tree ({@link #rmdir} is the one operation that
 * behaves differently there: a cgroup directory is removed with its interface files in it).
 */
class CgroupFs {

    void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("creating cgroup " + dir + ": " + e.getMessage(), e);
        }
    }

    void write(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("writing '" + value + "' to " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file's text, or empty when it does not exist. */
    String read(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("reading " + file + ": " + e.getMessage(), e);
        }
    }

    List<Long> pids(Path procs) {
        List<Long> pids = new ArrayList<>();
        for (String line : read(procs).split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.strip()));
            }
        }
        return pids;
    }

    void rmdir(Path dir) throws IOException {
        Files.delete(dir);
    }
}
