package dev.arcbox.core.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code [firecracker.jailer]}: run Firecracker inside the jailer. Mirrors {@code JailerConfig} of
 * arcbox-vm 0.1.4 ({@code src/config.rs}).
 *
 * @param binary the {@code jailer} binary
 * @param uid user Firecracker runs as inside the jail
 * @param gid group Firecracker runs as inside the jail
 * @param chrootBaseDir base of the chroot directories (jailer default: {@code /srv/jailer})
 * @param netns network namespace to join, e.g. {@code /var/run/netns/arcbox}
 * @param newPidNs start Firecracker in a new PID namespace
 * @param cgroupVersion {@code "1"} or {@code "2"}
 * @param parentCgroup parent cgroup, relative to the cgroup root
 * @param resourceLimits rlimits as {@code resource=value}, resource {@code fsize} or {@code no-file}
 */
public record JailerConfig(
        Path binary,
        long uid,
        long gid,
        Optional<Path> chrootBaseDir,
        Optional<Path> netns,
        boolean newPidNs,
        Optional<String> cgroupVersion,
        Optional<String> parentCgroup,
        List<String> resourceLimits) {

    public JailerConfig {
        resourceLimits = List.copyOf(resourceLimits);
    }
}
