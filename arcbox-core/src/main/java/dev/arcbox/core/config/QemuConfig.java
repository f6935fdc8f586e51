package dev.arcbox.core.config;

import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code [qemu]}: the QEMU driver's binary and machine options.
 *
 * @param binary the {@code qemu-system-x86_64} binary
 * @param accel the accelerator to ask for
 * @param ramDir directory (on tmpfs) holding guest memory files
 * @param user who QEMU runs as: {@code auto} (the system user {@code arcbox-vmm} where it exists,
 *     else root), {@code root}, or a user name; see docs/qemu-driver.md
 */
public record QemuConfig(Path binary, Accel accel, Path ramDir, String user) {

    /** A configuration with the default user, {@code auto}. */
    public QemuConfig(Path binary, Accel accel, Path ramDir) {
        this(binary, accel, ramDir, "auto");
    }

    /** QEMU accelerator: {@code auto} uses KVM when usable, else TCG. */
    public enum Accel {
        AUTO,
        KVM,
        TCG;

        /** The lower-case name used in config and {@link dev.arcbox.core.driver.MachinePlan#accelerator}. */
        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
