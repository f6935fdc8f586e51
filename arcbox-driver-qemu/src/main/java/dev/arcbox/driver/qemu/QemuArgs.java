package dev.arcbox.driver.qemu;

import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.VmPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU command line for one microVM: {@code -M microvm}, direct kernel boot, virtio-mmio
 * devices, guest RAM in a file, the serial console, QMP and the agent on Unix sockets, and QEMU's
 * seccomp sandbox on. A pure function of its inputs, pinned by a golden test.
 *
 * @param plan the VM
 * @param accelerator KVM or TCG (resolved, never AUTO)
 * @param tscKhz the host TSC rate, needed by TCG guests that cannot calibrate on microvm
 * @param memoryFile the file backing guest RAM
 * @param sharedMemory share=on (live RAM on tmpfs) or share=off (a clone's private copy-on-write map)
 * @param incoming start paused, waiting for {@code migrate-incoming}
 * @param runAs the user QEMU drops to once it has opened its files, or null to stay root
 * @param runWith name the user with {@code -run-with user=} (QEMU 9.1 and later) instead of {@code -runas}
 */
record QemuArgs(
        VmPlan plan, Accelerator accelerator, long tscKhz, Path memoryFile, boolean sharedMemory, boolean incoming,
        String runAs, boolean runWith) {

    /** QEMU that stays root. */
    QemuArgs(VmPlan plan, Accelerator accelerator, long tscKhz, Path memoryFile, boolean sharedMemory,
            boolean incoming) {
        this(plan, accelerator, tscKhz, memoryFile, sharedMemory, incoming, null, false);
    }

    static final String QMP_SOCKET = "qmp.sock";
    static final String AGENT_SOCKET = "agent.sock";
    /** The serial console: QEMU drops its output while no reader is connected. */
    static final String CONSOLE_SOCKET = "console.sock";
    static final String PID_FILE = "qemu.pid";
    /**
     * QEMU's seccomp filter: a guest that escapes into QEMU cannot spawn processes, gain
     * privileges, use obsolete system calls or change scheduling and resource limits.
     */
    static final String SECCOMP = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
    /**
     * The filter for a QEMU that drops to another user: the filter is installed before the drop, so
     * the drop's setuid/setgid must be allowed. After it QEMU has no capabilities and no_new_privs
     * (the filter sets it) and cannot exec, so the kernel refuses any way back to root.
     */
    static final String SECCOMP_DROPPING = "on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny";

    /** Kernel parameters that shorten a microVM boot and keep its console quiet. */
    private static final String FAST_BOOT = "console=ttyS0 reboot=k panic=-1 quiet loglevel=3 mitigations=off "
            + "cryptomgr.notests i8042.noaux i8042.nokbd i8042.nopnp i8042.dumbkbd random.trust_cpu=on "
            + "audit=0 no_timer_check";

    List<String> command(Path binary) {
        List<String> a = new ArrayList<>();
        a.add(binary.toString());
        a.addAll(List.of("-name", "arcbox-" + plan.vmId()));
        a.addAll(List.of("-machine", "microvm,memory-backend=mem"));
        a.addAll(List.of("-accel", accelerator == Accelerator.KVM ? "kvm" : "tcg"));
        a.addAll(List.of("-cpu", accelerator == Accelerator.KVM ? "host" : "max"));
        a.addAll(List.of("-m", plan.machine().memoryMib() + "M"));
        a.addAll(List.of("-smp", Integer.toString(plan.machine().vcpus())));
        a.addAll(List.of("-nodefaults", "-no-user-config", "-nographic", "-no-reboot"));
        a.addAll(List.of("-sandbox", runAs == null ? SECCOMP : SECCOMP_DROPPING));
        if (runAs != null) {
            a.addAll(runWith ? List.of("-run-with", "user=" + runAs) : List.of("-runas", runAs));
        }
        a.addAll(List.of("-object", "memory-backend-file,id=mem,size=" + plan.machine().memoryMib() + "M,mem-path="
                + opt(memoryFile) + ",share=" + (sharedMemory ? "on" : "off")));
        a.addAll(List.of("-chardev", "socket,id=console,path=" + opt(plan.runDir().resolve(CONSOLE_SOCKET))
                + ",server=on,wait=off"));
        a.addAll(List.of("-serial", "chardev:console"));
        a.addAll(List.of("-qmp", "unix:" + opt(plan.runDir().resolve(QMP_SOCKET)) + ",server=on,wait=off"));
        a.addAll(List.of("-pidfile", plan.runDir().resolve(PID_FILE).toString()));
        a.addAll(List.of("-kernel", plan.kernel().toString()));
        a.addAll(List.of("-initrd", plan.initrd().toString()));
        a.addAll(List.of("-append", kernelCommandLine()));
        for (DiskPlan disk : plan.disks()) {
            a.addAll(List.of("-drive", "file=" + opt(disk.path()) + ",if=none,id=disk-" + disk.id()
                    + ",format=raw,readonly=" + (disk.readOnly() ? "on" : "off") + ",cache=writeback"));
            a.addAll(List.of("-device", "virtio-blk-device,drive=disk-" + disk.id()
                    + (disk.serial() == null ? "" : ",serial=" + disk.serial())));
        }
        for (NicPlan nic : plan.nics()) {
            a.addAll(List.of("-netdev", "tap,id=net-" + nic.id() + ",ifname=" + nic.tapName()
                    + ",script=no,downscript=no"));
            a.addAll(List.of("-device", "virtio-net-device,netdev=net-" + nic.id() + ",mac=" + nic.mac()));
        }
        a.addAll(List.of("-object", "rng-random,id=rng,filename=/dev/urandom"));
        a.addAll(List.of("-device", "virtio-rng-device,rng=rng"));
        a.addAll(List.of("-device", "virtio-serial-device"));
        a.addAll(List.of("-chardev", "socket,id=agent,path=" + opt(plan.runDir().resolve(AGENT_SOCKET))
                + ",server=on,wait=off"));
        a.addAll(List.of("-device", "virtserialport,chardev=agent,name=" + plan.agentPort()));
        if (incoming) {
            a.addAll(List.of("-incoming", "defer"));
        }
        return List.copyOf(a);
    }

    /** Whether QEMU {@code version} (as {@code --version} prints it) names its user with {@code -run-with user=}. */
    static boolean hasRunWithUser(String version) {
        var m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version.strip());
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 9 || major == 9 && minor >= 1;
    }

    /** QEMU option values end at a comma; a literal comma is written twice. */
    private static String opt(Path path) {
        return path.toString().replace(",", ",,");
    }

    String kernelCommandLine() {
        StringBuilder line = new StringBuilder(FAST_BOOT);
        if (accelerator == Accelerator.TCG) {
            // microvm has no PIT gate port and no HPET: a TCG guest cannot calibrate its TSC
            line.append(" tsc_early_khz=").append(tscKhz).append(" tsc=reliable");
        }
        line.append(" arcbox.port=").append(plan.agentPort());
        if (!plan.kernelArgs().isBlank()) {
            line.append(' ').append(plan.kernelArgs().strip());
        }
        return line.toString();
    }
}
