package dev.arcbox.core.cgroup;

import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's part of the host's cgroup hierarchy: one group per sandbox VMM, named
 * {@code arcbox-<uid>} under a parent named for this daemon's data dir, so daemons never share
 * groups. Implemented for cgroup v2 ({@link CgroupV2}) and v1 ({@link CgroupV1}); chosen at
 * startup by {@link CgroupSetup}. Thread safe: every method works on the file system alone.
 */
public interface CgroupTree {

    /** {@code v2} or {@code v1}. */
    String mode();

    /** Where the VMM of sandbox {@code uid} is put, for Inspect ({@code /a/b/arcbox-<uid>}). */
    String pathOf(String uid);

    /** The directories making up the group of {@code uid}: one per hierarchy (v1) or one (v2). */
    List<Path> dirsOf(String uid);

    /** Creates the group of {@code uid} (idempotent) and writes its limits. */
    void create(String uid, CgroupLimits limits);

    /** The files a process writes its pid to, to join the group of {@code uid}. */
    List<Path> procsFiles(String uid);

    /** Pids in the group of {@code uid}; empty when it does not exist. */
    List<Long> pids(String uid);

    /** Removes the group of {@code uid} if it exists; it must hold no process. */
    void remove(String uid);

    /** The uids that have a group under this daemon's parent. */
    List<String> uids();

    /** Moves the daemon into its own, favoured group (see the implementations). */
    void protectDaemon(long pid);

    /** At daemon exit: undoes what {@link #protectDaemon} may leave behind, where that is needed. */
    void releaseDaemon(long pid);
}
