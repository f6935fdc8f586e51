package dev.arcbox.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Turns TOML text into a {@link DaemonConfig}: parse, deep-merge onto the embedded defaults (tables
 * merge key by key, every other value replaces), then read every table strictly, collecting every
 * unknown key and invalid value before failing. Jackson's binder stops at the first problem, so
 * the tree is read by hand.
 */
final class ConfigReader {

    static final String DEFAULTS_RESOURCE = "defaults.toml";
    static final int SUN_PATH_MAX = 107;
    private static final TomlMapper TOML = new TomlMapper();
    private static final ObjectNode DEFAULTS = defaultsTree();
    private static final Pattern BRIDGE = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern GROUP = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}");
    private static final Pattern RLIMIT = Pattern.compile("(fsize|no-file)=[0-9]{1,18}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]");
    private static final Pattern CGROUP = Pattern.compile("[A-Za-z0-9_.@:-]+(/[A-Za-z0-9_.@:-]+)*");

    private final List<String> violations = new ArrayList<>();
    private Path dataDirAlias;

    private ConfigReader() {}

    /** The config of {@code text} merged onto the defaults; {@code origin} names it in messages. */
    static DaemonConfig load(String text, String origin) {
        ObjectNode user = parse(text, origin);
        ConfigReader reader = new ConfigReader();
        DaemonConfig config = reader.read(merge(DEFAULTS, user), user);
        if (!reader.violations.isEmpty()) {
            throw new ArcboxException.InvalidArgument(
                    "invalid config " + origin + ": " + String.join("; ", reader.violations));
        }
        return config;
    }

    /** Every violation of {@code text} (syntax errors still throw). */
    static List<String> violations(String text) {
        ObjectNode user = parse(text, "<test>");
        ConfigReader reader = new ConfigReader();
        reader.read(merge(DEFAULTS, user), user);
        return List.copyOf(reader.violations);
    }

    /** Parses TOML text into a tree; a syntax error names line and column. */
    static ObjectNode parse(String text, String origin) {
        try {
            JsonNode tree = TOML.readTree(text);
            return tree instanceof ObjectNode object ? object : TOML.createObjectNode();
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String what = e.getOriginalMessage();
            what = what.isEmpty() ? what : what.substring(0, 1).toLowerCase(Locale.ROOT) + what.substring(1);
            throw new ArcboxException.InvalidArgument("config " + origin + ": syntax error" + where + ": " + what);
        }
    }

    /** A new tree: {@code overlay} merged onto {@code base}; tables merge, other values replace. */
    static ObjectNode merge(ObjectNode base, ObjectNode overlay) {
        ObjectNode result = base.deepCopy();
        overlay.properties().forEach(entry -> {
            JsonNode existing = result.get(entry.getKey());
            if (existing instanceof ObjectNode a && entry.getValue() instanceof ObjectNode b) {
                result.set(entry.getKey(), merge(a, b));
            } else {
                result.set(entry.getKey(), entry.getValue().deepCopy());
            }
        });
        return result;
    }

    private static ObjectNode defaultsTree() {
        try (InputStream in = ConfigReader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + DEFAULTS_RESOURCE + " missing from arcbox-core");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULTS_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("reading resource " + DEFAULTS_RESOURCE, e);
        }
    }

    private DaemonConfig read(ObjectNode merged, ObjectNode user) {
        TomlTable root = new TomlTable(merged, "", violations);
        DaemonConfig.Driver driver = root.choice("driver", DaemonConfig.Driver.values());
        Path dataDir = root.path("data_dir");
        List<Path> images = root.paths("images", true);
        if (root.has("images") && merged.get("images").isArray() && images.isEmpty()) {
            root.violation("images", "must name at least one directory");
        }
        FirecrackerConfig firecracker = root.table("firecracker", true).map(this::firecracker).orElse(null);
        QemuConfig qemu = root.table("qemu", true).map(this::qemu).orElse(null);
        NetworkConfig network = root.table("network", true).map(this::network).orElse(null);
        GrpcConfig grpc = root.table("grpc", true).map(this::grpc).orElse(null);
        DefaultVmConfig defaults = root.table("defaults", true).map(this::defaults).orElse(null);
        LimitsConfig limits = root.table("limits", true).map(this::limits).orElse(null);
        MetricsConfig metrics = root.table("metrics", true).map(this::metrics).orElse(null);
        root.finish();
        if (dataDirAlias != null) {
            if (!user.has("data_dir")) {
                dataDir = dataDirAlias;
            } else if (dataDir != null && !dataDir.normalize().equals(dataDirAlias.normalize())) {
                violations.add("data_dir: conflicts with firecracker.data_dir ('" + dataDir + "' vs '"
                        + dataDirAlias + "'): set only data_dir");
            }
        }
        if (!violations.isEmpty()) {
            return null;
        }
        return new DaemonConfig(driver, dataDir, images, firecracker, qemu, network, grpc, defaults, limits, metrics);
    }

    private FirecrackerConfig firecracker(TomlTable t) {
        int before = violations.size();
        Path binary = t.path("binary");
        dataDirAlias = t.optionalPath("data_dir", false).orElse(null);
        Optional<JailerConfig> jailer = t.table("jailer", false).map(this::jailer);
        Optional<FirecrackerConfig.LogLevel> logLevel = t.optionalString("log_level").flatMap(value -> {
            Optional<FirecrackerConfig.LogLevel> level = FirecrackerConfig.LogLevel.parse(value);
            if (level.isEmpty()) {
                t.violation("log_level", "must be one of Error, Warning, Info, Debug, Trace, got '" + value + "'");
            }
            return level;
        });
        boolean noSeccomp = t.bool("no_seccomp", false);
        Optional<Path> seccompFilter = t.optionalPath("seccomp_filter", false);
        OptionalLong payload = t.optionalInteger("http_api_max_payload_size", 1, Integer.MAX_VALUE);
        OptionalLong mmds = t.optionalInteger("mmds_size_limit", 1, Integer.MAX_VALUE);
        OptionalLong socketTimeout = t.optionalInteger("socket_timeout_secs", 1, 3600);
        t.finish();
        return before != violations.size() ? null
                : new FirecrackerConfig(binary, jailer, logLevel, noSeccomp, seccompFilter, payload, mmds, socketTimeout);
    }

    private JailerConfig jailer(TomlTable t) {
        int before = violations.size();
        Path binary = t.path("binary");
        Long uid = t.integer("uid", 0, 0xFFFF_FFFEL);
        Long gid = t.integer("gid", 0, 0xFFFF_FFFEL);
        Optional<Path> chrootBaseDir = t.optionalPath("chroot_base_dir", false);
        Optional<Path> netns = t.optionalPath("netns", false);
        boolean newPidNs = t.bool("new_pid_ns", false);
        Optional<String> cgroupVersion = t.optionalString("cgroup_version");
        if (cgroupVersion.isPresent() && !List.of("1", "2").contains(cgroupVersion.get())) {
            t.violation("cgroup_version", "must be \"1\" or \"2\", got '" + cgroupVersion.get() + "'");
        }
        Optional<String> parentCgroup = t.optionalString("parent_cgroup");
        if (parentCgroup.isPresent() && (!CGROUP.matcher(parentCgroup.get()).matches()
                || ("/" + parentCgroup.get() + "/").contains("/../") || ("/" + parentCgroup.get() + "/").contains("/./"))) {
            t.violation("parent_cgroup", "must be a relative cgroup path without '.' or '..', got '"
                    + parentCgroup.get() + "'");
        }
        List<String> limits = t.strings("resource_limits", false);
        for (int i = 0; i < limits.size(); i++) {
            if (limits.get(i) != null && !RLIMIT.matcher(limits.get(i)).matches()) {
                t.violation("resource_limits[" + i + "]", "must be fsize=N or no-file=N, got '" + limits.get(i) + "'");
            }
        }
        t.finish();
        return before != violations.size() ? null
                : new JailerConfig(binary, uid, gid, chrootBaseDir, netns, newPidNs, cgroupVersion, parentCgroup, limits);
    }

    private QemuConfig qemu(TomlTable t) {
        int before = violations.size();
        Path binary = t.path("binary");
        QemuConfig.Accel accel = t.choice("accel", QemuConfig.Accel.values());
        Path ramDir = t.path("ram_dir");
        String user = t.string("user");
        if (user != null && !user.matches("[a-z_][a-z0-9_-]{0,31}")) {
            t.violation("user", "must be \"auto\", \"root\" or a user name, got '" + user + "'");
        }
        t.finish();
        return before != violations.size() ? null : new QemuConfig(binary, accel, ramDir, user);
    }

    private NetworkConfig network(TomlTable t) {
        int before = violations.size();
        String bridge = t.string("bridge");
        if (bridge != null && (!BRIDGE.matcher(bridge).matches() || bridge.equals(".") || bridge.equals(".."))) {
            t.violation("bridge", "must be an interface name of 1-15 characters [A-Za-z0-9_.-], got '" + bridge + "'");
        }
        String cidr = t.string("cidr");
        int[] pool = cidr == null ? null : cidr(t, cidr);
        String gateway = t.string("gateway");
        if (gateway != null) {
            OptionalInt address = Ipv4.parse(gateway);
            if (address.isEmpty()) {
                t.violation("gateway", "not an ipv4 address: '" + gateway + "'");
            } else if (pool != null) {
                int mask = Ipv4.mask(pool[1]);
                int host = address.getAsInt();
                if ((host & mask) != pool[0]) {
                    t.violation("gateway", "must lie inside network.cidr " + cidr + ", got " + gateway);
                } else if (host == pool[0] || host == (pool[0] | ~mask)) {
                    t.violation("gateway", "must be a host address of " + cidr + ", not its network or broadcast address");
                }
            }
        }
        List<String> dns = t.strings("dns", true);
        for (int i = 0; i < dns.size(); i++) {
            if (dns.get(i) != null && Ipv4.parse(dns.get(i)).isEmpty()) {
                t.violation("dns[" + i + "]", "not an ipv4 address: '" + dns.get(i) + "'");
            }
        }
        t.finish();
        return before != violations.size() ? null : new NetworkConfig(bridge, cidr, gateway, dns);
    }

    /** {network, prefix} of a valid CIDR, else null (reported). */
    private static int[] cidr(TomlTable t, String cidr) {
        String[] parts = cidr.split("/", -1);
        OptionalInt address = parts.length == 2 ? Ipv4.parse(parts[0]) : OptionalInt.empty();
        if (address.isEmpty() || !parts[1].matches("[0-9]{1,2}")) {
            t.violation("cidr", "not an ipv4 cidr (a.b.c.d/prefix): '" + cidr + "'");
            return null;
        }
        int prefix = Integer.parseInt(parts[1]);
        if (prefix < 8 || prefix > 30) {
            t.violation("cidr", "prefix must be 8-30, got /" + prefix);
            return null;
        }
        if ((address.getAsInt() & ~Ipv4.mask(prefix)) != 0) {
            t.violation("cidr", "must be a network address (host bits zero), got '" + cidr + "'");
            return null;
        }
        return new int[] {address.getAsInt(), prefix};
    }

    private GrpcConfig grpc(TomlTable t) {
        int before = violations.size();
        Path unixSocket = t.path("unix_socket");
        if (unixSocket != null && unixSocket.toString().getBytes(StandardCharsets.UTF_8).length > SUN_PATH_MAX) {
            t.violation("unix_socket", "at most " + SUN_PATH_MAX + " bytes (unix socket path limit), got "
                    + unixSocket.toString().getBytes(StandardCharsets.UTF_8).length);
        }
        Optional<String> tcpAddr = t.optionalString("tcp_addr").filter(s -> !s.isEmpty());
        tcpAddr.filter(addr -> !validHostPort(addr)).ifPresent(addr ->
                t.violation("tcp_addr", "must be host:port (ipv6 host in brackets) with port 1-65535, got '" + addr + "'"));
        Optional<String> socketGroup = t.optionalString("socket_group").filter(s -> !s.isEmpty());
        socketGroup.filter(g -> !GROUP.matcher(g).matches()).ifPresent(g ->
                t.violation("socket_group", "not a valid group name: '" + g + "'"));
        Optional<Path> tlsCert = t.optionalPath("tls_cert", true);
        Optional<Path> tlsKey = t.optionalPath("tls_key", true);
        Optional<Path> tokenFile = t.optionalPath("token_file", true);
        List<String> missing = new ArrayList<>();
        for (String name : List.of("tls_cert", "tls_key", "token_file")) {
            if (!t.isSet(name)) {
                missing.add(t.key(name));
            }
        }
        if (t.isSet("tcp_addr") && !missing.isEmpty()) {
            t.violation("tcp_addr", "tcp is served only with tls and a bearer token: set grpc.tls_cert, "
                    + "grpc.tls_key and grpc.token_file (missing " + String.join(", ", missing) + ")");
        } else if (t.isSet("tls_cert") != t.isSet("tls_key")) {
            t.violation(t.isSet("tls_cert") ? "tls_key" : "tls_cert", "required when grpc."
                    + (t.isSet("tls_cert") ? "tls_cert" : "tls_key") + " is set");
        }
        t.finish();
        return before != violations.size() ? null
                : new GrpcConfig(unixSocket, tcpAddr, socketGroup, tlsCert, tlsKey, tokenFile);
    }

    private static boolean validHostPort(String addr) {
        int colon = addr.lastIndexOf(':');
        if (colon <= 0 || !HOST.matcher(addr.substring(0, colon)).matches()) {
            return false;
        }
        String port = addr.substring(colon + 1);
        return port.matches("[0-9]{1,5}") && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
    }

    private DefaultVmConfig defaults(TomlTable t) {
        int before = violations.size();
        Long vcpus = t.integer("vcpus", 1, 32);
        Long memoryMib = t.integer("memory_mib", 64, 262_144);
        Optional<Path> kernel = t.optionalPath("kernel", true);
        Optional<Path> initrd = t.optionalPath("initrd", true);
        Optional<Path> rootfs = t.optionalPath("rootfs", true);
        String bootArgs = t.string("boot_args");
        if (bootArgs != null && (bootArgs.length() > 2048 || bootArgs.chars().anyMatch(c -> c == '\n' || c == '\r'))) {
            t.violation("boot_args", "must be one line of at most 2048 characters");
        }
        Long diskSizeMib = t.integer("disk_size_mib", 16, 1_048_576);
        t.finish();
        return before != violations.size() ? null
                : new DefaultVmConfig(vcpus.intValue(), memoryMib.intValue(), kernel, initrd, rootfs, bootArgs, diskSizeMib);
    }

    private LimitsConfig limits(TomlTable t) {
        int before = violations.size();
        Long maxSandboxes = t.integer("max_sandboxes", 1, 65_536);
        Long maxBoots = t.integer("max_concurrent_boots", 1, 1024);
        Long headroom = t.integer("memory_headroom_mib", 0, 1L << 30);
        Long consoleLog = t.integer("console_log_max_bytes", 16_384, 1L << 40);
        Long quota = t.integer("snapshot_quota_bytes", 0, Long.MAX_VALUE);
        String cgroups = t.string("cgroups");
        if (cgroups != null && !List.of("auto", "off").contains(cgroups)) {
            t.violation("cgroups", "must be auto or off, got '" + cgroups + "'");
        }
        Long overhead = t.integer("vmm_overhead_mib", 0, 1L << 20);
        Long vmmLog = t.integer("vmm_log_max_bytes", 4096, 1L << 40);
        if (maxSandboxes != null && maxBoots != null && maxBoots > maxSandboxes) {
            t.violation("max_concurrent_boots", "must be at most limits.max_sandboxes (" + maxSandboxes + "), got " + maxBoots);
        }
        t.finish();
        return before != violations.size() ? null
                : new LimitsConfig(maxSandboxes.intValue(), maxBoots.intValue(), headroom, consoleLog, quota, cgroups,
                        overhead, vmmLog);
    }

    private MetricsConfig metrics(TomlTable t) {
        int before = violations.size();
        Optional<String> address = t.optionalString("address").filter(s -> !s.isEmpty());
        address.filter(addr -> !validHostPort(addr)).ifPresent(addr ->
                t.violation("address", "must be host:port (ipv6 host in brackets) with port 1-65535, got '" + addr + "'"));
        t.finish();
        return before != violations.size() ? null : new MetricsConfig(address);
    }
}
