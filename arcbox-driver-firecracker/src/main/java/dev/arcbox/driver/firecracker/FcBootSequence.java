package dev.arcbox.driver.firecracker;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.DriveOptions;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.VmFeatures;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.spec.BalloonSpec;
import dev.arcbox.core.spec.CacheType;
import dev.arcbox.core.spec.IoEngine;
import dev.arcbox.core.spec.MmdsSpec;
import dev.arcbox.core.spec.RateLimitSpec;
import dev.arcbox.core.spec.TokenBucketSpec;
import dev.arcbox.driver.firecracker.api.Balloon;
import dev.arcbox.driver.firecracker.api.BootSource;
import dev.arcbox.driver.firecracker.api.Drive;
import dev.arcbox.driver.firecracker.api.EntropyDevice;
import dev.arcbox.driver.firecracker.api.InstanceActionInfo;
import dev.arcbox.driver.firecracker.api.Logger;
import dev.arcbox.driver.firecracker.api.MachineConfiguration;
import dev.arcbox.driver.firecracker.api.MemoryHotplugConfig;
import dev.arcbox.driver.firecracker.api.Metrics;
import dev.arcbox.driver.firecracker.api.MmdsConfig;
import dev.arcbox.driver.firecracker.api.NetworkInterface;
import dev.arcbox.driver.firecracker.api.RateLimiter;
import dev.arcbox.driver.firecracker.api.SerialConfig;
import dev.arcbox.driver.firecracker.api.TokenBucket;
import dev.arcbox.driver.firecracker.api.Vsock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The API calls that configure and start a cold-booted VM, from its plan: every field of the
 * seed's {@code VmSpec} that {@link VmFeatures} carries becomes part of a documented body. Pure:
 * builds data, sends nothing.
 */
final class FcBootSequence {

    /** What Firecracker's guest needs on its command line besides the plan's arguments. */
    static final String BASE_ARGS = "console=ttyS0 reboot=k panic=1 pci=off";
    /** The guest CID when the spec names none (0-2 are reserved). */
    static final long DEFAULT_GUEST_CID = 3;

    private FcBootSequence() {}

    /** Logger and metrics: the only calls allowed before a snapshot load, so both sequences start so. */
    static List<FcCall> telemetry(FirecrackerConfig config, FcFiles files) {
        return List.of(
                FcCall.put("/logger", new Logger(files.logFifo(), config.logLevel().map(l -> l.token()).orElse(null),
                        true, false, null)),
                FcCall.put("/metrics", new Metrics(files.metricsFifo())));
    }

    /** The whole cold-boot sequence, ending with {@code InstanceStart}. */
    static List<FcCall> boot(VmPlan plan, FirecrackerConfig config, FcFiles files) {
        VmFeatures f = plan.features();
        List<FcCall> calls = new ArrayList<>(telemetry(config, files));
        calls.add(FcCall.put("/machine-config", new MachineConfiguration(plan.machine().vcpus(),
                plan.machine().memoryMib(), plan.machine().smt(), f.trackDirtyPages(),
                f.hugePages().map(h -> h.token()).orElse(null), f.cpuTemplate().map(Enum::name).orElse(null))));
        calls.add(FcCall.put("/boot-source", new BootSource(files.kernel(), files.initrd(), bootArgs(plan))));
        for (DiskPlan disk : plan.disks()) {
            String id = driveId(disk);
            DriveOptions o = f.drive(disk.id());
            calls.add(FcCall.put("/drives/" + id, new Drive(id, files.drives().get(disk.id()), false, disk.readOnly(),
                    o.partuuid().orElse(null), cacheType(o.cacheType()), ioEngine(o.ioEngine()),
                    limiter(o.rateLimit()))));
        }
        for (int i = 0; i < plan.nics().size(); i++) {
            NicPlan nic = plan.nics().get(i);
            boolean first = i == 0;
            calls.add(FcCall.put("/network-interfaces/" + ifaceId(nic), new NetworkInterface(ifaceId(nic),
                    nic.tapName(), nic.mac(), first ? limiter(f.netRxRateLimit()) : null,
                    first ? limiter(f.netTxRateLimit()) : null)));
        }
        long cid = f.vsock().map(v -> v.guestCid()).orElse(DEFAULT_GUEST_CID);
        calls.add(FcCall.put("/vsock", new Vsock(cid, files.vsock())));
        f.balloon().ifPresent(b -> calls.add(FcCall.put("/balloon", balloon(b))));
        if (f.entropyDevice()) {
            calls.add(FcCall.put("/entropy", new EntropyDevice(null)));
        }
        if (files.serial() != null) {
            calls.add(FcCall.put("/serial", new SerialConfig(files.serial())));
        }
        f.memoryHotplug().ifPresent(m -> calls.add(FcCall.put("/hotplug/memory", new MemoryHotplugConfig(
                m.totalSizeMib(), boxed(m.slotSizeMib()), boxed(m.blockSizeMib())))));
        f.mmds().ifPresent(m -> {
            calls.add(FcCall.put("/mmds/config", new MmdsConfig(m.version().name(),
                    m.networkInterfaces().stream().map(i -> i.replace('-', '_')).toList(),
                    m.ipv4Address().orElse(null), m.imdsCompat())));
            calls.add(FcCall.put("/mmds", mmdsData(m, f.sshPublicKey())));
        });
        calls.add(FcCall.put("/actions", new InstanceActionInfo("InstanceStart")));
        return calls;
    }

