package dev.arcbox.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;

/**
 * Property-style checks with a seeded generator: random partial configs drawn from pools of valid
 * values all load, and turning exactly one value invalid yields exactly one violation, naming
 * that key. A failure prints the seed and the document.
 */
class DaemonConfigPropertyTest {

    private static final long SEED = 0x00A4C_B0C5L;
    private static final int RUNS = 300;

    /** A value in the document: its table ("" = top level), key, TOML literal, and invalid replacements. */
    record Assignment(String table, String key, String literal, List<Bad> invalid) {
        String path() {
            return table.isEmpty() ? key : table + "." + key;
        }
    }

    /** An invalid TOML literal and the key path its violation must name. */
    record Bad(String literal, String key) {}

    /** Draws consistent assignments (one, or several that depend on each other). */
    interface Choice extends Function<RandomGenerator, List<Assignment>> {}

    @Test
    void randomPartialConfigs_fromValidPools_allLoad() {
        RandomGenerator random = RandomGeneratorFactory.of("L64X128MixRandom").create(SEED);
        DaemonConfig defaults = DaemonConfig.builtIn();
        for (int run = 0; run < RUNS; run++) {
            List<Assignment> assignments = draw(random);
            String toml = render(assignments, Optional.empty());

            assertThat(ConfigReader.violations(toml)).as("run %d, seed %x:\n%s", run, SEED, toml).isEmpty();
            DaemonConfig c = ConfigReader.load(toml, "run " + run);
            List<String> tables = assignments.stream().map(a -> a.table().split("\\.")[0]).toList();
            if (!tables.contains("network")) {
                assertThat(c.network()).isEqualTo(defaults.network());
            }
            if (!tables.contains("qemu")) {
                assertThat(c.qemu()).isEqualTo(defaults.qemu());
            }
            if (!tables.contains("limits")) {
                assertThat(c.limits()).isEqualTo(defaults.limits());
            }
            if (!tables.contains("defaults")) {
                assertThat(c.defaults()).isEqualTo(defaults.defaults());
            }
        }
    }

    @Test
    void oneInvalidValue_yieldsExactlyOneViolation_namingItsKey() {
        RandomGenerator random = RandomGeneratorFactory.of("L64X128MixRandom").create(SEED + 1);
        int unknownKeys = 0;
        for (int run = 0; run < RUNS; run++) {
            List<Assignment> assignments = draw(random);
            List<Assignment> mutable = assignments.stream().filter(a -> !a.invalid().isEmpty()).toList();
            String toml;
            String expectedKey;
            if (mutable.isEmpty() || random.nextInt(5) == 0) {
                List<String> tables = new ArrayList<>(List.of("", "firecracker", "qemu", "network", "grpc", "defaults", "limits"));
                assignments.stream().map(Assignment::table).filter(t -> !tables.contains(t)).distinct().forEach(tables::add);
                String table = tables.get(random.nextInt(tables.size()));
                String key = "bogus_" + random.nextInt(1000);
                assignments = new ArrayList<>(assignments);
                assignments.add(new Assignment(table, key, "1", List.of()));
                toml = render(assignments, Optional.empty());
                expectedKey = table.isEmpty() ? key : table + "." + key;
                unknownKeys++;
            } else {
                Assignment target = mutable.get(random.nextInt(mutable.size()));
                Bad bad = target.invalid().get(random.nextInt(target.invalid().size()));
                toml = render(assignments, Optional.of(Map.entry(target, bad.literal())));
                expectedKey = bad.key();
            }

            assertThat(ConfigReader.violations(toml))
                    .as("run %d, seed %x:\n%s", run, SEED + 1, toml)
                    .singleElement().asString().startsWith(expectedKey + ": ");
        }
        assertThat(unknownKeys).isBetween(1, RUNS - 1);
    }

    // ---- generation --------------------------------------------------------------------------------

    private static List<Assignment> draw(RandomGenerator random) {
        List<Assignment> out = new ArrayList<>();
        for (Choice choice : CHOICES) {
            if (random.nextInt(10) < 3) {
                out.addAll(choice.apply(random));
            }
        }
        return out;
    }

