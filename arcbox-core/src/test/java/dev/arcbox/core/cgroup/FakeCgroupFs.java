package dev.arcbox.core.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A temp directory tree standing in for a cgroup2 mount: a new group gets the interface files the
 * kernel would show, and removing a group that still has processes fails as rmdir(2) does.
 */
final class FakeCgroupFs extends CgroupFs {

    static final List<String> FILES = List.of("cgroup.procs", "cgroup.controllers", "cgroup.subtree_control",
            "cpu.weight", "cpu.max", "memory.max", "memory.min", "memory.swap.max", "io.weight");

    @Override
    void mkdirs(Path dir) {
        boolean fresh = !Files.isDirectory(dir);
        super.mkdirs(dir);
        if (fresh) {
            for (String f : FILES) {
                write(dir.resolve(f), f.equals("cgroup.controllers") ? "cpu memory io" : "");
            }
        }
    }

    @Override
    void rmdir(Path dir) throws IOException {
        if (!read(dir.resolve("cgroup.procs")).isBlank()) {
            throw new IOException(dir + ": Device or resource busy");
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (Files.isDirectory(f)) {
                    throw new DirectoryNotEmptyException(dir.toString());
                }
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    /** A group as the kernel would have it, with {@code controllers} and processes {@code pids}. */
    void group(Path dir, String controllers, long... pids) {
        mkdirs(dir);
        write(dir.resolve("cgroup.controllers"), controllers);
        StringBuilder procs = new StringBuilder();
        for (long pid : pids) {
            procs.append(pid).append('\n');
        }
        write(dir.resolve("cgroup.procs"), procs.toString());
    }
}
