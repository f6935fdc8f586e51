package dev.arcbox.core.spec;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.DefaultVmConfig;
import dev.arcbox.core.driver.Capability;
import dev.arcbox.core.driver.DiskPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Admission of a {@link SandboxSpec}: a pure function of the spec and a {@link ValidationContext}
 * that returns a normalized spec or throws, touching the host only to read file metadata.
 *
 * <p>Normalized means: daemon defaults filled in (vcpus and memory 0, kernel, initrd, rootfs,
 * boot args and disk size unset), and kernel, initrd, rootfs, drive and serial paths replaced by
 * their real paths. Kernel, initrd and rootfs may stay empty when the daemon default is empty: the
 * image manifest's are meant, resolved later.
 */
public final class SpecValidator {

    static final int MAX_EXTRA_DRIVES = 16;
    private static final Pattern DRIVE_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    /** Ids of the disks the daemon adds itself ({@link DiskPlan#root}, {@link DiskPlan#writable}). */
    private static final Set<String> RESERVED_DRIVE_IDS = Set.of("root", "rw");

    private SpecValidator() {}

    /**
     * Checks {@code spec} and returns it normalized.
     *
     * @throws ArcboxException.InvalidArgument listing every violation by field path
     *     ({@code extra_drives[1].path: ...})
     * @throws ArcboxException.Unsupported when the spec is valid but needs a capability the
     *     context's driver lacks (see {@link #checkCapabilities(SandboxSpec, String, Set)})
     */
    public static SandboxSpec validate(SandboxSpec spec, ValidationContext context) {
        SandboxSpec filled = withDefaults(spec, context.defaults());
        Violations violations = new Violations();
        SpecRules rules = new SpecRules(violations);
        rules.id(filled.id());
        rules.labels(filled.labels());
        rules.env(filled.env());
        rules.machine(filled);
        rules.devices(filled);

        SpecPaths paths = new SpecPaths(context.imageDirs(), context.sandboxesDir(), violations);
        SandboxSpec.Builder out = filled.toBuilder();
        Map<Path, String> backing = new HashMap<>();
        filled.kernel().ifPresent(kernel -> out.kernel(paths.image("kernel", kernel)));
        filled.initrd().ifPresent(initrd -> out.initrd(paths.image("initrd", initrd)));
        filled.rootfs().ifPresent(rootfs -> {
            Path real = paths.image("rootfs", rootfs);
            out.rootfs(real);
            if (real != null) {
                backing.put(real, "rootfs");
            }
        });
        out.extraDrives(drives(filled.extraDrives(), paths, rules, violations, backing));
        filled.serialOut().ifPresent(serial -> out.serialOut(paths.serialOut("serial_out", serial)));
        for (String problem : dev.arcbox.core.network.NetPolicyValidator.violations(filled.egress(), filled.portForwards())) {
            violations.add("network", problem);
        }
        boolean policy = !filled.portForwards().isEmpty() || !filled.egress().equals(dev.arcbox.core.network.EgressPolicy.OPEN);
        if (policy && filled.network() != NetworkMode.TAP) {
            violations.add("network.mode", "egress policy and port forwards need mode tap");
        }

        if (!violations.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid sandbox spec: " + String.join("; ", violations.list()));
        }
        SandboxSpec result = out.build();
        checkCapabilities(result, context.driver(), context.capabilities());
        return result;
    }

    /** Checks labels alone (for updates), with the same rules and messages as {@link #validate}. */
    public static void validateLabels(Map<String, String> labels) {
        Violations violations = new Violations();
        new SpecRules(violations).labels(labels);
        if (!violations.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid labels: " + String.join("; ", violations.list()));
        }
    }

    /**
     * The capabilities {@code spec} needs, by the field that needs each, in field order. Fields
     * that need none are absent; vsock needs none (it is how the agent talks on Firecracker).
     */
    public static Map<String, Capability> requiredCapabilities(SandboxSpec spec) {
        Map<String, Capability> needs = new LinkedHashMap<>();
        if (spec.trackDirtyPages()) {
            needs.put("track_dirty_pages", Capability.SNAPSHOT_DIFF);
        }
        spec.hugePages().ifPresent(h -> needs.put("huge_pages", Capability.HUGE_PAGES));
        spec.cpuTemplate().ifPresent(t -> needs.put("cpu_template", Capability.CPU_TEMPLATE));
        spec.rootRateLimit().ifPresent(r -> needs.put("root_rate_limit", Capability.RATE_LIMIT));
        for (int i = 0; i < spec.extraDrives().size(); i++) {
            if (spec.extraDrives().get(i).rateLimit().isPresent()) {
                needs.put("extra_drives[" + i + "].rate_limit", Capability.RATE_LIMIT);
            }
        }
        if (spec.network() == NetworkMode.TAP) {
            needs.put("network", Capability.NETWORK_TAP);
        }
        spec.netRxRateLimit().ifPresent(r -> needs.put("net_rx_rate_limit", Capability.RATE_LIMIT));
        spec.netTxRateLimit().ifPresent(r -> needs.put("net_tx_rate_limit", Capability.RATE_LIMIT));
        spec.balloon().ifPresent(b -> needs.put("balloon", Capability.BALLOON));
        if (spec.entropyDevice()) {
            needs.put("entropy_device", Capability.ENTROPY_DEVICE);
        }
        spec.memoryHotplug().ifPresent(h -> needs.put("memory_hotplug", Capability.MEMORY_HOTPLUG));
        spec.mmds().ifPresent(m -> needs.put("mmds", Capability.MMDS));
        return Collections.unmodifiableMap(needs);
    }

