package dev.arcbox.core.driver;

import dev.arcbox.core.spec.BalloonSpec;
import dev.arcbox.core.spec.CpuTemplate;
import dev.arcbox.core.spec.HugePages;
import dev.arcbox.core.spec.MemoryHotplugSpec;
import dev.arcbox.core.spec.MmdsSpec;
import dev.arcbox.core.spec.RateLimitSpec;
import dev.arcbox.core.spec.VsockSpec;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The seed's {@code VmSpec} fields beyond a machine's shape, disks and NICs (arcbox-vm 0.1.4,
 * {@code src/config.rs}), resolved for a driver. A driver maps what it supports and has already
 * refused, through its capabilities at admission, what it does not. {@link #NONE} asks for
 * nothing beyond the plan.
 *
 * @param trackDirtyPages track dirty pages (diff snapshots)
 * @param hugePages huge-page backing of guest memory
 * @param cpuTemplate CPU template
 * @param drives per-drive options by {@link DiskPlan#id()}; a disk not named gets {@link DriveOptions#DEFAULT}
 * @param netRxRateLimit receive limit of the first network interface
 * @param netTxRateLimit transmit limit of the first network interface
 * @param balloon memory balloon device
 * @param vsock vsock device; its guest CID
 * @param entropyDevice attach a virtio-rng device
 * @param serialOut file the serial console goes to instead of the plan's console log
 * @param memoryHotplug hotpluggable memory
 * @param mmds metadata service and its initial data
 * @param sshPublicKey an SSH public key for the guest (handed over through MMDS where there is one)
 */
public record VmFeatures(
        boolean trackDirtyPages,
        Optional<HugePages> hugePages,
        Optional<CpuTemplate> cpuTemplate,
        Map<String, DriveOptions> drives,
        Optional<RateLimitSpec> netRxRateLimit,
        Optional<RateLimitSpec> netTxRateLimit,
        Optional<BalloonSpec> balloon,
        Optional<VsockSpec> vsock,
        boolean entropyDevice,
        Optional<Path> serialOut,
        Optional<MemoryHotplugSpec> memoryHotplug,
        Optional<MmdsSpec> mmds,
        Optional<String> sshPublicKey) {

    /** Nothing beyond the plan. */
    public static final VmFeatures NONE = new VmFeatures(false, Optional.empty(), Optional.empty(), Map.of(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty());

    public VmFeatures {
        hugePages = hugePages == null ? Optional.empty() : hugePages;
        cpuTemplate = cpuTemplate == null ? Optional.empty() : cpuTemplate;
        drives = drives == null ? Map.of() : Map.copyOf(drives);
        netRxRateLimit = netRxRateLimit == null ? Optional.empty() : netRxRateLimit;
        netTxRateLimit = netTxRateLimit == null ? Optional.empty() : netTxRateLimit;
        balloon = balloon == null ? Optional.empty() : balloon;
        vsock = vsock == null ? Optional.empty() : vsock;
        serialOut = serialOut == null ? Optional.empty() : serialOut;
        memoryHotplug = memoryHotplug == null ? Optional.empty() : memoryHotplug;
        mmds = mmds == null ? Optional.empty() : mmds;
        sshPublicKey = sshPublicKey == null ? Optional.empty() : sshPublicKey;
    }

    /** The options of disk {@code id}. */
    public DriveOptions drive(String id) {
        return drives.getOrDefault(id, DriveOptions.DEFAULT);
    }
}
