package dev.arcbox.driver.firecracker;

import dev.arcbox.core.config.JailerConfig;
import dev.arcbox.core.fs.FileTree;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A jailer chroot, {@code <chroot_base_dir>/<exec name>/<jail id>/root} (the jailer's own layout,
 * {@code docs/jailer.md}). The driver stages the VM's files into it before the jailer starts:
 * hard links where the file system allows (no copy, and the jailed process cannot reach the
 * original's directory), a sparse copy otherwise. Only a file Firecracker writes is given to the
 * jail's user; read-only sources are never modified. Everything created lies under the jail
 * directory, which {@link #remove} deletes.
 *
 * @param root the chroot directory
 * @param uid the jail's user
 * @param gid the jail's group
 */
record FcJail(Path root, long uid, long gid) implements FcLayout {

    static final String DEFAULT_BASE = "/srv/jailer";
    static final String RUN = "run";

    static FcJail of(JailerConfig jailer, Path firecracker, String jailId) {
        Path base = jailer.chrootBaseDir().orElse(Path.of(DEFAULT_BASE));
        return new FcJail(base.resolve(firecracker.getFileName().toString()).resolve(jailId).resolve("root"),
                jailer.uid(), jailer.gid());
    }

    /** {@code <base>/<exec name>/<jail id>}: what the jailer creates and the driver removes. */
    Path jailDir() {
        return root.getParent();
    }

    @Override
    public Path apiSocket() {
        return hostPath(apiSocketArg());
    }

    @Override
    public String apiSocketArg() {
        return "/" + RUN + "/" + FcDriver.API_SOCKET;
    }

    @Override
    public Path workDir() {
        return root;
    }

    @Override
    public Path hostPath(String fcPath) {
        Path p = root.resolve(fcPath.startsWith("/") ? fcPath.substring(1) : fcPath).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("path " + fcPath + " escapes the jail " + root);
        }
        return p;
    }

    @Override
    public String runFile(String name) {
        return "/" + RUN + "/" + name;
    }

    @Override
    public String place(Path source, String name, boolean writable) throws IOException {
        String fcPath = "/" + name;
        Path target = hostPath(fcPath);
        Files.createDirectories(target.getParent());
        Files.deleteIfExists(target);
        boolean linked;
        try {
            Files.createLink(target, source);
            linked = true;
        } catch (FileSystemException | UnsupportedOperationException e) {
            // another file system (EXDEV) or protected_hardlinks: copy instead
            FileTree.sparseCopy(source, target);
            linked = false;
        }
        if (writable || !linked) {
            // a link shares the inode: only the VM's own writable files (in the data dir) change owner
            own(target);
        }
        return fcPath;
    }

    @Override
    public void prepare() throws IOException {
        Files.createDirectories(root.resolve(RUN));
        own(root.resolve(RUN));
    }

    @Override
    public void remove() {
        FileTree.delete(jailDir());
    }

    /** Gives {@code path} to the jail's user when the daemon may (it runs as root). */
    void own(Path path) throws IOException {
        if (!isRoot()) {
            return;
        }
        Files.setAttribute(path, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