    /** The document; {@code replace} swaps one assignment's literal. Top-level keys come first. */
    private static String render(List<Assignment> assignments, Optional<Map.Entry<Assignment, String>> replace) {
        Map<String, Map<String, String>> tables = new TreeMap<>();
        for (Assignment a : assignments) {
            String literal = replace.filter(r -> r.getKey() == a).map(Map.Entry::getValue).orElse(a.literal());
            tables.computeIfAbsent(a.table(), t -> new LinkedHashMap<>()).put(a.key(), literal);
        }
        StringBuilder sb = new StringBuilder();
        tables.forEach((table, values) -> {
            if (!table.isEmpty()) {
                sb.append("\n[").append(table).append("]\n");
            }
            values.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        });
        return sb.toString();
    }

    private static String q(String s) {
        return "\"" + s + "\"";
    }

    private static <T> T pick(RandomGenerator random, List<T> pool) {
        return pool.get(random.nextInt(pool.size()));
    }

    /** One key with its pools; invalid values name the key itself. */
    private static Choice field(String table, String key, List<String> valid, List<String> invalid) {
        String path = table.isEmpty() ? key : table + "." + key;
        List<Bad> bads = invalid.stream().map(literal -> new Bad(literal, path)).toList();
        return random -> List.of(new Assignment(table, key, pick(random, valid), bads));
    }

    private static Choice field(String table, String key, List<String> valid, Bad... invalid) {
        return random -> List.of(new Assignment(table, key, pick(random, valid), List.of(invalid)));
    }

    private static final List<String> ABSOLUTE_PATH_BAD = List.of(q("relative/path"), q("/a/../b"), "42", q(""));

    private static List<String> paths(String... paths) {
        return java.util.Arrays.stream(paths).map(DaemonConfigPropertyTest::q).toList();
    }

