package dev.arcbox.driver.qemu;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the QEMU driver runs QEMU.
 *
 * @param binary the qemu-system-x86_64 executable
 * @param accelerator the default accelerator ({@code auto}, {@code kvm}, {@code tcg}); a plan's
 *     machine may ask for another
 * @param ramDir directory on tmpfs for live guest memory files (share=on), so running VMs cause no
 *     disk writeback
 * @param startTimeout how long QEMU may take to open its control socket
 * @param user who QEMU runs as: {@code auto}, {@code root} or a user name (see {@link VmmUser#resolve})
 */
public record QemuConfig(Path binary, String accelerator, Path ramDir, Duration startTimeout, String user) {

    /** The {@code [qemu] user} default: the dedicated user where it exists, else root. */
    public static final String DEFAULT_USER = "auto";

    /** A configuration with the default user. */
    public QemuConfig(Path binary, String accelerator, Path ramDir, Duration startTimeout) {
        this(binary, accelerator, ramDir, startTimeout, DEFAULT_USER);
    }

    public static QemuConfig defaults() {
        return new QemuConfig(Path.of("/usr/bin/qemu-system-x86_64"), "auto", Path.of("/dev/shm/arcbox"),
                Duration.ofSeconds(30));
    }

    public QemuConfig withRamDir(Path dir) {
        return new QemuConfig(binary, accelerator, dir, startTimeout, user);
    }

    public QemuConfig withAccelerator(String value) {
        return new QemuConfig(binary, value, ramDir, startTimeout, user);
    }

    public QemuConfig withUser(String value) {
        return new QemuConfig(binary, accelerator, ramDir, startTimeout, value);
    }
}
