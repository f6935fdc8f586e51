package dev.arcbox.core.driver;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a driver needs to cold-boot one VM, resolved by the caller: paths exist, names are
 * final. The driver owns {@code runDir} (sockets, memory file, VMM logs) and removes it when the VM
 * stops; {@code consoleLog} belongs to the caller.
 *
 * @param vmId short internal id, used to name host resources (at most 12 characters, [a-z0-9])
 * @param runDir directory for the VMM's sockets and files; short, so socket paths fit in 108 bytes
 * @param consoleLog the caller's console log: a driver whose VMs offer {@link RunningVm#openConsole}
 *     leaves it to the caller; others append the serial console to it
 * @param machine the machine's shape
 * @param kernel uncompressed ELF kernel (vmlinux) or bzImage
 * @param initrd initramfs holding the guest agent as /init
 * @param kernelArgs extra kernel command line (the driver adds what its machine needs)
 * @param disks block devices, in order
 * @param nics network interfaces, in order
 * @param agentPort name of the agent's virtio-serial port / vsock port as a string
 * @param assetHashes content hashes of kernel, initrd and rootfs ({@code kernel}, {@code initrd},
 *     {@code rootfs}), recorded in snapshots and checked on restore
 * @param features the spec's device and memory options beyond the above ({@link VmFeatures#NONE}: none)
 */
public record VmPlan(
        String vmId,
        Path runDir,
        Path consoleLog,
        MachinePlan machine,
        Path kernel,
        Path initrd,
        String kernelArgs,
        List<DiskPlan> disks,
        List<NicPlan> nics,
        String agentPort,
        Map<String, String> assetHashes,
        VmFeatures features) {

    public static final String DEFAULT_AGENT_PORT = "arcbox.agent";

    public VmPlan {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
        assetHashes = Map.copyOf(assetHashes);
        kernelArgs = kernelArgs == null ? "" : kernelArgs;
        agentPort = agentPort == null ? DEFAULT_AGENT_PORT : agentPort;
        features = features == null ? VmFeatures.NONE : features;
    }

    /** A plan without features beyond machine, disks and NICs. */
    public VmPlan(String vmId, Path runDir, Path consoleLog, MachinePlan machine, Path kernel, Path initrd,
            String kernelArgs, List<DiskPlan> disks, List<NicPlan> nics, String agentPort,
            Map<String, String> assetHashes) {
        this(vmId, runDir, consoleLog, machine, kernel, initrd, kernelArgs, disks, nics, agentPort, assetHashes,
                VmFeatures.NONE);
    }

    /** This plan with {@code features}. */
    public VmPlan withFeatures(VmFeatures features) {
        return new VmPlan(vmId, runDir, consoleLog, machine, kernel, initrd, kernelArgs, disks, nics, agentPort,
                assetHashes, features);
    }
}
