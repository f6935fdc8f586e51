package dev.arcbox.driver.qemu;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/** The CPU accelerator QEMU runs guests with. */
public enum Accelerator {
    /** KVM where hardware virtualization really works, TCG elsewhere. */
    AUTO,
    /** Hardware virtualization through /dev/kvm. */
    KVM,
    /** QEMU's software CPU: slow, works everywhere. */
    TCG;

    private static final Pattern HW_FLAGS = Pattern.compile("^flags\\s*:.*\\b(vmx|svm)\\b", Pattern.MULTILINE);

    /** Parses {@code auto}, {@code kvm} or {@code tcg}, naming {@code field} in the error. */
    public static Accelerator parse(String value, String field) {
        if (value == null || value.isBlank()) {
            return AUTO;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "kvm" -> KVM;
            case "tcg" -> TCG;
            default -> throw new ArcboxException.InvalidArgument(
                    field + ": unknown accelerator '" + value + "' (expected auto, kvm or tcg)");
        };
    }

    /** The accelerator to use on this host: AUTO becomes KVM or TCG. */
    public Accelerator resolve() {
        return switch (this) {
            case AUTO -> kvmUsable() ? KVM : TCG;
            case KVM, TCG -> this;
        };
    }

    /**
     * KVM is usable only with real VT-x/AMD-V: /dev/kvm read-write, vmx or svm among the CPU
     * flags, and no kvm_pvm module (PVM offers /dev/kvm but cannot run stock guest kernels).
     */
    public static boolean kvmUsable() {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm) || Files.exists(Path.of("/sys/module/kvm_pvm"))) {
            return false;
        }
        try {
            return HW_FLAGS.matcher(Files.readString(Path.of("/proc/cpuinfo"))).find();
        } catch (IOException e) {
            return false;
        }
    }
}
