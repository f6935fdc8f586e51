package dev.arcbox.driver.firecracker;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a VM's files are as the host sees them and as Firecracker sees them. Firecracker records
 * drive, vsock and FIFO paths in a snapshot and cannot override drives on load, so every path it
 * is given is one that resolves to the VM's own file in each VM: relative to its working
 * directory (the run directory) when run directly, absolute inside its own chroot when jailed.
 */
sealed interface FcLayout permits FcLayout.Direct, FcJail {

    /** Firecracker's API socket, host side. */
    Path apiSocket();

    /** The {@code --api-sock} argument. */
    String apiSocketArg();

    /** Firecracker's working directory. */
    Path workDir();

    /** The host path of a path Firecracker was given. */
    Path hostPath(String fcPath);

    /** A run-time file ({@code name} under {@code run/}): socket or FIFO; the Firecracker path. */
    String runFile(String name);

    /**
     * Makes {@code source} visible to Firecracker under {@code name} and returns the path to give
     * it. {@code writable}: Firecracker writes the file (a disk or an output), so a jailed copy
     * must be owned by the jail's user.
     */
    String place(Path source, String name, boolean writable) throws IOException;

    /** Creates the directories Firecracker needs. */
    void prepare() throws IOException;

    /** Removes what {@link #prepare} and {@link #place} made; never the sources. */
    void remove();

    /**
     * Direct mode: Firecracker runs as the daemon's user with the run directory as its working
     * directory; files are symlinked into {@code run/files} and given as relative paths.
     */
    record Direct(Path runDir) implements FcLayout {

        static final String FILES = "files";

        @Override
        public Path apiSocket() {
            return runDir.resolve(FcDriver.API_SOCKET);
        }

        @Override
        public String apiSocketArg() {
            return apiSocket().toString();
        }

        @Override
        public Path workDir() {
            return runDir;
        }

        @Override
        public Path hostPath(String fcPath) {
            return runDir.resolve(fcPath);
        }

        @Override
        public String runFile(String name) {
            return name;
        }

        @Override
        public String place(Path source, String name, boolean writable) throws IOException {
            Path link = runDir.resolve(FILES).resolve(name);
            java.nio.file.Files.createDirectories(link.getParent());
            java.nio.file.Files.deleteIfExists(link);
            java.nio.file.Files.createSymbolicLink(link, source.toAbsolutePath());
            return FILES + "/" + name;
        }

        @Override
        public void prepare() throws IOException {
            java.nio.file.Files.createDirectories(runDir.resolve(FILES));
        }

        @Override
        public void remove() {
            // the run directory itself goes with the VM
        }
    }
}
