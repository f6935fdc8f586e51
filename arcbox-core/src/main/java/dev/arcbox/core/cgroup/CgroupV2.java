package dev.arcbox.core.cgroup;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The daemon's groups on a unified (v2) hierarchy. The daemon must own a delegated cgroup
 * {@code D} (systemd {@code Delegate=yes}): either it runs in {@code D} alone and moves itself into
 * the leaf {@code D/daemon}, or it was started in {@code D/daemon} already (systemd
 * {@code DelegateSubgroup=daemon}). v2 allows processes only in leaves once controllers are enabled
 * below a group, hence the leaf. Then:
 * <pre>
 *   D/cgroup.subtree_control        +cpu +memory [+io]
 *   D/daemon                        the daemon: cpu.weight 200, memory.min 256 MiB (protected)
 *   D/arcboxd-TAG/cgroup.subtree_control   +cpu +memory [+io]
 *   D/arcboxd-TAG/arcbox-UID        one VMM: cpu.weight, cpu.max, memory.max, memory.swap.max 0, io.weight
 * </pre>
 */
final class CgroupV2 implements CgroupTree {

    static final String DAEMON_LEAF = "daemon";
    static final int DAEMON_CPU_WEIGHT = 200;
    static final long DAEMON_MEMORY_MIN = 256L << 20;

    private final CgroupFs fs;
    private final Path root;
    private final Path own;
    private final Path delegated;
    private final Path parent;
    private final boolean io;

    private CgroupV2(CgroupFs fs, Path root, Path own, Path delegated, String tag, boolean io) {
        this.fs = fs;
        this.root = root;
        this.own = own;
        this.delegated = delegated;
        this.parent = delegated.resolve(tag);
        this.io = io;
    }

    /**
     * Checks that the daemon (pid {@code self}, in cgroup {@code ownPath} of the hierarchy mounted
     * at {@code root}) may govern a sub-tree, and returns it.
     *
     * @throws ArcboxException.Unsupported saying why not
     */
    static CgroupV2 open(CgroupFs fs, Path root, String ownPath, long self, String tag) {
        Path own = root.resolve(ownPath.replaceFirst("^/+", ""));
        boolean inLeaf = own.getFileName() != null && own.getFileName().toString().equals(DAEMON_LEAF);
        Path delegated = inLeaf ? own.getParent() : own;
        Set<String> controllers = Set.of(fs.read(delegated.resolve("cgroup.controllers")).strip().split("\\s+"));
        if (!controllers.contains("cpu") || !controllers.contains("memory")) {
            throw new ArcboxException.Unsupported("cgroup v2: controllers cpu and memory are not delegated to "
                    + display(root, delegated) + " (it has: " + String.join(" ", controllers).strip()
                    + "); run arcboxd with a delegated cgroup (systemd: Delegate=yes)");
        }
        if (!inLeaf) {
            List<Long> others = new ArrayList<>(fs.pids(own.resolve("cgroup.procs")));
            others.remove(self);
            if (!others.isEmpty()) {
                throw new ArcboxException.Unsupported("cgroup v2: " + display(root, own) + " holds " + others.size()
                        + " other processes, so no controllers can be enabled below it; run arcboxd in a cgroup"
                        + " of its own (systemd: Delegate=yes)");
            }
        }
        return new CgroupV2(fs, root, own, delegated, tag, controllers.contains("io"));
    }

    @Override
    public String mode() {
        return "v2";
    }

    boolean ioWeights() {
        return io;
    }

    @Override
    public void protectDaemon(long pid) {
        Path leaf = delegated.resolve(DAEMON_LEAF);
        fs.mkdirs(leaf);
        if (!own.equals(leaf)) {
            fs.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
        }
        String enable = io ? "+cpu +memory +io" : "+cpu +memory";
        fs.write(delegated.resolve("cgroup.subtree_control"), enable);
        fs.mkdirs(parent);
        fs.write(parent.resolve("cgroup.subtree_control"), enable);
        fs.write(leaf.resolve("cpu.weight"), Integer.toString(DAEMON_CPU_WEIGHT));
        writeIfPresent(leaf.resolve("memory.min"), Long.toString(DAEMON_MEMORY_MIN));
    }

    @Override
    public void releaseDaemon(long pid) {
        // the leaf stays: its parent has controllers enabled, so the daemon cannot leave it, and
        // the service manager removes the delegated group once nothing runs in it
    }

    @Override
    public String pathOf(String uid) {
        return display(root, dir(uid));
    }

    @Override
    public List<Path> dirsOf(String uid) {
        return List.of(dir(uid));
    }

    @Override
    public void create(String uid, CgroupLimits limits) {
        Path dir = dir(uid);
        fs.mkdirs(dir);
        fs.write(dir.resolve("cpu.weight"), Integer.toString(limits.cpuWeight()));
        fs.write(dir.resolve("cpu.max"), limits.quotaUs() + " " + CgroupLimits.PERIOD_US);
        fs.write(dir.resolve("memory.max"), Long.toString(limits.memoryMaxBytes()));
        writeIfPresent(dir.resolve("memory.swap.max"), "0");
        if (io) {
            writeIfPresent(dir.resolve("io.weight"), "default " + limits.ioWeight());
        }
    }

    @Override
    public List<Path> procsFiles(String uid) {
        return List.of(dir(uid).resolve("cgroup.procs"));
    }

    @Override
    public List<Long> pids(String uid) {
        return fs.pids(dir(uid).resolve("cgroup.procs"));
    }

    @Override
    public void remove(String uid) {
        Path dir = dir(uid);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try {
            fs.rmdir(dir);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("removing cgroup " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> uids() {
        return CgroupV1.children(parent);
    }

    private Path dir(String uid) {
        return parent.resolve("arcbox-" + uid);
    }

    private void writeIfPresent(Path file, String value) {
        if (Files.exists(file)) {
            fs.write(file, value);
        }
    }

    static String display(Path root, Path dir) {
        return "/" + root.relativize(dir);
    }
}
