package dev.arcbox.core.cgroup;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.LimitsConfig;
import dev.arcbox.core.driver.VmmPlacement;
import dev.arcbox.core.spec.HostLimits;
import dev.arcbox.core.spec.SandboxSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A cgroup per sandbox VMM: limits derived from the spec, the group made before the VMM is spawned,
 * the VMM placed in it before it executes (see {@link #wrap}), the group removed when the VMM is
 * gone, and orphans swept at startup. Without a usable hierarchy every method is a no-op and
 * {@link #note} says why. Thread safe.
 */
public final class SandboxCgroups implements VmmPlacement, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SandboxCgroups.class.getName());
    /**
     * Run by {@code sh -c} in the spawned process: writes its own pid ({@code $$}) to every
     * {@code cgroup.procs} given before {@code --}, then execs the VMM in place. The process is in
     * its group before the VMM's first instruction, so no guest code and no VMM allocation runs
     * outside its limits; an exec keeps the pid, so the driver's pid is the VMM's.
     */
    static final String JOIN = "p=$$; while [ \"$1\" != -- ]; do echo \"$p\" > \"$1\" || exit 125; shift; done;"
            + " shift; exec \"$@\"";

    private final CgroupSetup setup;
    private final long overheadMib;

    public SandboxCgroups(CgroupSetup setup, long overheadMib) {
        this.setup = setup;
        this.overheadMib = overheadMib;
    }

    /** Cgroups as configured: detected on this host, or none when {@code limits.cgroups = off}. */
    public static SandboxCgroups start(LimitsConfig limits, Path dataDir) {
        if (!limits.cgroupsWanted()) {
            return new SandboxCgroups(CgroupSetup.none("disabled by limits.cgroups = off"), limits.vmmOverheadMib());
        }
        SandboxCgroups cgroups = new SandboxCgroups(CgroupSetup.detect(tag(dataDir)), limits.vmmOverheadMib());
        LOG.log(System.Logger.Level.INFO, "cgroups: " + cgroups.mode()
                + (cgroups.note().isEmpty() ? "" : " (" + cgroups.note() + ")"));
        return cgroups;
    }

    /** No cgroups (tests and drivers without them). */
    public static SandboxCgroups none() {
        return new SandboxCgroups(CgroupSetup.none("not configured"), LimitsConfig.DEFAULT_VMM_OVERHEAD_MIB);
    }

    /** The parent group's name for a data dir: parallel daemons with their own data dirs never share groups. */
    public static String tag(Path dataDir) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(dataDir.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "arcboxd-" + java.util.HexFormat.of().formatHex(hash, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    public String mode() {
        return setup.mode();
    }

    public String note() {
        return setup.note();
    }

    /** The tree in use (tests); throws without one. */
    CgroupTree setupTree() {
        return setup.tree().orElseThrow();
    }

    public boolean enabled() {
        return setup.tree().isPresent();
    }

    /** The limits of a sandbox: its spec's overrides, else derived from vcpus and memory. */
    public CgroupLimits limitsFor(SandboxSpec spec) {
        HostLimits h = spec.hostLimits();
        return new CgroupLimits(
                h.cpuWeight().orElse(100 * spec.vcpus()),
                h.cpuMaxPercent().orElse(100 * spec.vcpus()),
                h.ioWeight().orElse(100),
                (h.memoryMaxMib().orElse(spec.memoryMib() + overheadMib)) << 20);
    }

    /** The group's directories, to record before {@link #prepare} creates them; empty without cgroups. */
    public List<Path> dirsOf(String uid) {
        return setup.tree().map(t -> t.dirsOf(uid)).orElse(List.of());
    }

    /** Where Inspect shows the sandbox's VMM; empty without cgroups. */
    public String pathOf(String uid) {
        return setup.tree().map(t -> t.pathOf(uid)).orElse("");
    }

    /** Creates (or re-creates) the group of {@code uid} with the spec's limits, before its VMM is spawned. */
    public void prepare(String uid, SandboxSpec spec) {
        setup.tree().ifPresent(t -> t.create(uid, limitsFor(spec)));
    }

    @Override
    public List<String> wrap(String vmId, List<String> command) {
        if (setup.tree().isEmpty()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("sh", "-c", JOIN, "arcbox-cgroup"));
        setup.tree().get().procsFiles(vmId).forEach(p -> wrapped.add(p.toString()));
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Removes the group of {@code uid} once its VMM is gone (a dead process may stay in it for a
     * moment until reaped: waited for up to 5 s). A group that still holds processes is left and
     * logged; the next startup's sweep takes it.
     */
    public void remove(String uid) {
        if (setup.tree().isEmpty()) {
            return;
        }
        CgroupTree tree = setup.tree().get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!tree.pids(uid).isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            tree.remove(uid);
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.WARNING, "sandbox " + uid + ": " + e.getMessage());
        }
    }

    /**
     * Startup reconciliation, before any VM is adopted or booted: a group of a uid the store does
     * not know is an orphan (a crash between creating it and recording the sandbox's removal):
     * processes left in it are killed and it is removed. A known sandbox's group is removed when it
     * holds no process and the sandbox has no VM recorded ({@code withVm}); the others stay for
     * recovery to adopt or fail.
     */
    public void sweep(Set<String> known, Set<String> withVm) {
        if (setup.tree().isEmpty()) {
            return;
        }
        CgroupTree tree = setup.tree().get();
        for (String uid : tree.uids()) {
            if (known.contains(uid) && (withVm.contains(uid) || !tree.pids(uid).isEmpty())) {
                continue;
            }
            if (!known.contains(uid)) {
                for (long pid : tree.pids(uid)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            LOG.log(System.Logger.Level.INFO, "removing orphan cgroup " + tree.pathOf(uid));
            remove(uid);
        }
    }

    /** Leaves the daemon's own group where that is needed (v1); sandbox groups stay with their VMMs. */
    @Override
    public void close() {
        setup.tree().ifPresent(t -> t.releaseDaemon(ProcessHandle.current().pid()));
    }
}
