package dev.arcbox.driver.firecracker;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.driver.Capability;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.PlanValidator;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.core.driver.VmFeatures;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmRecord;
import dev.arcbox.core.driver.VmmPlacement;
import dev.arcbox.core.proc.PidFd;
import dev.arcbox.core.proc.ProcessIdentity;
import dev.arcbox.driver.firecracker.api.FcApiClient;
import dev.arcbox.driver.firecracker.api.FcHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Runs each VM in its own Firecracker process, directly or through the jailer, configured over
 * its REST API; the guest agent speaks over hybrid vsock. Firecracker is started through
 * util-linux {@code setsid} in a session of its own with its output in a file, so it outlives the
 * daemon and a restarted daemon re-attaches to it (pid + start time).
 *
 * <p>Capabilities: everything of the seed's spec. {@link Capability#FORK} only with the jailer:
 * a clone's disks are found through the drive paths baked into the snapshot, which resolve to the
 * clone's own files only inside the clone's own jail.
 */
public final class FcDriver implements VmDriver {

    /** The bound on each API call by default. */
    public static final Duration API_TIMEOUT = Duration.ofSeconds(10);
    static final String ID = "firecracker";
    static final String API_SOCKET = "api.sock";
    static final String VSOCK_SOCKET = "v.sock";
    static final String LOG_FIFO = "log.fifo";
    static final String METRICS_FIFO = "metrics.fifo";
    /** Firecracker's standard output, where the serial console goes: in the host's run directory, never in a jail. */
    static final String CONSOLE_FIFO = "console.fifo";
    /** The agent's AF_VSOCK port in the guest (docs/agent-protocol.md). */
    static final int AGENT_VSOCK_PORT = 1024;
    private static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern FC_ID = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final FirecrackerConfig config;
    private final Duration apiTimeout;
    private final FcLauncher launcher;
    private final FcSnapshots snapshots;
    private final VmmPlacement placement;

    /** A driver with {@link #API_TIMEOUT} on each API call. */
    public FcDriver(FirecrackerConfig config) {
        this(config, API_TIMEOUT);
    }

    public FcDriver(FirecrackerConfig config, Duration apiTimeout) {
        this(config, apiTimeout, VmmPlacement.NONE);
    }

    /**
     * A driver whose Firecracker processes (through the jailer too, which execs Firecracker in place
     * or forks it into a new PID namespace, both inheriting the cgroup) are put in place by
     * {@code placement} — the sandbox's cgroups — before they run. Jailer cgroup options the
     * configuration sets then move Firecracker on into the jailer's own group.
     */
    public FcDriver(FirecrackerConfig config, Duration apiTimeout, VmmPlacement placement) {
        this.config = config;
        this.apiTimeout = apiTimeout;
        this.placement = placement;
        this.launcher = new FcLauncher(this);
        this.snapshots = new FcSnapshots(this);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.of(Capability.PAUSE, Capability.SNAPSHOT_FULL, Capability.SNAPSHOT_DIFF,
                Capability.BALLOON, Capability.MMDS, Capability.MEMORY_HOTPLUG, Capability.RATE_LIMIT,
                Capability.ENTROPY_DEVICE, Capability.NETWORK_TAP, Capability.HARDWARE_ACCELERATION,
                Capability.HUGE_PAGES, Capability.CPU_TEMPLATE);
        if (jailed()) {
            caps.add(Capability.FORK);
        }
        return Set.copyOf(caps);
    }

    /** Why this driver cannot run on this host, or empty. */
    public Optional<String> unavailable() {
        return FcHost.unavailable(config);
    }

    FirecrackerConfig config() {
        return config;
    }

    VmmPlacement placement() {
        return placement;
    }

    boolean jailed() {
        return config.jailer().isPresent();
    }

    Duration socketTimeout() {
        return config.socketTimeoutSecs().isPresent() ? Duration.ofSeconds(config.socketTimeoutSecs().getAsLong())
                : DEFAULT_SOCKET_TIMEOUT;
    }

