package dev.arcbox.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loading, merging and validating {@code arcbox.toml}. */
class DaemonConfigTest {

    @TempDir
    Path dir;

    private Path file(String toml) throws IOException {
        Path file = dir.resolve("arcbox.toml");
        Files.writeString(file, toml);
        return file;
    }

    private DaemonConfig load(String toml) throws IOException {
        return DaemonConfig.load(Optional.of(file(toml)));
    }

    private static List<String> violations(String toml) {
        return ConfigReader.violations(toml);
    }

    // ---- defaults ---------------------------------------------------------------------------------

    @Test
    void builtInDefaults_loadAndMatchTheGuestAssets() {
        DaemonConfig c = DaemonConfig.builtIn();

        assertThat(c.driver()).isEqualTo(DaemonConfig.Driver.AUTO);
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/arcbox"));
        assertThat(c.sandboxesDir()).isEqualTo(Path.of("/var/lib/arcbox/sandboxes"));
        assertThat(c.images()).containsExactly(Path.of("/var/lib/arcbox/images"));
        assertThat(c.firecracker()).isEqualTo(new FirecrackerConfig(Path.of("/usr/bin/firecracker"), Optional.empty(),
                Optional.empty(), false, Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty()));
        assertThat(c.qemu()).isEqualTo(new QemuConfig(Path.of("/usr/bin/qemu-system-x86_64"), QemuConfig.Accel.AUTO,
                Path.of("/dev/shm/arcbox")));
        assertThat(c.network()).isEqualTo(new NetworkConfig("arcbox0", "172.30.0.0/24", "172.30.0.1", List.of("172.30.0.1")));
        assertThat(c.grpc()).isEqualTo(new GrpcConfig(Path.of("/run/arcbox/arcbox.sock"), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()));
        assertThat(c.defaults()).isEqualTo(new DefaultVmConfig(1, 256, Optional.empty(), Optional.empty(), Optional.empty(),
                "", 2048));
        assertThat(c.limits()).isEqualTo(new LimitsConfig(64, 4, 1024));
        assertThat(c.metrics()).isEqualTo(new MetricsConfig(Optional.empty()));
    }

    @Test
    void noFile_isTheDefaults_andAnEmptyFileToo() throws IOException {
        assertThat(DaemonConfig.load(Optional.empty())).isEqualTo(DaemonConfig.builtIn());
        assertThat(load("")).isEqualTo(DaemonConfig.builtIn());
        assertThat(load("# nothing but a comment\n")).isEqualTo(DaemonConfig.builtIn());
    }

    @Test
    void defaultsResource_isItselfFreeOfViolations() {
        assertThat(violations("")).isEmpty();
    }

    // ---- merging ----------------------------------------------------------------------------------

    @Test
    void partialFile_onlyCidr_leavesEverythingElseDefault() throws IOException {
        DaemonConfig c = load("[network]\ncidr = \"172.30.0.0/16\"\n");
        DaemonConfig d = DaemonConfig.builtIn();

        assertThat(c.network()).isEqualTo(new NetworkConfig("arcbox0", "172.30.0.0/16", "172.30.0.1", List.of("172.30.0.1")));
        assertThat(c).isEqualTo(new DaemonConfig(d.driver(), d.dataDir(), d.images(), d.firecracker(), d.qemu(),
                c.network(), d.grpc(), d.defaults(), d.limits(), d.metrics()));
    }

