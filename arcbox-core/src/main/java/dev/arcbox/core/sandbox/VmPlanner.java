package dev.arcbox.core.sandbox;

import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.DriveOptions;
import dev.arcbox.core.driver.VmFeatures;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.spec.DriveSpec;
import dev.arcbox.core.spec.SandboxSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a validated sandbox spec into a driver's {@link VmPlan}. Every host path is derived from
 * the sandbox's short uid: {@code <data>/sandboxes/<uid>/{disk.img,console.log,run/}}.
 */
final class VmPlanner {

    static final String DISK = "disk.img";
    static final String CONSOLE = "console.log";
    static final String RUN = "run";
    static final long DEFAULT_DISK_BYTES = 2L << 30;

    private final DaemonConfig config;
    private final GuestImage image;

    VmPlanner(DaemonConfig config, GuestImage image) {
        this.config = config;
        this.image = image;
    }

    Path dirOf(String uid) {
        return config.sandboxesDir().resolve(uid);
    }

    long diskBytes(SandboxSpec spec) {
        if (spec.diskSize().isPresent()) {
            return spec.diskSize().getAsLong();
        }
        return config.defaults().diskSizeMib() > 0 ? config.defaults().diskSizeMib() << 20 : DEFAULT_DISK_BYTES;
    }

    VmPlan plan(String uid, SandboxSpec spec) {
        return plan(uid, spec, List.of(), "");
    }

    /** A plan with network interfaces and the kernel parameters that address them. */
    VmPlan plan(String uid, SandboxSpec spec, List<dev.arcbox.core.driver.NicPlan> nics, String netArgs) {
        Path dir = dirOf(uid);
        Path kernel = spec.kernel().orElse(image.kernel());
        Path initrd = spec.initrd().orElse(image.initrd());
        Path rootfs = spec.rootfs().orElse(image.rootfs());
        List<DiskPlan> disks = new ArrayList<>();
        disks.add(DiskPlan.root(rootfs));
        disks.add(DiskPlan.writable(dir.resolve(DISK)));
        for (DriveSpec drive : spec.extraDrives()) {
            disks.add(new DiskPlan(drive.driveId(), drive.path(), drive.readonly(), null));
        }
        String args = (spec.bootArgs() + " arcbox.hostname=" + hostname(spec.id()) + " " + netArgs).strip();
        // hashes name what the VM runs on: only the image's own assets have known hashes
        Map<String, String> hashes = kernel.equals(image.kernel()) && initrd.equals(image.initrd())
                && rootfs.equals(image.rootfs()) ? image.hashes() : Map.of();
        return new VmPlan(uid, dir.resolve(RUN), dir.resolve(CONSOLE),
                new MachinePlan(spec.vcpus(), spec.memoryMib(), spec.smt(), config.qemu().accel().token()),
                kernel, initrd, args, disks, nics, null, hashes, features(spec));
    }

    /** The spec's device and memory options, for drivers that map them (Firecracker). */
    static VmFeatures features(SandboxSpec spec) {
        Map<String, DriveOptions> drives = new java.util.HashMap<>();
        drives.put("root", new DriveOptions(spec.rootIoEngine(), spec.rootCacheType(),
                spec.rootPartuuid(), spec.rootRateLimit()));
        for (DriveSpec drive : spec.extraDrives()) {
            drives.put(drive.driveId(), new DriveOptions(drive.ioEngine(), drive.cacheType(), drive.partuuid(),
                    drive.rateLimit()));
        }
        return new VmFeatures(spec.trackDirtyPages(), spec.hugePages(), spec.cpuTemplate(), drives,
                spec.netRxRateLimit(), spec.netTxRateLimit(), spec.balloon(), spec.vsock(), spec.entropyDevice(),
                spec.serialOut(), spec.memoryHotplug(), spec.mmds(), spec.sshPublicKey());
    }

    /** A host name from a free-form id: [a-z0-9-], at most 63 characters. */
    static String hostname(String id) {
        String h = id.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        if (h.isEmpty()) {
            h = "sandbox";
        }
        return h.length() > 63 ? h.substring(0, 63) : h;
    }
}