    private static final List<Choice> CHOICES = List.of(
            field("", "driver", List.of(q("auto"), q("qemu"), q("firecracker")), List.of(q("xen"), q("QEMU"), "1")),
            field("", "images", List.of("[\"/var/lib/arcbox/images\"]", "[\"/srv/a\", \"/srv/b\"]"),
                    new Bad("[\"images\"]", "images[0]"), new Bad("[]", "images"), new Bad(q("/srv/a"), "images"),
                    new Bad("[\"/srv/a\", 7]", "images[1]")),
            dataDir(),
            field("firecracker", "binary", paths("/usr/bin/firecracker", "/opt/fc/firecracker"), ABSOLUTE_PATH_BAD),
            field("firecracker", "log_level", List.of(q("Error"), q("warning"), q("Info"), q("DEBUG"), q("trace")),
                    List.of(q("verbose"), "3")),
            field("firecracker", "no_seccomp", List.of("true", "false"), List.of(q("yes"), "1")),
            field("firecracker", "seccomp_filter", paths("/etc/arcbox/seccomp.bpf"), List.of(q("seccomp.bpf"))),
            field("firecracker", "http_api_max_payload_size", List.of("51200", "1048576"), List.of("0", "-5", q("big"))),
            field("firecracker", "mmds_size_limit", List.of("51200", "1"), List.of("0", "2147483648", "1.5")),
            field("firecracker", "socket_timeout_secs", List.of("1", "5", "3600"), List.of("0", "3601", q("5"))),
            jailer(),
            field("qemu", "binary", paths("/usr/bin/qemu-system-x86_64", "/opt/qemu/bin/qemu-system-x86_64"), ABSOLUTE_PATH_BAD),
            field("qemu", "accel", List.of(q("auto"), q("kvm"), q("tcg")), List.of(q("xen"), q("hvf"), "true")),
            field("qemu", "ram_dir", paths("/dev/shm/arcbox", "/run/arcbox/ram"), ABSOLUTE_PATH_BAD),
            field("network", "bridge", List.of(q("arcbox0"), q("br-test"), q("a.b_c-1"), q("fifteen-chars-x")),
                    List.of(q("sixteen-chars-xx"), q("br 0"), q("br/0"), q(""), q(".."), "0")),
            cidrAndGateway(),
            field("network", "dns", List.of("[\"1.1.1.1\"]", "[]", "[\"8.8.8.8\", \"9.9.9.9\"]"),
                    new Bad("[\"dns.google\"]", "network.dns[0]"), new Bad("[\"1.1.1.1\", \"1.1.1\"]", "network.dns[1]"),
                    new Bad(q("1.1.1.1"), "network.dns"), new Bad("[\"::1\"]", "network.dns[0]")),
            field("grpc", "unix_socket", paths("/run/arcbox/arcbox.sock", "/tmp/a.sock"),
                    List.of(q("arcbox.sock"), q("/run/" + "x".repeat(110) + ".sock"), "1")),
            field("grpc", "socket_group", List.of(q("arcbox"), q("docker"), q("")), List.of(q("9 lives"), q("a:b"), "5")),
            tcp(),
            field("defaults", "vcpus", List.of("1", "2", "7", "32"), List.of("0", "33", "-1", q("two"), "1.0")),
            field("defaults", "memory_mib", List.of("64", "256", "4096", "262144"), List.of("63", "262145", q("256"))),
            field("defaults", "kernel", List.of(q(""), q("/var/lib/arcbox/images/k/vmlinux")), List.of(q("vmlinux"), "1")),
            field("defaults", "initrd", List.of(q(""), q("/var/lib/arcbox/images/k/initrd.img")), List.of(q("initrd.img"))),
            field("defaults", "rootfs", List.of(q(""), q("/var/lib/arcbox/images/k/rootfs.ext4")), List.of(q("../rootfs"))),
            field("defaults", "boot_args", List.of(q(""), q("quiet loglevel=3")), List.of(q("a\\nb"), "[]")),
            field("defaults", "disk_size_mib", List.of("16", "2048", "1048576"), List.of("15", "1048577", q("2G"))),
            field("limits", "max_sandboxes", List.of("16", "64", "500"), List.of("0", "70000", q("many"))),
            field("limits", "max_concurrent_boots", List.of("1", "2", "4", "16"), List.of("0", "1025", "1000", q("4"))),
            field("limits", "memory_headroom_mib", List.of("0", "1024", "65536"), List.of("-1", q("1G"))));

    /** Top-level data_dir, its [firecracker] alias, or both (then equal). */
    private static Choice dataDir() {
        return random -> {
            String dir = pick(random, List.of("/var/lib/arcbox", "/srv/arcbox", "/data/arcbox/"));
            List<Bad> topBad = ABSOLUTE_PATH_BAD.stream().map(l -> new Bad(l, "data_dir")).toList();
            List<Bad> aliasBad = ABSOLUTE_PATH_BAD.stream().map(l -> new Bad(l, "firecracker.data_dir")).toList();
            return switch (random.nextInt(3)) {
                case 0 -> List.of(new Assignment("", "data_dir", q(dir), topBad));
                case 1 -> List.of(new Assignment("firecracker", "data_dir", q(dir), aliasBad));
                default -> {
                    List<Bad> conflict = new ArrayList<>(aliasBad);
                    conflict.add(new Bad(q("/elsewhere"), "data_dir"));
                    yield List.of(new Assignment("", "data_dir", q(dir), topBad),
                            new Assignment("firecracker", "data_dir", q(dir), conflict));
                }
            };
        };
    }

    /** A valid pool with a gateway inside it; an invalid gateway lies outside every pool. */
    private static Choice cidrAndGateway() {
        List<String[]> pools = List.of(
                new String[] {"172.30.0.0/24", "172.30.0.1"},
                new String[] {"10.0.0.0/8", "10.255.255.254"},
                new String[] {"192.168.100.0/30", "192.168.100.2"},
                new String[] {"172.16.0.0/12", "172.20.0.1"});
        return random -> {
            String[] pool = pick(random, pools);
            return List.of(
                    new Assignment("network", "cidr", q(pool[0]), Stream.of(
                            q("10.0.0.0/31"), q("10.0.0.0/7"), q("10.0.0.0"), q("10.0.0.1/8"), q("10.0.0.256/24"), "true")
                            .map(l -> new Bad(l, "network.cidr")).toList()),
                    new Assignment("network", "gateway", q(pool[1]), Stream.of(
                            q("8.8.8.8"), q("gateway"), q("256.1.1.1"), "42")
                            .map(l -> new Bad(l, "network.gateway")).toList()));
        };
    }