    @Test
    void partialFile_setsNestedAndTopLevelKeys() throws IOException {
        DaemonConfig c = load("""
                driver = "firecracker"
                images = ["/srv/images", "/opt/arcbox/images"]

                [firecracker]
                log_level = "debug"
                socket_timeout_secs = 10

                [firecracker.jailer]
                binary = "/usr/bin/jailer"
                uid = 1234
                gid = 4294967294
                cgroup_version = "2"
                resource_limits = ["fsize=2048", "no-file=1024"]

                [qemu]
                accel = "tcg"
                user = "root"

                [defaults]
                vcpus = 2
                kernel = "/srv/images/vmlinux"

                [limits]
                max_concurrent_boots = 8
                """);

        assertThat(c.driver()).isEqualTo(DaemonConfig.Driver.FIRECRACKER);
        assertThat(c.images()).containsExactly(Path.of("/srv/images"), Path.of("/opt/arcbox/images"));
        assertThat(c.firecracker().binary()).isEqualTo(Path.of("/usr/bin/firecracker"));
        assertThat(c.firecracker().logLevel()).contains(FirecrackerConfig.LogLevel.DEBUG);
        assertThat(c.firecracker().logLevel().orElseThrow().token()).isEqualTo("Debug");
        assertThat(c.firecracker().socketTimeoutSecs()).hasValue(10);
        assertThat(c.firecracker().jailer()).contains(new JailerConfig(Path.of("/usr/bin/jailer"), 1234, 4294967294L,
                Optional.empty(), Optional.empty(), false, Optional.of("2"), Optional.empty(),
                List.of("fsize=2048", "no-file=1024")));
        assertThat(c.qemu()).isEqualTo(new QemuConfig(Path.of("/usr/bin/qemu-system-x86_64"), QemuConfig.Accel.TCG,
                Path.of("/dev/shm/arcbox"), "root"));
        assertThat(c.defaults().vcpus()).isEqualTo(2);
        assertThat(c.defaults().memoryMib()).isEqualTo(256);
        assertThat(c.defaults().kernel()).contains(Path.of("/srv/images/vmlinux"));
        assertThat(c.limits()).isEqualTo(new LimitsConfig(64, 8, 1024));
    }

    @Test
    void merge_tablesMergeKeyByKey_arraysAndScalarsReplace() {
        var base = ConfigReader.parse("a = 1\nl = [1, 2]\n[t]\nx = 1\ny = 2\n[t.u]\nz = 3\n", "base");
        var overlay = ConfigReader.parse("l = [9]\n[t]\ny = 20\n[t.u]\nw = 4\n", "overlay");

        var merged = ConfigReader.merge(base, overlay);

        assertThat(merged.toString()).isEqualTo("{\"a\":1,\"l\":[9],\"t\":{\"x\":1,\"y\":20,\"u\":{\"z\":3,\"w\":4}}}");
        assertThat(base.toString()).isEqualTo("{\"a\":1,\"l\":[1,2],\"t\":{\"x\":1,\"y\":2,\"u\":{\"z\":3}}}");
    }

    // ---- data_dir alias ---------------------------------------------------------------------------

    @Test
    void firecrackerDataDirAlone_isUsedAsDataDir() throws IOException {
        DaemonConfig c = load("[firecracker]\ndata_dir = \"/srv/arcbox\"\n");

        assertThat(c.dataDir()).isEqualTo(Path.of("/srv/arcbox"));
        assertThat(c.sandboxesDir()).isEqualTo(Path.of("/srv/arcbox/sandboxes"));
    }

    @Test
    void dataDirAndAlias_equal_isFine() throws IOException {
        DaemonConfig c = load("data_dir = \"/srv/arcbox\"\n[firecracker]\ndata_dir = \"/srv/arcbox/\"\n");

        assertThat(c.dataDir()).isEqualTo(Path.of("/srv/arcbox"));
    }

    @Test
    void dataDirAndAlias_differing_isRefusedNamingBoth() {
        assertThatThrownBy(() -> load("data_dir = \"/srv/a\"\n[firecracker]\ndata_dir = \"/srv/b\"\n"))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("data_dir: conflicts with firecracker.data_dir ('/srv/a' vs '/srv/b')");
    }

    @Test
    void dataDirAlone_overridesTheDefault() throws IOException {
        assertThat(load("data_dir = \"/data/arcbox\"\n").dataDir()).isEqualTo(Path.of("/data/arcbox"));
    }

    // ---- unknown keys -----------------------------------------------------------------------------

    @Test
    void unknownKeys_areNamedByTheirFullPath() {
        assertThat(violations("[network]\ncdir = \"10.0.0.0/24\"\n")).containsExactly("network.cdir: unknown key");
        assertThat(violations("[firecracker.jailer]\nbinary = \"/j\"\nuid = 1\ngid = 1\nchroot = \"/x\"\n"))
                .containsExactly("firecracker.jailer.chroot: unknown key");
        assertThat(violations("[grcp]\nunix_socket = \"/run/x.sock\"\n")).containsExactly("grcp: unknown key");
        assertThat(violations("drivers = \"qemu\"\n")).containsExactly("drivers: unknown key");
        assertThat(violations("[defaults.extra]\nx = 1\n")).containsExactly("defaults.extra: unknown key");
    }

