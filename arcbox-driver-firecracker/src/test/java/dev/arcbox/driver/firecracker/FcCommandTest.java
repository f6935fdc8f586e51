package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.config.JailerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Every {@code [firecracker]} and {@code [firecracker.jailer]} option reaches the command line. */
class FcCommandTest {

    private static final JailerConfig JAILER = new JailerConfig(Path.of("/usr/bin/jailer"), 123, 456,
            Optional.of(Path.of("/srv/abx-jail")), Optional.of(Path.of("/var/run/netns/arcbox")), true,
            Optional.of("2"), Optional.of("arcbox.slice"), List.of("fsize=2048", "no-file=1024"));

    private static FirecrackerConfig config(Optional<JailerConfig> jailer, boolean noSeccomp) {
        return new FirecrackerConfig(Path.of("/usr/bin/firecracker"), jailer,
                Optional.of(FirecrackerConfig.LogLevel.WARNING), noSeccomp, Optional.of(Path.of("/etc/fc/filter.bpf")),
                OptionalLong.of(1 << 20), OptionalLong.of(65536), OptionalLong.of(7));
    }

    @Test
    void direct_everyProcessOption() {
        FcLayout layout = new FcLayout.Direct(Path.of("/var/lib/arcbox/sandboxes/ab12/run"));
        assertThat(FcCommand.command(config(Optional.empty(), false), "ab12", layout, "/etc/fc/filter.bpf"))
                .containsExactly("/usr/bin/firecracker", "--api-sock", "/var/lib/arcbox/sandboxes/ab12/run/api.sock",
                        "--id", "ab12", "--seccomp-filter", "/etc/fc/filter.bpf",
                        "--http-api-max-payload-size", "1048576", "--mmds-size-limit", "65536");
    }

    @Test
    void noSeccomp_winsOverAFilter() {
        FcLayout layout = new FcLayout.Direct(Path.of("/run/x"));
        assertThat(FcCommand.command(config(Optional.empty(), true), "ab12", layout, "/etc/fc/filter.bpf"))
                .contains("--no-seccomp").doesNotContain("--seccomp-filter");
    }

    @Test
    void jailed_everyJailerOption_thenFirecrackersWithoutId() {
        FirecrackerConfig config = config(Optional.of(JAILER), false);
        FcJail jail = FcJail.of(JAILER, config.binary(), "ab12");
        assertThat(jail.root()).isEqualTo(Path.of("/srv/abx-jail/firecracker/ab12/root"));
        assertThat(FcCommand.command(config, "ab12", jail, "/seccomp.bpf")).containsExactly(
                "/usr/bin/jailer", "--id", "ab12", "--exec-file", "/usr/bin/firecracker", "--uid", "123", "--gid", "456",
                "--chroot-base-dir", "/srv/abx-jail", "--netns", "/var/run/netns/arcbox", "--new-pid-ns",
                "--cgroup-version", "2", "--parent-cgroup", "arcbox.slice",
                "--resource-limit", "fsize=2048", "--resource-limit", "no-file=1024",
                "--", "--api-sock", "/run/api.sock", "--seccomp-filter", "/seccomp.bpf",
                "--http-api-max-payload-size", "1048576", "--mmds-size-limit", "65536");
    }

    @Test
    void jailer_defaults_leaveOptionalFlagsOut() {
        JailerConfig minimal = new JailerConfig(Path.of("/usr/bin/jailer"), 1000, 1000, Optional.empty(),
                Optional.empty(), false, Optional.empty(), Optional.empty(), List.of());
        FirecrackerConfig config = new FirecrackerConfig(Path.of("/opt/fc/firecracker-v1.16"), Optional.of(minimal),
                Optional.empty(), false, Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());
        FcJail jail = FcJail.of(minimal, config.binary(), "cd34");
        assertThat(jail.root()).isEqualTo(Path.of("/srv/jailer/firecracker-v1.16/cd34/root"));
        assertThat(FcCommand.command(config, "cd34", jail, null)).containsExactly("/usr/bin/jailer", "--id", "cd34",
                "--exec-file", "/opt/fc/firecracker-v1.16", "--uid", "1000", "--gid", "1000", "--",
                "--api-sock", "/run/api.sock");
    }
}