    /** TCP with everything it needs. */
    private static Choice tcp() {
        return random -> List.of(
                new Assignment("grpc", "tcp_addr", q(pick(random, List.of("0.0.0.0:7443", "[::]:443", "api.local:1"))),
                        Stream.of(q("nohost"), q("host:0"), q("host:70000"), q(":80"), q("a b:80"), "7443")
                                .map(l -> new Bad(l, "grpc.tcp_addr")).toList()),
                new Assignment("grpc", "tls_cert", q("/etc/arcbox/tls/cert.pem"), List.of(new Bad(q("cert.pem"), "grpc.tls_cert"))),
                new Assignment("grpc", "tls_key", q("/etc/arcbox/tls/key.pem"), List.of(new Bad(q("key.pem"), "grpc.tls_key"))),
                new Assignment("grpc", "token_file", q("/etc/arcbox/token"), List.of(new Bad("[]", "grpc.token_file"))));
    }

    /** A jailer table: the required keys, and some optional ones. */
    private static Choice jailer() {
        String t = "firecracker.jailer";
        return random -> {
            List<Assignment> out = new ArrayList<>(List.of(
                    new Assignment(t, "binary", q("/usr/bin/jailer"), List.of(new Bad(q("jailer"), t + ".binary"))),
                    new Assignment(t, "uid", pick(random, List.of("0", "1000", "4294967294")),
                            Stream.of("-1", "4294967295", q("root")).map(l -> new Bad(l, t + ".uid")).toList()),
                    new Assignment(t, "gid", pick(random, List.of("0", "1000")),
                            Stream.of("-1", "1.5").map(l -> new Bad(l, t + ".gid")).toList())));
            if (random.nextBoolean()) {
                out.add(new Assignment(t, "chroot_base_dir", q("/srv/jailer"), List.of(new Bad(q("srv"), t + ".chroot_base_dir"))));
            }
            if (random.nextBoolean()) {
                out.add(new Assignment(t, "netns", q("/var/run/netns/arcbox"), List.of(new Bad(q("arcbox"), t + ".netns"))));
            }
            if (random.nextBoolean()) {
                out.add(new Assignment(t, "new_pid_ns", pick(random, List.of("true", "false")),
                        List.of(new Bad(q("true"), t + ".new_pid_ns"))));
            }
            if (random.nextBoolean()) {
                out.add(new Assignment(t, "cgroup_version", pick(random, List.of(q("1"), q("2"))),
                        Stream.of(q("3"), "2").map(l -> new Bad(l, t + ".cgroup_version")).toList()));
            }
            if (random.nextBoolean()) {
                out.add(new Assignment(t, "parent_cgroup", pick(random, List.of(q("firecracker"), q("arcbox/vms"))),
                        Stream.of(q("../x"), q("/abs"), q("a/./b")).map(l -> new Bad(l, t + ".parent_cgroup")).toList()));
            }
            if (random.nextBoolean()) {
                out.add(new Assignment(t, "resource_limits",
                        pick(random, List.of("[]", "[\"fsize=2048\"]", "[\"no-file=1024\", \"fsize=1\"]")),
                        List.of(new Bad("[\"nproc=5\"]", t + ".resource_limits[0]"),
                                new Bad("[\"fsize=1\", \"fsize\"]", t + ".resource_limits[1]"),
                                new Bad(q("fsize=1"), t + ".resource_limits"))));
            }
            return out;
        };
    }

    private interface Stream {
        static java.util.stream.Stream<String> of(String... values) {
            return java.util.Arrays.stream(values);
        }
    }
}
