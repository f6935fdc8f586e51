package dev.arcbox.driver.firecracker;

import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.config.JailerConfig;
import dev.arcbox.core.testing.TestRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Assumptions;

/**
 * What the shared contract suites need to run Firecracker for real, and the skip that names what
 * is missing: root, the {@code firecracker} binary ({@code -Darcbox.firecracker}), for fork the
 * {@code jailer} ({@code -Darcbox.jailer}), a usable KVM (not PVM), and an ELF kernel that finds
 * virtio-mmio devices on its command line ({@code -Darcbox.fc.kernel}).
 */
final class FcContractHost {

    static final Path BINARY = Path.of(System.getProperty("arcbox.firecracker", "/usr/bin/firecracker"));
    static final Path JAILER = Path.of(System.getProperty("arcbox.jailer", "/usr/bin/jailer"));
    static final Path KERNEL = Path.of(System.getProperty("arcbox.fc.kernel", "/var/lib/arcbox/fc/vmlinux"));

    private FcContractHost() {}

    static FirecrackerConfig config(boolean jailed) {
        Optional<JailerConfig> jailer = jailed
                ? Optional.of(new JailerConfig(JAILER, 0, 0, Optional.of(TestRun.baseDir().resolve("jail")),
                        Optional.empty(), false, Optional.empty(), Optional.empty(), List.of()))
                : Optional.empty();
        return new FirecrackerConfig(BINARY, jailer, Optional.of(FirecrackerConfig.LogLevel.INFO), false,
                Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.of(10));
    }

    /** Skips the calling suite unless Firecracker (jailed, when asked) can run guests here. */
    static void assume(boolean jailed) {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        FcHost.unavailable(config(jailed)).ifPresent(why -> Assumptions.abort(
                "firecracker cannot run on this host: " + why + " (binary: -Darcbox.firecracker"
                        + (jailed ? ", jailer: -Darcbox.jailer" : "") + ")"));
        Assumptions.assumeTrue(Files.isRegularFile(KERNEL), "needs an ELF kernel that finds virtio-mmio devices "
                + "on its command line at " + KERNEL + " (-Darcbox.fc.kernel); the Debian cloud kernel does not");
    }
}
