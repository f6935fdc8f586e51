package dev.arcbox.core.spec;

import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.config.DefaultVmConfig;
import dev.arcbox.core.driver.Capability;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What {@link SpecValidator#validate} checks a spec against.
 *
 * @param imageDirs the only directories kernel, initrd, rootfs and drives may come from
 * @param defaults the daemon's {@code [defaults]}, filled into unset fields
 * @param dataDir the daemon's data directory; {@code serial_out} must lie in its {@code sandboxes}
 * @param driver the driver's id, for messages
 * @param capabilities what the driver can do
 */
public record ValidationContext(
        List<Path> imageDirs, DefaultVmConfig defaults, Path dataDir, String driver, Set<Capability> capabilities) {

    public ValidationContext {
        imageDirs = List.copyOf(imageDirs);
        capabilities = Set.copyOf(capabilities);
    }

    /** The context of a loaded daemon config and the driver in use. */
    public static ValidationContext of(DaemonConfig config, String driver, Set<Capability> capabilities) {
        return new ValidationContext(config.images(), config.defaults(), config.dataDir(), driver, capabilities);
    }

    /** {@code data_dir/sandboxes}, where serial console files may go. */
    public Path sandboxesDir() {
        return dataDir.resolve("sandboxes");
    }
}
