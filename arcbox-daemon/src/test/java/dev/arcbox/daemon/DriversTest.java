package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.cgroup.SandboxCgroups;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.config.QemuConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Driver choice: {@code auto} falls back to QEMU where Firecracker cannot run, and says why. */
class DriversTest {

    private static DaemonConfig with(DaemonConfig.Driver driver) {
        DaemonConfig c = DaemonConfig.load(Optional.empty());
        FirecrackerConfig fc = new FirecrackerConfig(Path.of("/nonexistent/firecracker"), Optional.empty(),
                Optional.empty(), false, Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());
        return new DaemonConfig(driver, c.dataDir(), c.images(), fc, c.qemu(), c.network(), c.grpc(), c.defaults(),
                c.limits(), c.metrics());
    }

    @Test
    void auto_withoutFirecracker_isQemu_andStatusSaysWhy() {
        DaemonConfig config = with(DaemonConfig.Driver.AUTO);
        assertThat(Drivers.choose(config, SandboxCgroups.none()).id()).isEqualTo("qemu");
        assertThat(Drivers.status(config)).containsOnlyKeys("firecracker", "qemu")
                .hasEntrySatisfying("firecracker", why -> assertThat(why)
                        .contains("/nonexistent/firecracker").contains("not found"));
    }

    @Test
    void firecracker_whenItCannotRun_refusesToStart_namingWhy() {
        assertThatThrownBy(() -> Drivers.choose(with(DaemonConfig.Driver.FIRECRACKER), SandboxCgroups.none()))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessageContaining("driver = \"firecracker\" but it cannot run")
                .hasMessageContaining("/nonexistent/firecracker");
    }

    private static DaemonConfig withQemuUser(String user) {
        DaemonConfig c = with(DaemonConfig.Driver.QEMU);
        QemuConfig q = new QemuConfig(c.qemu().binary(), c.qemu().accel(), c.qemu().ramDir(), user);
        return new DaemonConfig(c.driver(), c.dataDir(), c.images(), c.firecracker(), q, c.network(), c.grpc(),
                c.defaults(), c.limits(), c.metrics());
    }

    @Test
    void qemuUser_isShownInStatus_andAnUnknownUserRefusesToStart() {
        // scripts/host-setup.sh makes arcbox-vmm, so "auto" (the default) drops to it here
        assertThat(Drivers.status(withQemuUser("auto")).get("qemu")).endsWith(", as arcbox-vmm)");
        assertThat(Drivers.status(withQemuUser("root")).get("qemu")).endsWith(", as root)");
        assertThatThrownBy(() -> Drivers.choose(withQemuUser("abx-no-such-user"), SandboxCgroups.none()))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("qemu.user: no such user 'abx-no-such-user'");
    }

    @Test
    void qemu_isQemu() {
        assertThat(Drivers.choose(with(DaemonConfig.Driver.QEMU), SandboxCgroups.none()).id()).isEqualTo("qemu");
    }
}
