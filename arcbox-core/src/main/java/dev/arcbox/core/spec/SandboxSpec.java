package dev.arcbox.core.spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import dev.arcbox.core.network.EgressPolicy;
import dev.arcbox.core.network.PortForward;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What a user asks for when creating a sandbox: every field of the seed's {@code VmSpec}
 * (arcbox-vm 0.1.4, {@code src/config.rs}; its {@code name} is our {@code id}) plus labels,
 * environment, lifetime and network mode. Plain data: {@link SpecValidator#validate} checks it
 * and fills daemon defaults. Nulls become empty values; maps are copied and sorted by key.
 *
 * @param id the sandbox's name: at most 64 characters, no '/', no NUL, not blank, not {@code .} or {@code ..}
 * @param vcpus virtual CPUs, 1-32; 0: the daemon default
 * @param memoryMib guest memory, 64-262144 MiB; 0: the daemon default
 * @param kernel kernel image; empty: the daemon default
 * @param bootArgs extra kernel command line; empty: the daemon default
 * @param initrd initramfs; empty: the daemon default
 * @param smt expose simultaneous multithreading
 * @param trackDirtyPages track dirty pages (needed for diff snapshots)
 * @param hugePages huge-page backing of guest memory
 * @param cpuTemplate Firecracker CPU template
 * @param rootfs root file system image; empty: the daemon default
 * @param rootReadonly attach the root drive read-only
 * @param rootIoEngine IO engine of the root drive
 * @param rootCacheType cache mode of the root drive
 * @param rootPartuuid partition UUID of the root drive, passed to the guest kernel
 * @param rootRateLimit rate limit of the root drive
 * @param extraDrives extra block devices, in order
 * @param netRxRateLimit receive rate limit of the network interface
 * @param netTxRateLimit transmit rate limit of the network interface
 * @param balloon memory balloon device
 * @param vsock vsock device (the agent's transport on Firecracker)
 * @param entropyDevice attach a virtio-rng device
 * @param serialOut file the serial console goes to; must lie inside {@code data_dir/sandboxes}
 * @param memoryHotplug hotpluggable memory
 * @param mmds metadata service
 * @param diskSize size of the writable disk in bytes, 16 MiB-1 TiB; empty: the daemon default
 * @param sshPublicKey an SSH public key for the guest (one line)
 * @param labels user labels: at most 64, key [A-Za-z0-9._/-]{1,63}, value at most 256 characters
 * @param env environment of processes started in the sandbox: shell names, at most 64 KiB in all
 * @param ttl lifetime after which the sandbox is removed, at least 1 s
 * @param network how the sandbox is networked
 * @param idleTimeout idle time (no execution, no guest call) after which {@code idleAction} applies, at least 1 s
 * @param egress where the sandbox may connect to (mode tap)
 * @param portForwards TCP ports of the host forwarded to it (mode tap)
 * @param idleAction what happens once it was idle for {@code idleTimeout}: pause (default) or stop
 * @param hostLimits the VMM's host-side limits (cgroup), each unset one derived
 */
public record SandboxSpec(
        String id,
        int vcpus,
        int memoryMib,
        Optional<Path> kernel,
        String bootArgs,
        Optional<Path> initrd,
        boolean smt,
        boolean trackDirtyPages,
        Optional<HugePages> hugePages,
        Optional<CpuTemplate> cpuTemplate,
        Optional<Path> rootfs,
        boolean rootReadonly,
        IoEngine rootIoEngine,
        CacheType rootCacheType,
        Optional<String> rootPartuuid,
        Optional<RateLimitSpec> rootRateLimit,
        List<DriveSpec> extraDrives,
        Optional<RateLimitSpec> netRxRateLimit,
        Optional<RateLimitSpec> netTxRateLimit,
        Optional<BalloonSpec> balloon,
        Optional<VsockSpec> vsock,
        boolean entropyDevice,
        Optional<Path> serialOut,
        Optional<MemoryHotplugSpec> memoryHotplug,
        Optional<MmdsSpec> mmds,
        OptionalLong diskSize,
        Optional<String> sshPublicKey,
        Map<String, String> labels,
        Map<String, String> env,
        Optional<Duration> ttl,
        NetworkMode network,
        Optional<Duration> idleTimeout,
        EgressPolicy egress,
        List<PortForward> portForwards,
        IdleAction idleAction,
        HostLimits hostLimits) {

    public SandboxSpec {
        kernel = kernel == null ? Optional.empty() : kernel;
        bootArgs = bootArgs == null ? "" : bootArgs;
        initrd = initrd == null ? Optional.empty() : initrd;
        hugePages = hugePages == null ? Optional.empty() : hugePages;
        cpuTemplate = cpuTemplate == null ? Optional.empty() : cpuTemplate;
        rootfs = rootfs == null ? Optional.empty() : rootfs;
        rootIoEngine = Objects.requireNonNullElse(rootIoEngine, IoEngine.SYNC);
        rootCacheType = Objects.requireNonNullElse(rootCacheType, CacheType.UNSAFE);
        rootPartuuid = rootPartuuid == null ? Optional.empty() : rootPartuuid;
        rootRateLimit = rootRateLimit == null ? Optional.empty() : rootRateLimit;
        extraDrives = extraDrives == null ? List.of() : List.copyOf(extraDrives);
        netRxRateLimit = netRxRateLimit == null ? Optional.empty() : netRxRateLimit;
        netTxRateLimit = netTxRateLimit == null ? Optional.empty() : netTxRateLimit;
        balloon = balloon == null ? Optional.empty() : balloon;
        vsock = vsock == null ? Optional.empty() : vsock;
        serialOut = serialOut == null ? Optional.empty() : serialOut;
        memoryHotplug = memoryHotplug == null ? Optional.empty() : memoryHotplug;
        mmds = mmds == null ? Optional.empty() : mmds;
        diskSize = diskSize == null ? OptionalLong.empty() : diskSize;
        sshPublicKey = sshPublicKey == null ? Optional.empty() : sshPublicKey;
        labels = labels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(labels));
        env = env == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(env));
        ttl = ttl == null ? Optional.empty() : ttl;
        network = Objects.requireNonNullElse(network, NetworkMode.TAP);
        idleTimeout = idleTimeout == null ? Optional.empty() : idleTimeout;
        egress = egress == null ? EgressPolicy.OPEN : egress;
        portForwards = portForwards == null ? List.of() : List.copyOf(portForwards);
        idleAction = Objects.requireNonNullElse(idleAction, IdleAction.PAUSE);
        hostLimits = hostLimits == null ? HostLimits.DERIVED : hostLimits;
    }

    /** A builder holding the seed's defaults (everything unset, network {@code tap}). */
    public static Builder builder(String id) {
        return new Builder().id(id);
    }

    /** A builder holding this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.vcpus = vcpus;
        b.memoryMib = memoryMib;
        b.kernel = kernel;
        b.bootArgs = bootArgs;
        b.initrd = initrd;
        b.smt = smt;
        b.trackDirtyPages = trackDirtyPages;
        b.hugePages = hugePages;
        b.cpuTemplate = cpuTemplate;
        b.rootfs = rootfs;
        b.rootReadonly = rootReadonly;
        b.rootIoEngine = rootIoEngine;
        b.rootCacheType = rootCacheType;
        b.rootPartuuid = rootPartuuid;
        b.rootRateLimit = rootRateLimit;
        b.extraDrives = extraDrives;
        b.netRxRateLimit = netRxRateLimit;
        b.netTxRateLimit = netTxRateLimit;
        b.balloon = balloon;
        b.vsock = vsock;
        b.entropyDevice = entropyDevice;
        b.serialOut = serialOut;
        b.memoryHotplug = memoryHotplug;
        b.mmds = mmds;
        b.diskSize = diskSize;
        b.sshPublicKey = sshPublicKey;
        b.labels = labels;
        b.env = env;
        b.ttl = ttl;
        b.network = network;
        b.idleTimeout = idleTimeout;
        b.egress = egress;
        b.portForwards = portForwards;
        b.idleAction = idleAction;
        b.hostLimits = hostLimits;
        return b;
    }

    /** Builds a {@link SandboxSpec}; not thread safe. Optional fields take a value or null. */
    public static final class Builder {

        private String id;
        private int vcpus = 0;
        private int memoryMib = 0;
        private Optional<Path> kernel = Optional.empty();
        private String bootArgs = "";
        private Optional<Path> initrd = Optional.empty();
        private boolean smt = false;
        private boolean trackDirtyPages = false;
        private Optional<HugePages> hugePages = Optional.empty();
        private Optional<CpuTemplate> cpuTemplate = Optional.empty();
        private Optional<Path> rootfs = Optional.empty();
        private boolean rootReadonly = false;
        private IoEngine rootIoEngine = IoEngine.SYNC;
        private CacheType rootCacheType = CacheType.UNSAFE;
        private Optional<String> rootPartuuid = Optional.empty();
        private Optional<RateLimitSpec> rootRateLimit = Optional.empty();
        private List<DriveSpec> extraDrives = List.of();
        private Optional<RateLimitSpec> netRxRateLimit = Optional.empty();
        private Optional<RateLimitSpec> netTxRateLimit = Optional.empty();
        private Optional<BalloonSpec> balloon = Optional.empty();
        private Optional<VsockSpec> vsock = Optional.empty();
        private boolean entropyDevice = false;
        private Optional<Path> serialOut = Optional.empty();
        private Optional<MemoryHotplugSpec> memoryHotplug = Optional.empty();
        private Optional<MmdsSpec> mmds = Optional.empty();
        private OptionalLong diskSize = OptionalLong.empty();
        private Optional<String> sshPublicKey = Optional.empty();
        private Map<String, String> labels = Map.of();
        private Map<String, String> env = Map.of();
        private Optional<Duration> ttl = Optional.empty();
        private NetworkMode network = NetworkMode.TAP;
        private EgressPolicy egress = EgressPolicy.OPEN;
        private List<PortForward> portForwards = List.of();
        private Optional<Duration> idleTimeout = Optional.empty();
        private IdleAction idleAction = IdleAction.PAUSE;
        private HostLimits hostLimits = HostLimits.DERIVED;

        private Builder() {}

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder vcpus(int vcpus) {
            this.vcpus = vcpus;
            return this;
        }

        public Builder memoryMib(int memoryMib) {
            this.memoryMib = memoryMib;
            return this;
        }

        public Builder kernel(Optional<Path> kernel) {
            this.kernel = kernel;
            return this;
        }

        public Builder bootArgs(String bootArgs) {
            this.bootArgs = bootArgs;
            return this;
        }

        public Builder initrd(Optional<Path> initrd) {
            this.initrd = initrd;
            return this;
        }

        public Builder smt(boolean smt) {
            this.smt = smt;
            return this;
        }

        public Builder trackDirtyPages(boolean trackDirtyPages) {
            this.trackDirtyPages = trackDirtyPages;
            return this;
        }

        public Builder hugePages(Optional<HugePages> hugePages) {
            this.hugePages = hugePages;
            return this;
        }

        public Builder cpuTemplate(Optional<CpuTemplate> cpuTemplate) {
            this.cpuTemplate = cpuTemplate;
            return this;
        }

        public Builder rootfs(Optional<Path> rootfs) {
            this.rootfs = rootfs;
            return this;
        }

        public Builder rootReadonly(boolean rootReadonly) {
            this.rootReadonly = rootReadonly;
            return this;
        }

        public Builder rootIoEngine(IoEngine rootIoEngine) {
            this.rootIoEngine = rootIoEngine;
            return this;
        }

        public Builder rootCacheType(CacheType rootCacheType) {
            this.rootCacheType = rootCacheType;
            return this;
        }

        public Builder rootPartuuid(Optional<String> rootPartuuid) {
            this.rootPartuuid = rootPartuuid;
            return this;
        }

        public Builder rootRateLimit(Optional<RateLimitSpec> rootRateLimit) {
            this.rootRateLimit = rootRateLimit;
            return this;
        }

        public Builder extraDrives(List<DriveSpec> extraDrives) {
            this.extraDrives = extraDrives;
            return this;
        }

        public Builder netRxRateLimit(Optional<RateLimitSpec> netRxRateLimit) {
            this.netRxRateLimit = netRxRateLimit;
            return this;
        }

        public Builder netTxRateLimit(Optional<RateLimitSpec> netTxRateLimit) {
            this.netTxRateLimit = netTxRateLimit;
            return this;
        }

        public Builder balloon(Optional<BalloonSpec> balloon) {
            this.balloon = balloon;
            return this;
        }

        public Builder vsock(Optional<VsockSpec> vsock) {
            this.vsock = vsock;
            return this;
        }

        public Builder entropyDevice(boolean entropyDevice) {
            this.entropyDevice = entropyDevice;
            return this;
        }

        public Builder serialOut(Optional<Path> serialOut) {
            this.serialOut = serialOut;
            return this;
        }

        public Builder memoryHotplug(Optional<MemoryHotplugSpec> memoryHotplug) {
            this.memoryHotplug = memoryHotplug;
            return this;
        }

        public Builder mmds(Optional<MmdsSpec> mmds) {
            this.mmds = mmds;
            return this;
        }

        public Builder diskSize(OptionalLong diskSize) {
            this.diskSize = diskSize;
            return this;
        }

        public Builder sshPublicKey(Optional<String> sshPublicKey) {
            this.sshPublicKey = sshPublicKey;
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            this.labels = labels;
            return this;
        }

        public Builder env(Map<String, String> env) {
            this.env = env;
            return this;
        }

        public Builder ttl(Optional<Duration> ttl) {
            this.ttl = ttl;
            return this;
        }

        public Builder network(NetworkMode network) {
            this.network = network;
            return this;
        }

        public Builder idleTimeout(Optional<Duration> idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        public Builder egress(EgressPolicy egress) {
            this.egress = egress;
            return this;
        }

        public Builder hostLimits(HostLimits hostLimits) {
            this.hostLimits = hostLimits;
            return this;
        }

        public Builder portForwards(List<PortForward> portForwards) {
            this.portForwards = portForwards;
            return this;
        }

        public Builder idleAction(IdleAction idleAction) {
            this.idleAction = idleAction;
            return this;
        }

        public Builder kernel(Path kernel) {
            this.kernel = Optional.ofNullable(kernel);
            return this;
        }

        public Builder initrd(Path initrd) {
            this.initrd = Optional.ofNullable(initrd);
            return this;
        }

        public Builder hugePages(HugePages hugePages) {
            this.hugePages = Optional.ofNullable(hugePages);
            return this;
        }

        public Builder cpuTemplate(CpuTemplate cpuTemplate) {
            this.cpuTemplate = Optional.ofNullable(cpuTemplate);
            return this;
        }

        public Builder rootfs(Path rootfs) {
            this.rootfs = Optional.ofNullable(rootfs);
            return this;
        }

        public Builder rootPartuuid(String rootPartuuid) {
            this.rootPartuuid = Optional.ofNullable(rootPartuuid);
            return this;
        }

        public Builder rootRateLimit(RateLimitSpec rootRateLimit) {
            this.rootRateLimit = Optional.ofNullable(rootRateLimit);
            return this;
        }

        public Builder netRxRateLimit(RateLimitSpec netRxRateLimit) {
            this.netRxRateLimit = Optional.ofNullable(netRxRateLimit);
            return this;
        }

        public Builder netTxRateLimit(RateLimitSpec netTxRateLimit) {
            this.netTxRateLimit = Optional.ofNullable(netTxRateLimit);
            return this;
        }

        public Builder balloon(BalloonSpec balloon) {
            this.balloon = Optional.ofNullable(balloon);
            return this;
        }

        public Builder vsock(VsockSpec vsock) {
            this.vsock = Optional.ofNullable(vsock);
            return this;
        }

        public Builder serialOut(Path serialOut) {
            this.serialOut = Optional.ofNullable(serialOut);
            return this;
        }

        public Builder memoryHotplug(MemoryHotplugSpec memoryHotplug) {
            this.memoryHotplug = Optional.ofNullable(memoryHotplug);
            return this;
        }

        public Builder mmds(MmdsSpec mmds) {
            this.mmds = Optional.ofNullable(mmds);
            return this;
        }

        public Builder diskSize(long diskSize) {
            this.diskSize = OptionalLong.of(diskSize);
            return this;
        }

        public Builder sshPublicKey(String sshPublicKey) {
            this.sshPublicKey = Optional.ofNullable(sshPublicKey);
            return this;
        }

        public Builder ttl(Duration ttl) {
            this.ttl = Optional.ofNullable(ttl);
            return this;
        }

        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = Optional.ofNullable(idleTimeout);
            return this;
        }

        public SandboxSpec build() {
            return new SandboxSpec(id, vcpus, memoryMib, kernel, bootArgs, initrd, smt, trackDirtyPages, hugePages, cpuTemplate, rootfs, rootReadonly, rootIoEngine, rootCacheType, rootPartuuid, rootRateLimit, extraDrives, netRxRateLimit, netTxRateLimit, balloon, vsock, entropyDevice, serialOut, memoryHotplug, mmds, diskSize, sshPublicKey, labels, env, ttl, network, idleTimeout, egress, portForwards, idleAction, hostLimits);
        }
    }
}