    static String bootArgs(VmPlan plan) {
        return (BASE_ARGS + " " + plan.kernelArgs()).strip();
    }

    /**
     * The MMDS data store: the spec's initial data, plus the SSH key (when given and the data has
     * none) where EC2-style tools look for it, {@code latest/meta-data/public-keys/0/openssh-key}.
     */
    static ObjectNode mmdsData(MmdsSpec mmds, Optional<String> sshPublicKey) {
        ObjectNode data = mmds.initialData().orElseGet(JsonNodeFactory.instance::objectNode);
        sshPublicKey.ifPresent(key -> {
            ObjectNode keys = data.withObjectProperty("latest").withObjectProperty("meta-data")
                    .withObjectProperty("public-keys").withObjectProperty("0");
            if (!keys.has("openssh-key")) {
                keys.put("openssh-key", key);
            }
        });
        return data;
    }

    /**
     * Firecracker's drive id: resource ids allow only letters, digits and '_', so the disk's
     * serial (the name the guest agent finds it by, e.g. {@code abx-root}) with '-' as '_'; the
     * guest reads it back as the virtio-blk serial (Firecracker answers GET_ID with the drive id).
     */
    static String driveId(DiskPlan disk) {
        String name = disk.serial() != null ? disk.serial() : disk.id();
        return name.replace('-', '_');
    }

    /** Firecracker's interface id ('-' is not allowed there either). */
    static String ifaceId(NicPlan nic) {
        return nic.id().replace('-', '_');
    }

    static Balloon balloon(BalloonSpec b) {
        Integer interval = b.statsPollingIntervalS().isPresent() ? (int) b.statsPollingIntervalS().getAsLong() : null;
        return new Balloon(b.amountMib(), b.deflateOnOom(), interval, b.freePageHinting() ? Boolean.TRUE : null,
                b.freePageReporting() ? Boolean.TRUE : null);
    }

    static RateLimiter limiter(Optional<RateLimitSpec> spec) {
        return spec.map(s -> new RateLimiter(s.bandwidth().map(FcBootSequence::bucket).orElse(null),
                s.ops().map(FcBootSequence::bucket).orElse(null))).orElse(null);
    }

    private static TokenBucket bucket(TokenBucketSpec b) {
        return new TokenBucket(b.size(), boxed(b.oneTimeBurst()), b.refillTimeMs());
    }

    private static Long boxed(java.util.OptionalLong value) {
        return value.isPresent() ? value.getAsLong() : null;
    }

    static String cacheType(CacheType type) {
        return switch (type) {
            case UNSAFE -> "Unsafe";
            case WRITEBACK -> "Writeback";
        };
    }

    static String ioEngine(IoEngine engine) {
        return switch (engine) {
            case SYNC -> "Sync";
            case ASYNC -> "Async";
        };
    }
}