    /**
     * Refuses a spec that needs a capability not in {@code capabilities}.
     *
     * @throws ArcboxException.Unsupported naming every such field and capability
     */
    public static void checkCapabilities(SandboxSpec spec, Set<Capability> capabilities) {
        check(spec, "driver", capabilities);
    }

    /**
     * Like {@link #checkCapabilities(SandboxSpec, Set)}, naming the driver:
     * {@code balloon: driver qemu lacks capability BALLOON}.
     */
    public static void checkCapabilities(SandboxSpec spec, String driver, Set<Capability> capabilities) {
        check(spec, "driver " + driver, capabilities);
    }

    private static void check(SandboxSpec spec, String driver, Set<Capability> capabilities) {
        List<String> missing = new ArrayList<>();
        requiredCapabilities(spec).forEach((field, capability) -> {
            if (!capabilities.contains(capability)) {
                missing.add(field + ": " + driver + " lacks capability " + capability);
            }
        });
        if (!missing.isEmpty()) {
            throw new ArcboxException.Unsupported(String.join("; ", missing));
        }
    }

    /** {@code spec} with unset fields taken from the daemon's {@code [defaults]}. */
    static SandboxSpec withDefaults(SandboxSpec spec, DefaultVmConfig defaults) {
        SandboxSpec.Builder b = spec.toBuilder();
        if (spec.vcpus() == 0) {
            b.vcpus(defaults.vcpus());
        }
        if (spec.memoryMib() == 0) {
            b.memoryMib(defaults.memoryMib());
        }
        if (unset(spec.kernel())) {
            b.kernel(defaults.kernel());
        }
        if (unset(spec.initrd())) {
            b.initrd(defaults.initrd());
        }
        if (unset(spec.rootfs())) {
            b.rootfs(defaults.rootfs());
        }
        if (spec.bootArgs().isEmpty()) {
            b.bootArgs(defaults.bootArgs());
        }
        if (spec.diskSize().isEmpty()) {
            b.diskSize(defaults.diskSizeMib() * SpecRules.MIB);
        }
        return b.build();
    }

    /** Unset as in the seed: absent, or the empty path. */
    private static boolean unset(Optional<Path> path) {
        return path.isEmpty() || path.get().toString().isEmpty();
    }

    private static List<DriveSpec> drives(
            List<DriveSpec> drives, SpecPaths paths, SpecRules rules, Violations violations, Map<Path, String> backing) {
        if (drives.size() > MAX_EXTRA_DRIVES) {
            violations.add("extra_drives", "at most " + MAX_EXTRA_DRIVES + " drives, got " + drives.size());
        }
        Set<String> ids = new HashSet<>();
        List<DriveSpec> out = new ArrayList<>();
        for (int i = 0; i < drives.size(); i++) {
            DriveSpec drive = drives.get(i);
            String field = "extra_drives[" + i + "]";
            String id = drive.driveId();
            if (id == null || !DRIVE_ID.matcher(id).matches()) {
                violations.add(field + ".drive_id", "must be 1-32 characters [A-Za-z0-9_-], got "
                        + (id == null ? "nothing" : Violations.quote(id)));
            } else if (RESERVED_DRIVE_IDS.contains(id)) {
                violations.add(field + ".drive_id", "'" + id + "' is reserved for the daemon's own disks");
            } else if (!ids.add(id)) {
                violations.add(field + ".drive_id", "duplicate '" + id + "'");
            }
            Path real = null;
            if (drive.path() == null) {
                violations.add(field + ".path", "required");
            } else {
                real = paths.image(field + ".path", drive.path());
            }
            if (real != null) {
                String other = backing.putIfAbsent(real, field);
                if (other != null) {
                    violations.add(field + ".path", "same file as " + other + " (" + real + ")");
                }
            }
            drive.partuuid().ifPresent(p -> rules.partuuid(field + ".partuuid", p));
            drive.rateLimit().ifPresent(r -> rules.rateLimit(field + ".rate_limit", r));
            out.add(new DriveSpec(id, real != null ? real : drive.path(), drive.readonly(), drive.ioEngine(),
                    drive.cacheType(), drive.partuuid(), drive.rateLimit()));
        }
        return out;
    }
}