    @Test
    void unknownKey_failsLoadWithInvalidArgumentNamingTheFile() throws IOException {
        Path file = file("[network]\ncdir = \"10.0.0.0/24\"\n");

        assertThatThrownBy(() -> DaemonConfig.load(Optional.of(file)))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("invalid config " + file + ": network.cdir: unknown key");
    }

    // ---- invalid values ---------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            # type errors
            defaults.vcpus = "two"                     | defaults.vcpus: expected an integer, got a string
            defaults.memory_mib = 1.5                  | defaults.memory_mib: expected an integer, got a float
            firecracker.no_seccomp = "yes"             | firecracker.no_seccomp: expected a boolean, got a string
            network.dns = "1.1.1.1"                    | network.dns: expected an array of strings, got a string
            network.dns = [1]                          | network.dns[0]: expected a string, got an integer
            driver = 1                                 | driver: expected a string, got an integer
            qemu = 5                                   | qemu: expected a table, got an integer
            # cidr
            network.cidr = "172.30.0.0"                | network.cidr: not an ipv4 cidr
            network.cidr = "172.30.0.0/7"              | network.cidr: prefix must be 8-30, got /7
            network.cidr = "172.30.0.0/31"             | network.cidr: prefix must be 8-30, got /31
            network.cidr = "172.30.0.1/24"             | network.cidr: must be a network address
            network.cidr = "172.300.0.0/24"            | network.cidr: not an ipv4 cidr
            network.cidr = "fd00::/64"                 | network.cidr: not an ipv4 cidr
            # gateway
            network.gateway = "10.0.0.1"               | network.gateway: must lie inside network.cidr 172.30.0.0/24
            network.gateway = "172.30.0.0"             | network.gateway: must be a host address
            network.gateway = "172.30.0.255"           | network.gateway: must be a host address
            network.gateway = "gw.local"               | network.gateway: not an ipv4 address
            # dns
            network.dns = ["1.1.1.1", "dns.google"]    | network.dns[1]: not an ipv4 address
            network.dns = ["01.1.1.1"]                 | network.dns[0]: not an ipv4 address
            # bridge
            network.bridge = "arcbox-bridge-01"        | network.bridge: must be an interface name of 1-15 characters
            network.bridge = "br 0"                    | network.bridge: must be an interface name
            network.bridge = "br/0"                    | network.bridge: must be an interface name
            network.bridge = ""                        | network.bridge: must be an interface name
            network.bridge = ".."                      | network.bridge: must be an interface name
            # sets
            qemu.accel = "xen"                         | qemu.accel: must be one of auto, kvm, tcg, got 'xen'
            qemu.user = "Arc Box"                      | qemu.user: must be "auto", "root" or a user name, got 'Arc Box'
            driver = "vbox"                            | driver: must be one of auto, qemu, firecracker, got 'vbox'
            firecracker.log_level = "verbose"          | firecracker.log_level: must be one of Error, Warning, Info, Debug, Trace
            # absolute paths
            data_dir = "var/lib/arcbox"                | data_dir: must be an absolute path, got 'var/lib/arcbox'
            images = ["images"]                        | images[0]: must be an absolute path
            images = []                                | images: must name at least one directory
            qemu.binary = "qemu-system-x86_64"         | qemu.binary: must be an absolute path
            qemu.ram_dir = "/dev/shm/../tmp"           | qemu.ram_dir: must not contain '..'
            firecracker.binary = "./firecracker"       | firecracker.binary: must be an absolute path
            firecracker.seccomp_filter = "f.bpf"       | firecracker.seccomp_filter: must be an absolute path
            defaults.kernel = "vmlinux"                | defaults.kernel: must be an absolute path
            grpc.unix_socket = "arcbox.sock"           | grpc.unix_socket: must be an absolute path
            # ranges
            defaults.vcpus = 0                         | defaults.vcpus: must be 1-32, got 0
            defaults.vcpus = 33                        | defaults.vcpus: must be 1-32, got 33
            defaults.memory_mib = 63                   | defaults.memory_mib: must be 64-262144, got 63
            defaults.memory_mib = 262145               | defaults.memory_mib: must be 64-262144, got 262145
            defaults.disk_size_mib = 15                | defaults.disk_size_mib: must be 16-1048576, got 15
            defaults.vcpus = 99999999999999999999      | defaults.vcpus: must be 1-32, got 99999999999999999999
            limits.max_sandboxes = 0                   | limits.max_sandboxes: must be 1-65536, got 0
            limits.max_concurrent_boots = 100          | limits.max_concurrent_boots: must be at most limits.max_sandboxes (64), got 100
            limits.memory_headroom_mib = -1            | limits.memory_headroom_mib: must be 0-1073741824, got -1
            limits.console_log_max_bytes = 100         | limits.console_log_max_bytes: must be 16384-1099511627776, got 100
            metrics.address = "9464"                   | metrics.address: must be host:port
            limits.snapshot_quota_bytes = -1           | limits.snapshot_quota_bytes: must be 0-9223372036854775807, got -1
            limits.cgroups = "v3"                      | limits.cgroups: must be auto or off, got 'v3'
            limits.vmm_overhead_mib = -5               | limits.vmm_overhead_mib: must be 0-1048576, got -5
            limits.vmm_log_max_bytes = 10              | limits.vmm_log_max_bytes: must be 4096-1099511627776, got 10
            firecracker.socket_timeout_secs = 0        | firecracker.socket_timeout_secs: must be 1-3600, got 0
            firecracker.mmds_size_limit = -1           | firecracker.mmds_size_limit: must be 1-2147483647, got -1
            # grpc
            grpc.socket_group = "9 lives"              | grpc.socket_group: not a valid group name
            """)
    void invalidValue_isNamedByItsKeyPath(String assignment, String expected) {
        assertThat(violations(toml(assignment))).singleElement().asString().startsWith(expected);
    }

    @Test
    void governanceLimits_readFromTheLimitsTable() {
        DaemonConfig c = ConfigReader.load("""
                [limits]
                snapshot_quota_bytes = 1073741824
                cgroups = "off"
                vmm_overhead_mib = 64
                vmm_log_max_bytes = 65536
                """, "<test>");

        assertThat(c.limits()).isEqualTo(new LimitsConfig(64, 4, 1024, 1 << 20, 1L << 30, "off", 64, 65536));
        assertThat(c.limits().cgroupsWanted()).isFalse();
        assertThat(DaemonConfig.builtIn().limits().cgroupsWanted()).isTrue();
        assertThat(DaemonConfig.builtIn().limits().snapshotQuotaBytes()).isZero();
    }

    @Test
    void socketPath_over107Bytes_isRefused() {
        String path = "/run/" + "s".repeat(98) + ".sock"; // 108 bytes

        assertThat(violations("[grpc]\nunix_socket = \"" + path + "\"\n"))
                .containsExactly("grpc.unix_socket: at most 107 bytes (unix socket path limit), got 108");
        String longest = "/run/" + "s".repeat(97) + ".sock"; // 107 bytes
        assertThat(violations("[grpc]\nunix_socket = \"" + longest + "\"\n")).isEmpty();
    }

    @Test
    void jailer_values_areChecked() {
        assertThat(violations("""
                [firecracker.jailer]
                uid = -1
                gid = 4294967295
                chroot_base_dir = "srv/jailer"
                netns = "arcbox"
                cgroup_version = "3"
                parent_cgroup = "../escape"
                resource_limits = ["fsize=1", "nproc=5"]
                """)).containsExactly(
                "firecracker.jailer.binary: required",
                "firecracker.jailer.uid: must be 0-4294967294, got -1",
                "firecracker.jailer.gid: must be 0-4294967294, got 4294967295",
                "firecracker.jailer.chroot_base_dir: must be an absolute path, got 'srv/jailer'",
                "firecracker.jailer.netns: must be an absolute path, got 'arcbox'",
                "firecracker.jailer.cgroup_version: must be \"1\" or \"2\", got '3'",
                "firecracker.jailer.parent_cgroup: must be a relative cgroup path without '.' or '..', got '../escape'",
                "firecracker.jailer.resource_limits[1]: must be fsize=N or no-file=N, got 'nproc=5'");
    }

    @Test
    void everyViolation_isCollectedIntoOneMessage() {
        assertThatThrownBy(() -> load("""
                driver = "vbox"
                [network]
                cidr = "10.0.0.0/33"
                dns = ["x"]
                bridgee = "br0"
                [defaults]
                vcpus = 0
                memory_mib = 32
                """))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("driver: must be one of auto, qemu, firecracker, got 'vbox'")
                .hasMessageContaining("network.cidr: prefix must be 8-30, got /33")
                .hasMessageContaining("network.dns[0]: not an ipv4 address: 'x'")
                .hasMessageContaining("network.bridgee: unknown key")
                .hasMessageContaining("defaults.vcpus: must be 1-32, got 0")
                .hasMessageContaining("defaults.memory_mib: must be 64-262144, got 32");
    }

    // ---- tcp --------------------------------------------------------------------------------------

    @Test
    void tcpWithoutTls_isRefusedExplainingWhy() {
        assertThat(violations("[grpc]\ntcp_addr = \"0.0.0.0:7443\"\ntls_cert = \"/etc/arcbox/cert.pem\"\n"))
                .containsExactly("grpc.tcp_addr: tcp is served only with tls and a bearer token: set grpc.tls_cert, "
                        + "grpc.tls_key and grpc.token_file (missing grpc.tls_key, grpc.token_file)");
    }

    @Test
    void tcpAddr_mustBeHostAndPort() {
        String tls = "tls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\ntoken_file = \"/t\"\n";
        for (String bad : List.of("localhost", "host:0", "host:65536", ":80", "a b:80", "::1:80")) {
            assertThat(violations("[grpc]\ntcp_addr = \"" + bad + "\"\n" + tls)).as(bad).containsExactly(
                    "grpc.tcp_addr: must be host:port (ipv6 host in brackets) with port 1-65535, got '" + bad + "'");
        }
        for (String good : List.of("localhost:7443", "0.0.0.0:1", "[::1]:65535", "api.example.com:443")) {
            assertThat(violations("[grpc]\ntcp_addr = \"" + good + "\"\n" + tls)).as(good).isEmpty();
        }
    }

    @Test
    void tcpWithTlsAndToken_isAccepted() throws IOException {
        DaemonConfig c = load("""
                [grpc]
                tcp_addr = "[::1]:7443"
                tls_cert = "/etc/arcbox/cert.pem"
                tls_key = "/etc/arcbox/key.pem"
                token_file = "/etc/arcbox/token"
                socket_group = "arcbox"
                """);

        assertThat(c.grpc()).isEqualTo(new GrpcConfig(Path.of("/run/arcbox/arcbox.sock"), Optional.of("[::1]:7443"),
                Optional.of("arcbox"), Optional.of(Path.of("/etc/arcbox/cert.pem")),
                Optional.of(Path.of("/etc/arcbox/key.pem")), Optional.of(Path.of("/etc/arcbox/token"))));
    }

    @Test
    void tlsCertWithoutKey_isRefused() {
        assertThat(violations("[grpc]\ntls_cert = \"/etc/arcbox/cert.pem\"\n"))
                .containsExactly("grpc.tls_key: required when grpc.tls_cert is set");
    }

    // ---- files ------------------------------------------------------------------------------------

    @Test
    void syntaxError_carriesLineAndColumn() throws IOException {
        Path file = file("[network]\ncidr = \"10.0.0.0/24\"\ngateway = \n");

        assertThatThrownBy(() -> DaemonConfig.load(Optional.of(file)))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageStartingWith("config " + file + ": syntax error at line 3, column ");
    }

    @Test
    void duplicateKey_isASyntaxError() {
        assertThatThrownBy(() -> load("driver = \"qemu\"\ndriver = \"qemu\"\n"))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("syntax error at line");
    }

    @Test
    void missingFile_isInvalidArgument() {
        Path missing = dir.resolve("nope.toml");

        assertThatThrownBy(() -> DaemonConfig.load(Optional.of(missing)))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("config " + missing + ": no such file");
    }

    /** {@code table.key = value} as a TOML document. */
    static String toml(String assignment) {
        int eq = assignment.indexOf('=');
        String path = assignment.substring(0, eq).trim();
        String value = assignment.substring(eq + 1).trim();
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path + " = " + value + "\n"
                : "[" + path.substring(0, dot) + "]\n" + path.substring(dot + 1) + " = " + value + "\n";
    }
}
