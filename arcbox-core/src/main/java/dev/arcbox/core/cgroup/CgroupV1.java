package dev.arcbox.core.cgroup;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The daemon's groups on v1 hierarchies (also hybrid hosts whose cgroup2 mount carries no
 * controllers). v1 has no "no internal processes" rule, so groups are made below the daemon's own
 * group {@code D} of each hierarchy it uses (cpu, memory, and blkio when it has weights):
 * <pre>
 *   D/arcboxd-TAG              (cpu) cpu.shares 1024 x host cpus: v1 weighs a group like one task
 *                              against the tasks beside it, so without this all sandboxes together
 *                              would get one task's share of a busy host
 *   D/arcboxd-TAG/daemon       (cpu only) the daemon: cpu.shares 2048, twice a default group
 *   D/arcboxd-TAG/arcbox-UID   one VMM: cpu.shares, cpu.cfs_quota_us/period, memory.limit_in_bytes,
 *                              blkio.weight (or blkio.bfq.weight)
 * </pre>
 */
final class CgroupV1 implements CgroupTree {

    static final String CPU = "cpu";
    static final String MEMORY = "memory";
    static final String BLKIO = "blkio";
    static final int DAEMON_CPU_SHARES = 2048;

    private final CgroupFs fs;
    /** Controller → the daemon's parent directory {@code D/arcboxd-TAG} in that hierarchy. */
    private final Map<String, Path> parents;
    private final Map<String, Path> owns;
    private final Map<String, Path> mounts;
    private final String blkioWeightFile;

    private CgroupV1(CgroupFs fs, Map<String, Path> mounts, Map<String, Path> owns, String tag, String blkioWeightFile) {
        this.fs = fs;
        this.mounts = Map.copyOf(mounts);
        this.owns = Map.copyOf(owns);
        Map<String, Path> p = new LinkedHashMap<>();
        owns.forEach((ctrl, own) -> p.put(ctrl, own.resolve(tag)));
        this.parents = p;
        this.blkioWeightFile = blkioWeightFile;
    }

    /**
     * The tree over the hierarchies in {@code mounts} (controller → mount point) at the daemon's
     * own groups {@code ownPaths} (controller → path in that hierarchy).
     *
     * @throws ArcboxException.Unsupported when cpu or memory is missing or not writable
     */
    static CgroupV1 open(CgroupFs fs, Map<String, Path> mounts, Map<String, String> ownPaths, String tag) {
        Map<String, Path> owns = new LinkedHashMap<>();
        for (String ctrl : List.of(CPU, MEMORY, BLKIO)) {
            if (mounts.containsKey(ctrl) && ownPaths.containsKey(ctrl)) {
                owns.put(ctrl, mounts.get(ctrl).resolve(ownPaths.get(ctrl).replaceFirst("^/+", "")));
            }
        }
        for (String needed : List.of(CPU, MEMORY)) {
            if (!owns.containsKey(needed)) {
                throw new ArcboxException.Unsupported("cgroup v1: no " + needed + " hierarchy is mounted");
            }
            if (!Files.isWritable(owns.get(needed))) {
                throw new ArcboxException.Unsupported("cgroup v1: " + owns.get(needed) + " is not writable");
            }
        }
        String weight = null;
        if (owns.containsKey(BLKIO)) {
            for (String name : List.of("blkio.weight", "blkio.bfq.weight")) {
                if (Files.exists(owns.get(BLKIO).resolve(name))) {
                    weight = name;
                    break;
                }
            }
            if (weight == null) {
                owns.remove(BLKIO);
            }
        }
        return new CgroupV1(fs, mounts, owns, tag, weight);
    }

    @Override
    public String mode() {
        return "v1";
    }

    /** Whether block I/O weights are set (the blkio hierarchy has a weight file). */
    boolean ioWeights() {
        return blkioWeightFile != null;
    }

