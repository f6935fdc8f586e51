package dev.arcbox.daemon;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.cgroup.SandboxCgroups;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.driver.firecracker.FcDriver;
import dev.arcbox.driver.firecracker.FcHost;
import dev.arcbox.driver.qemu.Accelerator;
import dev.arcbox.driver.qemu.QemuConfig;
import dev.arcbox.driver.qemu.QemuDriver;
import dev.arcbox.driver.qemu.VmmUser;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which driver runs sandboxes: the configured one, or for {@code driver = "auto"} Firecracker
 * where its binary and a usable KVM exist, else QEMU. {@link #status} says for each driver whether
 * it can run here and, if not, why (shown by {@code arcbox system info}).
 */
final class Drivers {

    static final String AVAILABLE = "available";

    private Drivers() {}

    /** The driver the daemon runs. */
    static VmDriver choose(DaemonConfig config, SandboxCgroups cgroups) {
        Optional<String> fcProblem = FcHost.unavailable(config.firecracker());
        return switch (config.driver()) {
            case QEMU -> qemu(config, cgroups);
            case FIRECRACKER -> {
                fcProblem.ifPresent(why -> {
                    throw new ArcboxException.FailedPrecondition("driver = \"firecracker\" but it cannot run: " + why);
                });
                yield new FcDriver(config.firecracker(), FcDriver.API_TIMEOUT, cgroups);
            }
            case AUTO -> fcProblem.isEmpty() ? new FcDriver(config.firecracker(), FcDriver.API_TIMEOUT, cgroups)
                    : qemu(config, cgroups);
        };
    }

    private static QemuDriver qemu(DaemonConfig config, SandboxCgroups cgroups) {
        return new QemuDriver(new QemuConfig(config.qemu().binary(), config.qemu().accel().token(),
                config.qemu().ramDir(), Duration.ofSeconds(30), config.qemu().user()), cgroups);
    }

    /** Who QEMU runs as under this configuration, for {@code system info}. */
    private static String qemuUser(DaemonConfig config) {
        try {
            return VmmUser.resolve(config.qemu().user()).map(u -> "as " + u.name())
                    .orElse("as root" + ("root".equals(config.qemu().user()) ? "" : ": no user " + VmmUser.DEDICATED));
        } catch (ArcboxException e) {
            return e.getMessage();
        }
    }

    /** Each driver id → {@code available} (with QEMU's accelerator) or why it cannot run. */
    static Map<String, String> status(DaemonConfig config) {
        Map<String, String> out = new TreeMap<>();
        out.put("firecracker", FcHost.unavailable(config.firecracker()).orElse(AVAILABLE));
        out.put("qemu", Files.isExecutable(config.qemu().binary())
                ? AVAILABLE + " (" + (Accelerator.kvmUsable() ? "kvm" : "tcg") + ", " + qemuUser(config) + ")"
                : "qemu binary " + config.qemu().binary() + " not found or not executable");
        return out;
    }
}
