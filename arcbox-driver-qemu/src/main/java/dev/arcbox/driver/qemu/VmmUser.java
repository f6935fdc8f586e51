package dev.arcbox.driver.qemu;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The unprivileged user QEMU drops to ({@code -runas}) once it has opened its memory file, disks,
 * TAPs and listening sockets as root. What QEMU opens later (the run directory, where
 * {@code migrate-incoming} listens, and the migration socket the driver listens on) is handed to
 * this user; nothing else is.
 *
 * @param name the user name
 * @param uid its user id
 * @param gid its primary group id
 */
public record VmmUser(String name, int uid, int gid) {

    /** The dedicated system user {@code scripts/host-setup.sh} creates. */
    public static final String DEDICATED = "arcbox-vmm";

    /**
     * Resolves the {@code [qemu] user} setting: {@code root} runs QEMU as root, {@code auto} uses
     * {@link #DEDICATED} when it exists and the daemon runs as root, and any other value names a
     * user that must exist.
     */
    public static Optional<VmmUser> resolve(String setting) {
        String value = setting == null || setting.isBlank() ? "auto" : setting.strip();
        if (value.equals("root")) {
            return Optional.empty();
        }
        if (value.equals("auto")) {
            return runningAsRoot() ? lookup(DEDICATED) : Optional.empty();
        }
        if (!runningAsRoot()) {
            throw new ArcboxException.InvalidArgument("qemu.user: '" + value + "' needs the daemon to run as root");
        }
        return Optional.of(lookup(value).orElseThrow(() -> new ArcboxException.InvalidArgument(
                "qemu.user: no such user '" + value + "'")));
    }

    /** The user's passwd entry, through {@code getent} (so NSS users count). */
    static Optional<VmmUser> lookup(String name) {
        if (!name.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw new ArcboxException.InvalidArgument("qemu.user: not a user name: '" + name + "'");
        }
        try {
            Process p = new ProcessBuilder("getent", "passwd", name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ArcboxException.HostFailure("getent passwd " + name + " did not finish", null);
            }
            String[] fields = out.split(":");
            if (p.exitValue() != 0 || fields.length < 4 || !fields[0].equals(name)) {
                return Optional.empty();
            }
            return Optional.of(new VmmUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("getent passwd " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.HostFailure("getent passwd " + name + ": interrupted", e);
        }
    }

    private static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Gives {@code path} to this user (and its group) with {@code perms}. */
    void own(Path path, Set<PosixFilePermission> perms) throws IOException {
        Files.setAttribute(path, "unix:uid", uid);
        Files.setAttribute(path, "unix:gid", gid);
        Files.setPosixFilePermissions(path, perms);
    }

    /**
     * Lets this user's group search {@code dir} and nothing more (root-owned, {@code rwx--x---}):
     * QEMU can connect to a socket in it that it was given, but cannot create, remove or replace
     * anything there.
     */
    void lendSearch(Path dir) throws IOException {
        Files.setAttribute(dir, "unix:uid", 0);
        Files.setAttribute(dir, "unix:gid", gid);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
    }

    /**
     * Refuses a run directory this user cannot reach: every directory above it must let the user
     * search it (others, or its owner or group). Permissions are never widened here.
     */
    void checkCanReach(Path dir) throws IOException {
        for (Path d = dir.toAbsolutePath(); d != null; d = d.getParent()) {
            int mode = (Integer) Files.getAttribute(d, "unix:mode");
            int owner = (Integer) Files.getAttribute(d, "unix:uid");
            int group = (Integer) Files.getAttribute(d, "unix:gid");
            boolean search = owner == uid ? (mode & 0100) != 0
                    : group == gid ? (mode & 0010) != 0 : (mode & 0001) != 0;
            if (!search) {
                throw new ArcboxException.FailedPrecondition("qemu.user: " + name + " cannot reach " + d
                        + " (mode " + Integer.toOctalString(mode & 0777) + "), which holds run directory " + dir
                        + "; let it search that directory or set qemu.user = \"root\"");
            }
        }
    }
}