    @Override
    public void protectDaemon(long pid) {
        Path leaf = parents.get(CPU).resolve("daemon");
        fs.mkdirs(leaf);
        fs.write(parents.get(CPU).resolve("cpu.shares"), Long.toString(1024L * Runtime.getRuntime().availableProcessors()));
        fs.write(leaf.resolve("cpu.shares"), Integer.toString(DAEMON_CPU_SHARES));
        fs.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
    }

    @Override
    public void releaseDaemon(long pid) {
        Path leaf = parents.get(CPU).resolve("daemon");
        if (!Files.isDirectory(leaf)) {
            return;
        }
        try {
            fs.write(owns.get(CPU).resolve("cgroup.procs"), Long.toString(pid));
            fs.rmdir(leaf);
            for (Path parent : parents.values()) {
                if (Files.isDirectory(parent) && children(parent).isEmpty()) {
                    fs.rmdir(parent);
                }
            }
        } catch (IOException | ArcboxException e) {
            // best effort at exit: a group left here is empty and reused by the next start
            System.getLogger(CgroupV1.class.getName()).log(System.Logger.Level.INFO,
                    "leaving the daemon's cgroup: " + e.getMessage());
        }
    }

    @Override
    public String pathOf(String uid) {
        List<String> parts = new ArrayList<>();
        parents.forEach((ctrl, parent) -> parts.add(ctrl + ":" + CgroupV2.display(mounts.get(ctrl), parent.resolve(name(uid)))));
        return String.join(" ", parts);
    }

    @Override
    public List<Path> dirsOf(String uid) {
        return parents.values().stream().map(p -> p.resolve(name(uid))).toList();
    }

    @Override
    public void create(String uid, CgroupLimits limits) {
        for (Path dir : dirsOf(uid)) {
            fs.mkdirs(dir);
        }
        Path cpu = parents.get(CPU).resolve(name(uid));
        fs.write(cpu.resolve("cpu.shares"), Long.toString(Math.max(2, limits.cpuWeight() * 1024L / 100)));
        fs.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CgroupLimits.PERIOD_US));
        fs.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.quotaUs()));
        fs.write(parents.get(MEMORY).resolve(name(uid)).resolve("memory.limit_in_bytes"),
                Long.toString(limits.memoryMaxBytes()));
        if (blkioWeightFile != null) {
            // v1 weights are 10-1000 with 500 as default; v2's are 1-10000 with 100
            long weight = Math.clamp(limits.ioWeight() * 5L, 10, 1000);
            fs.write(parents.get(BLKIO).resolve(name(uid)).resolve(blkioWeightFile), Long.toString(weight));
        }
    }

    @Override
    public List<Path> procsFiles(String uid) {
        return dirsOf(uid).stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    @Override
    public List<Long> pids(String uid) {
        TreeSet<Long> pids = new TreeSet<>();
        for (Path procs : procsFiles(uid)) {
            pids.addAll(fs.pids(procs));
        }
        return List.copyOf(pids);
    }

    @Override
    public void remove(String uid) {
        for (Path dir : dirsOf(uid)) {
            if (Files.isDirectory(dir)) {
                try {
                    fs.rmdir(dir);
                } catch (IOException e) {
                    throw new ArcboxException.HostFailure("removing cgroup " + dir + ": " + e.getMessage(), e);
                }
            }
        }
    }

    @Override
    public List<String> uids() {
        TreeSet<String> uids = new TreeSet<>();
        parents.values().forEach(p -> uids.addAll(children(p)));
        return List.copyOf(uids);
    }

    private static String name(String uid) {
        return "arcbox-" + uid;
    }

    /** Uids of the {@code arcbox-UID} directories in {@code parent}. */
    static List<String> children(Path parent) {
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        try (var list = Files.list(parent)) {
            return list.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("arcbox-")).map(n -> n.substring("arcbox-".length())).sorted().toList();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("listing cgroups in " + parent + ": " + e.getMessage(), e);
        }
    }
}
