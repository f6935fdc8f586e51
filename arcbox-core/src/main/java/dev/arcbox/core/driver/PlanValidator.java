package dev.arcbox.core.driver;

import dev.arcbox.core.ArcboxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks of a {@link VmPlan} that hold for every driver. Collects every violation, each naming
 * its field, and throws them together; touches nothing on the host but reads file metadata.
 */
public final class PlanValidator {

    private static final Pattern VM_ID = Pattern.compile("[a-z0-9]{1,12}");
    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
    private static final Pattern PORT = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Longest socket name a driver puts in the run directory, plus the separator. */
    private static final int LONGEST_SOCKET_NAME = "/agent.sock".length() + 8;
    private static final int SUN_PATH_MAX = 107;

    private final List<String> violations = new ArrayList<>();

    private PlanValidator() {}

    /** Validates {@code plan}; {@code extra} are the calling driver's own violations. */
    public static void check(VmPlan plan, List<String> extra) {
        PlanValidator v = new PlanValidator();
        v.validate(plan);
        v.violations.addAll(extra);
        if (!v.violations.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid vm plan: " + String.join("; ", v.violations));
        }
    }

    private void validate(VmPlan plan) {
        if (plan.vmId() == null || !VM_ID.matcher(plan.vmId()).matches()) {
            violations.add("vm_id: must be 1-12 characters [a-z0-9], got '" + plan.vmId() + "'");
        }
        if (plan.runDir() == null || !plan.runDir().isAbsolute()) {
            violations.add("run_dir: must be an absolute path, got " + plan.runDir());
        } else if (plan.runDir().toString().getBytes(StandardCharsets.UTF_8).length + LONGEST_SOCKET_NAME
                > SUN_PATH_MAX) {
            violations.add("run_dir: too long for unix socket paths (" + plan.runDir() + ")");
        }
        if (plan.consoleLog() == null || !plan.consoleLog().isAbsolute()) {
            violations.add("console_log: must be an absolute path, got " + plan.consoleLog());
        }
        machine(plan.machine());
        file("kernel", plan.kernel());
        file("initrd", plan.initrd());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < plan.disks().size(); i++) {
            DiskPlan disk = plan.disks().get(i);
            String field = "disks[" + i + "]";
            if (disk.id() == null || !DEVICE_ID.matcher(disk.id()).matches()) {
                violations.add(field + ".id: must be 1-32 characters [A-Za-z0-9_-], got '" + disk.id() + "'");
            } else if (!ids.add("disk:" + disk.id())) {
                violations.add(field + ".id: duplicate '" + disk.id() + "'");
            }
            file(field + ".path", disk.path());
            if (disk.serial() != null && disk.serial().getBytes(StandardCharsets.UTF_8).length > 20) {
                violations.add(field + ".serial: at most 20 bytes, got '" + disk.serial() + "'");
            }
        }
        for (int i = 0; i < plan.nics().size(); i++) {
            NicPlan nic = plan.nics().get(i);
            String field = "nics[" + i + "]";
            if (nic.id() == null || !DEVICE_ID.matcher(nic.id()).matches()) {
                violations.add(field + ".id: must be 1-32 characters [A-Za-z0-9_-], got '" + nic.id() + "'");
            } else if (!ids.add("nic:" + nic.id())) {
                violations.add(field + ".id: duplicate '" + nic.id() + "'");
            }
            if (nic.tapName() == null || nic.tapName().isEmpty() || nic.tapName().length() > 15) {
                violations.add(field + ".tap_name: must be 1-15 characters, got '" + nic.tapName() + "'");
            }
            if (nic.mac() == null || !MAC.matcher(nic.mac()).matches()) {
                violations.add(field + ".mac: must be lowercase aa:bb:cc:dd:ee:ff, got '" + nic.mac() + "'");
            }
        }
        if (!PORT.matcher(plan.agentPort()).matches()) {
            violations.add("agent_port: must be 1-64 characters [A-Za-z0-9._-], got '" + plan.agentPort() + "'");
        }
        if (plan.kernelArgs().length() > 2048) {
            violations.add("kernel_args: at most 2048 characters, got " + plan.kernelArgs().length());
        }
    }

    private void machine(MachinePlan machine) {
        if (machine == null) {
            violations.add("machine: missing");
            return;
        }
        if (machine.vcpus() < 1 || machine.vcpus() > 32) {
            violations.add("machine.vcpus: must be 1-32, got " + machine.vcpus());
        }
        if (machine.memoryMib() < 64 || machine.memoryMib() > 256 * 1024) {
            violations.add("machine.memory_mib: must be 64-262144, got " + machine.memoryMib());
        }
    }

    private void file(String field, Path path) {
        if (path == null) {
            violations.add(field + ": missing");
        } else if (!path.isAbsolute()) {
            violations.add(field + ": must be an absolute path, got " + path);
        } else if (!Files.isRegularFile(path)) {
            violations.add(field + ": no such file " + path);
        } else if (!Files.isReadable(path)) {
            violations.add(field + ": not readable " + path);
        }
    }
}
