package dev.arcbox.core.cgroup;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds out at startup which cgroup hierarchy the daemon can govern: v2 when the unified hierarchy
 * carries cpu and memory and the daemon has a delegated group of its own, else v1 when cpu and memory
 * v1 hierarchies are mounted and writable (hybrid hosts included), else none. Always says why
 * something is not used, for {@code system info}.
 *
 * @param tree the tree to use, empty when cgroups are not in use
 * @param mode {@code v2}, {@code v1} or {@code none}
 * @param note why cgroups are not (fully) in use; empty when they are
 */
public record CgroupSetup(Optional<CgroupTree> tree, String mode, String note) {

    /** No cgroups, for {@code reason}. */
    public static CgroupSetup none(String reason) {
        return new CgroupSetup(Optional.empty(), "none", reason);
    }

    /** Detection on this host, for the daemon's data dir {@code tag} ({@code arcboxd-XXXXXXXX}). */
    public static CgroupSetup detect(String tag) {
        try {
            return detect(new CgroupFs(), Files.readString(Path.of("/proc/self/mounts")),
                    Files.readString(Path.of("/proc/self/cgroup")), ProcessHandle.current().pid(), tag);
        } catch (java.io.IOException e) {
            return none("reading /proc/self/mounts or /proc/self/cgroup: " + e.getMessage());
        }
    }

    /**
     * Detection over the given {@code /proc/self/mounts} and {@code /proc/self/cgroup} texts; the
     * daemon is {@code self}.
     */
    static CgroupSetup detect(CgroupFs fs, String mountsText, String selfCgroup, long self, String tag) {
        Map<String, Path> v1 = new LinkedHashMap<>();
        Path unified = null;
        for (String line : mountsText.split("\n")) {
            String[] f = line.split(" ");
            if (f.length < 4) {
                continue;
            }
            if (f[2].equals("cgroup2")) {
                unified = Path.of(f[1]);
            } else if (f[2].equals("cgroup")) {
                for (String option : f[3].split(",")) {
                    if (Set.of(CgroupV1.CPU, CgroupV1.MEMORY, CgroupV1.BLKIO).contains(option)) {
                        v1.putIfAbsent(option, Path.of(f[1]));
                    }
                }
            }
        }
        Map<String, String> own = new HashMap<>();
        for (String line : selfCgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                for (String ctrl : f[1].split(",")) {
                    own.put(ctrl, f[2].strip());
                }
            }
        }
        String v2Problem;
        if (unified == null) {
            v2Problem = "no cgroup2 file system is mounted";
        } else {
            String controllers = fs.read(unified.resolve("cgroup.controllers")).strip();
            if (!List.of(controllers.split("\\s+")).containsAll(List.of("cpu", "memory"))) {
                v2Problem = "the cgroup2 mount at " + unified + " has no cpu and memory controllers (it has: "
                        + (controllers.isEmpty() ? "none" : controllers) + "; hybrid host)";
            } else {
                try {
                    CgroupV2 tree = CgroupV2.open(fs, unified, own.getOrDefault("", "/"), self, tag);
                    tree.protectDaemon(self);
                    return new CgroupSetup(Optional.of(tree), "v2",
                            tree.ioWeights() ? "" : "io controller not delegated: no io weights");
                } catch (ArcboxException e) {
                    return none(e.getMessage());
                }
            }
        }
        if (v1.isEmpty()) {
            return none(v2Problem + "; no cgroup v1 hierarchies either");
        }
        try {
            CgroupV1 tree = CgroupV1.open(fs, v1, own, tag);
            tree.protectDaemon(self);
            String note = "cgroup v1: " + v2Problem;
            return new CgroupSetup(Optional.of(tree), "v1", tree.ioWeights() ? note
                    : note + "; no io weights (the blkio hierarchy has no weight file: the disks' I/O scheduler has none)");
        } catch (ArcboxException e) {
            return none(v2Problem + "; " + e.getMessage());
        }
    }
}
