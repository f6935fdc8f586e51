package dev.arcbox.driver.firecracker;

import dev.arcbox.core.config.FirecrackerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether this host can run Firecracker: its binary (and the jailer's, when configured) and a
 * KVM that runs stock guests. {@code /dev/kvm} alone is not enough: a PVM host ({@code kvm_pvm}
 * loaded) offers it without VT-x/AMD-V, and Firecracker's guests do not run there.
 */
public final class FcHost {

    private static final Pattern HW_FLAGS = Pattern.compile("^flags\\s*:.*\\b(vmx|svm)\\b", Pattern.MULTILINE);

    private FcHost() {}

    /** Why Firecracker cannot run here, or empty when it can. */
    public static Optional<String> unavailable(FirecrackerConfig config) {
        if (!Files.isExecutable(config.binary())) {
            return Optional.of("firecracker binary " + config.binary() + " not found or not executable");
        }
        if (config.jailer().isPresent() && !Files.isExecutable(config.jailer().get().binary())) {
            return Optional.of("jailer binary " + config.jailer().get().binary() + " not found or not executable");
        }
        return kvmProblem(Path.of("/dev/kvm"), Path.of("/sys/module/kvm_pvm"), Path.of("/proc/cpuinfo"));
    }

    /** Why KVM is unusable for Firecracker, or empty; paths injectable for tests. */
    static Optional<String> kvmProblem(Path kvm, Path pvmModule, Path cpuinfo) {
        if (!Files.exists(kvm)) {
            return Optional.of(kvm + " is missing (no KVM)");
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return Optional.of(kvm + " is not read-write for this user");
        }
        if (Files.exists(pvmModule)) {
            return Optional.of("kvm_pvm is loaded: PVM offers " + kvm + " without VT-x/AMD-V");
        }
        try {
            if (!HW_FLAGS.matcher(Files.readString(cpuinfo)).find()) {
                return Optional.of("the CPU shows no vmx/svm flag (no hardware virtualization)");
            }
        } catch (IOException e) {
            return Optional.of("cannot read " + cpuinfo + ": " + e.getMessage());
        }
        return Optional.empty();
    }
}