    FcApiClient api(String vmId, Path socket) {
        return new FcApiClient(FcHttp.shared(), vmId, socket, apiTimeout);
    }

    FcLauncher launcher() {
        return launcher;
    }

    /** The layout of a VM: its own jail when jailed, its run directory otherwise. */
    FcLayout layout(VmPlan plan) {
        return config.jailer().<FcLayout>map(j -> FcJail.of(j, config.binary(), plan.vmId()))
                .orElseGet(() -> new FcLayout.Direct(plan.runDir()));
    }

    @Override
    public void validate(VmPlan plan) {
        List<String> extra = new ArrayList<>();
        if (plan.machine() != null) {
            int vcpus = plan.machine().vcpus();
            if (vcpus > 1 && vcpus % 2 != 0) {
                extra.add("machine.vcpus: firecracker takes 1 or an even number, got " + vcpus);
            }
            String accel = plan.machine().accelerator();
            if (accel != null && !accel.isBlank() && !accel.equalsIgnoreCase("auto") && !accel.equalsIgnoreCase("kvm")) {
                extra.add("machine.accelerator: unknown accelerator '" + accel + "' for firecracker (only kvm)");
            }
        }
        Set<String> driveIds = new HashSet<>();
        for (int i = 0; i < plan.disks().size(); i++) {
            String id = FcBootSequence.driveId(plan.disks().get(i));
            if (!FC_ID.matcher(id).matches()) {
                extra.add("disks[" + i + "].id: firecracker drive id '" + id + "' must be [A-Za-z0-9_]{1,64}");
            } else if (!driveIds.add(id)) {
                extra.add("disks[" + i + "].id: firecracker drive id '" + id + "' collides with another disk");
            }
        }
        Set<String> ifaces = new HashSet<>();
        for (NicPlan nic : plan.nics()) {
            ifaces.add(FcBootSequence.ifaceId(nic));
        }
        VmFeatures f = plan.features();
        f.mmds().ifPresent(m -> {
            for (String iface : m.networkInterfaces()) {
                if (!ifaces.contains(iface.replace('-', '_'))) {
                    extra.add("mmds.network_interfaces: no network interface '" + iface + "' in this vm");
                }
            }
        });
        f.vsock().ifPresent(v -> {
            if (v.guestCid() < 3) {
                extra.add("vsock.guest_cid: must be at least 3, got " + v.guestCid());
            }
        });
        for (String id : f.drives().keySet()) {
            if (plan.disks().stream().map(DiskPlan::id).noneMatch(id::equals)) {
                extra.add("features.drives: options for unknown disk '" + id + "'");
            }
        }
        if (!Files.isExecutable(config.binary())) {
            extra.add("firecracker.binary: not an executable file: " + config.binary());
        }
        config.jailer().ifPresent(j -> {
            if (!Files.isExecutable(j.binary())) {
                extra.add("firecracker.jailer.binary: not an executable file: " + j.binary());
            }
        });
        PlanValidator.check(plan, extra);
    }

    @Override
    public RunningVm boot(VmPlan plan) {
        validate(plan);
        return launcher.boot(plan);
    }

    @Override
    public RunningVm restore(RestorePlan plan) {
        validate(plan.vm());
        return snapshots.restore(plan);
    }

    @Override
    public Optional<RunningVm> reattach(VmRecord record) {
        if (!ID.equals(record.driver())) {
            throw new ArcboxException.InvalidArgument("record of vm " + record.vmId() + " belongs to driver "
                    + record.driver() + ", not " + ID);
        }
        ProcessIdentity process = new ProcessIdentity(record.pid(), record.startTime());
        PidFd pidfd = PidFd.open(process);
        if (pidfd == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(launcher.reattach(record, process, pidfd));
        } catch (RuntimeException e) {
            pidfd.close();
            throw e;
        }
    }

    FcSnapshots snapshots() {
        return snapshots;
    }
}
