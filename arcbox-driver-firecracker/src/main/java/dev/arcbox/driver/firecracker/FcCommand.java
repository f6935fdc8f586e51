package dev.arcbox.driver.firecracker;

import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.config.JailerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that starts one VM's Firecracker: every process-level option of
 * {@code [firecracker]}, and, when jailed, every option of {@code [firecracker.jailer]} (flags as in
 * Firecracker's {@code src/firecracker/src/main.rs} and {@code docs/jailer.md}). The log level is
 * not a flag: it goes with the logger's API call, whose FIFO the driver drains.
 */
final class FcCommand {

    private FcCommand() {}

    /** Firecracker's own arguments; the jailer adds {@code --id} itself, so only direct runs pass it. */
    static List<String> firecrackerArgs(FirecrackerConfig config, String vmId, String apiSocket,
            String seccompFilter) {
        List<String> args = new ArrayList<>(List.of("--api-sock", apiSocket));
        if (config.jailer().isEmpty()) {
            args.addAll(List.of("--id", vmId));
        }
        if (config.noSeccomp()) {
            args.add("--no-seccomp");
        } else if (seccompFilter != null) {
            args.addAll(List.of("--seccomp-filter", seccompFilter));
        }
        config.httpApiMaxPayloadSize().ifPresent(n -> args.addAll(List.of("--http-api-max-payload-size",
                Long.toString(n))));
        config.mmdsSizeLimit().ifPresent(n -> args.addAll(List.of("--mmds-size-limit", Long.toString(n))));
        return args;
    }

    /** The full command: {@code firecracker ...} or {@code jailer ... -- ...}. */
    static List<String> command(FirecrackerConfig config, String vmId, FcLayout layout, String seccompFilter) {
        List<String> fc = firecrackerArgs(config, vmId, layout.apiSocketArg(), seccompFilter);
        List<String> command = new ArrayList<>();
        if (config.jailer().isEmpty()) {
            command.add(config.binary().toString());
            command.addAll(fc);
            return command;
        }
        command.addAll(jailerArgs(config.jailer().get(), config, vmId));
        command.add("--");
        command.addAll(fc);
        return command;
    }

    /** The jailer and its options up to (not including) {@code --}. */
    static List<String> jailerArgs(JailerConfig jailer, FirecrackerConfig config, String jailId) {
        List<String> args = new ArrayList<>(List.of(jailer.binary().toString(),
                "--id", jailId,
                "--exec-file", config.binary().toString(),
                "--uid", Long.toString(jailer.uid()),
                "--gid", Long.toString(jailer.gid())));
        jailer.chrootBaseDir().ifPresent(d -> args.addAll(List.of("--chroot-base-dir", d.toString())));
        jailer.netns().ifPresent(n -> args.addAll(List.of("--netns", n.toString())));
        if (jailer.newPidNs()) {
            args.add("--new-pid-ns");
        }
        jailer.cgroupVersion().ifPresent(v -> args.addAll(List.of("--cgroup-version", v)));
        jailer.parentCgroup().ifPresent(p -> args.addAll(List.of("--parent-cgroup", p)));
        for (String limit : jailer.resourceLimits()) {
            args.addAll(List.of("--resource-limit", limit));
        }
        return args;
    }
}
