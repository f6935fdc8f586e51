package dev.arcbox.core.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.NetworkConfig;
import dev.arcbox.core.store.Ipv4Pool;
import dev.arcbox.core.store.LeaseRow;
import dev.arcbox.core.store.NewSandbox;
import dev.arcbox.core.store.Store;
import dev.arcbox.core.testing.TestRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The building blocks against the real kernel, each test in namespaces of its own ({@link NetLab}):
 * a "hub" namespace plays the host, other namespaces play guests (a veth end enslaved like a TAP
 * stands in for TAP + VM) and the internet (an "uplink" with no route back to the pool). No packet
 * leaves those namespaces.
 */
@Tag("net")
class HostNetworkTest {

    private static final NetworkConfig CONFIG =
            new NetworkConfig("arcbr0", "10.213.0.0/24", "10.213.0.1", List.of("10.213.0.1"));
    private static final Ipv4Pool POOL = new Ipv4Pool(CONFIG.cidr(), CONFIG.gateway());
    private static final String HOST_ADDRESS = "10.214.0.1";
    private static final String UPLINK_ADDRESS = "10.214.0.2";

    @TempDir
    Path dir;

    private NetLab lab;

    @BeforeAll
    static void host() {
        NetLab.assumeHost();
    }

    @BeforeEach
    void open() {
        lab = new NetLab();
    }

    @AfterEach
    void close() {
        lab.close();
        assertThat(NetLab.leftovers()).as("namespaces left by this test").isEmpty();
    }

    @Test
    void bridgeEnsure_twice_givesTheSameStateWithoutError() {
        String hub = lab.netns("h");
        Bridge bridge = new Bridge(lab.in(hub));

        Diagnostics first = bridge.ensure(CONFIG);
        String before = bridgeState(hub);
        Diagnostics second = bridge.ensure(CONFIG);

        assertThat(bridgeState(hub)).isEqualTo(before);
        assertThat(before).contains("kind=bridge", "\"UP\"", "address=02:ab:0a:d5:00:01",
                "\"local\":\"10.213.0.1\",\"prefixlen\":24", "forward=1");
        assertThat(first.messages()).isEmpty();
        assertThat(second.messages()).isEmpty();
    }

    @Test
    void bridgeEnsure_refusesALinkOfThatNameThatIsNoBridge() {
        String hub = lab.netns("h");
        lab.in(hub).run("ip", "link", "add", "arcbr0", "type", "veth", "peer", "name", "arcbr0p");

        assertThatThrownBy(() -> new Bridge(lab.in(hub)).ensure(CONFIG))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessage("bridge arcbr0: a link of that name exists and is a veth, not a bridge");
    }

    @Test
    void diagnose_reportsAForeignForwardChainWithPolicyDrop_andNeverTouchesIt() {
        String hub = lab.netns("h");
        NetCommands h = lab.in(hub);
        h.run(List.of("nft", "-f", "-"), "table ip filter {\n chain FORWARD {\n"
                + "  type filter hook forward priority filter; policy drop;\n }\n}\n");
        String foreign = h.run("nft", "list", "table", "ip", "filter").stdout();

        Diagnostics found = new Bridge(h).ensure(CONFIG);
        Firewall firewall = new Firewall(h);
        firewall.apply(FirewallState.empty(CONFIG));
        firewall.remove();

        assertThat(found.messages()).singleElement().asString()
                .startsWith("table ip filter has chain FORWARD on the forward hook with policy drop")
                .contains("arcbox accepts it in its own table arcbox but cannot override another table's drop",
                        "iptables -I DOCKER-USER -i arcbr0 -j ACCEPT");
        assertThat(h.run("nft", "list", "table", "ip", "filter").stdout()).isEqualTo(foreign);
    }

    @Test
    void createTap_whenEnslavingFails_leavesNoTap() {
        String hub = lab.netns("h");
        Taps taps = new Taps(lab.in(hub));

        assertThatThrownBy(() -> taps.create("abxfa170001", "nosuchbr0"))
                .isInstanceOf(ArcboxException.HostFailure.class)
                .hasMessageContaining("ip link set dev abxfa170001 master nosuchbr0");
        assertThat(taps.exists("abxfa170001")).isFalse();
        assertThat(taps.list()).isEmpty();
    }

    @Test
    void sweep_deletesOnlyLinksOfOursThatNoLiveSandboxOwns() {
        String hub = lab.netns("h");
        NetCommands h = lab.in(hub);
        new Bridge(h).ensure(CONFIG);
        Taps taps = new Taps(h);
        for (String uid : List.of("aaaa0001", "bbbb0002", "cccc0003")) {
            taps.create(Taps.nameFor(uid), CONFIG.bridge());
        }
        h.run("ip", "link", "add", "eth8", "type", "veth", "peer", "name", "eth9");
        h.run("ip", "tuntap", "add", "dev", "abxjunk", "mode", "tap");

        List<String> removed = taps.sweep(Set.of("bbbb0002"));

        // abxjunk has our prefix but no uid: no sandbox owns it
        assertThat(removed).containsExactly("abxaaaa0001", "abxcccc0003", "abxjunk");
        assertThat(taps.list()).containsExactly("abxbbbb0002");
        assertThat(h.run("ip", "-json", "link", "show").stdout()).contains("\"eth8\"", "\"eth9\"");
        assertThat(taps.sweep(Set.of("bbbb0002"))).as("idempotent").isEmpty();
    }

    /** The hub and what lives in it for the scenario: two real TAPs (t1, t2) and two veth guests (a, b). */
    private record Site(String hub, String uplink, String guestA, String guestB, LeaseRow t1, LeaseRow t2, LeaseRow a,
            LeaseRow b) {

        NetCommands h() {
            return NetCommands.inNetns(hub);
        }

        List<String> taps() {
            return List.of(t1, t2, a, b).stream().map(l -> Taps.nameFor(l.sandboxUid())).toList();
        }
    }

    @Test
    void sandboxes_areAntiSpoofedIsolatedAndNatted_andPortForwardsReachThem() {
        Site site = buildSite();
        Firewall firewall = new Firewall(site.h());
        FirewallState state = new FirewallState(CONFIG, List.of(
                SandboxNet.of(site.t1(), EgressPolicy.OPEN, List.of()),
                SandboxNet.of(site.t2(), EgressPolicy.CLOSED, List.of()),
                SandboxNet.of(site.a(), EgressPolicy.OPEN, List.of()),
                SandboxNet.of(site.b(), EgressPolicy.CLOSED, List.of(new PortForward(HOST_ADDRESS, 8080, 8000)))));
        firewall.apply(state);
        firewall.apply(state);

        assertRulesAndPortFlags(site);
        assertGuestsReachTheGatewayButNotEachOther(site);
        assertEgressIsMasqueradedAndFollowsPolicy(site);
        assertTheHostOnlyAnswersDnsAndPingOnTheGateway(site);
        assertSpoofedAddressesMacsAndArpAreDropped(site);
        assertPortForwardReachesTheGuest(site);

        // removing a sandbox is applying the state without it; removing all leaves nothing of ours
        firewall.apply(state.without(site.a().sandboxUid()));
        assertThat(chainNames(listTable(site.h(), "inet"))).doesNotContain("egress_" + site.a().sandboxUid());
        assertThat(ping(lab.in(site.guestA()), CONFIG.gateway())).as("A after its rules are gone").isFalse();
        firewall.remove();
        firewall.remove();
        assertThat(firewall.presentFamilies()).isEmpty();
        Taps taps = new Taps(site.h());
        assertThat(taps.sweep(Set.of())).containsExactlyInAnyOrderElementsOf(site.taps());
        assertThat(taps.list()).isEmpty();
    }

    /** Bridge (ensured twice), uplink, leases from a real store, two TAPs and two veth guests attached and up. */
    private Site buildSite() {
        String hub = lab.netns("h");
        NetCommands h = lab.in(hub);
        new Bridge(h).ensure(CONFIG);
        new Bridge(h).ensure(CONFIG);
        String uplink = lab.uplink(hub, "upl0", HOST_ADDRESS, UPLINK_ADDRESS);
        String run = TestRun.id().substring(0, 4);
        List<LeaseRow> leases = new ArrayList<>();
        try (Store store = Store.open(dir)) {
            for (String role : List.of("t1", "t2", "ga", "gb")) {
                String uid = role + run + "00";
                store.insertSandbox(NewSandbox.of(uid, "net-" + uid, "{}", "CREATING", Map.of()));
                leases.add(store.lease(uid, POOL));
            }
        }
        Taps taps = new Taps(h);
        for (LeaseRow t : leases.subList(0, 2)) {
            String tap = Taps.nameFor(t.sandboxUid());
            taps.create(tap, CONFIG.bridge());
            taps.create(tap, CONFIG.bridge());
            assertThat(flags(h, tap)).as("a new tap").doesNotContain("UP");
            taps.up(tap);
            assertThat(flags(h, tap)).contains("UP");
        }
        List<String> guests = new ArrayList<>();
        for (LeaseRow g : leases.subList(2, 4)) {
            String tap = Taps.nameFor(g.sandboxUid());
            guests.add(lab.guest(hub, tap, g.mac(), g.ip(), 24, CONFIG.gateway()));
            taps.attach(tap, CONFIG.bridge());
            taps.up(tap);
        }
        return new Site(hub, uplink, guests.get(0), guests.get(1), leases.get(0), leases.get(1), leases.get(2),
                leases.get(3));
    }

    private void assertRulesAndPortFlags(Site site) {
        List<String> uids = List.of(site.t1(), site.t2(), site.a(), site.b()).stream().map(LeaseRow::sandboxUid).toList();
        JsonNode inet = listTable(site.h(), "inet");
        JsonNode br = listTable(site.h(), "bridge");
        List<String> inetChains = new ArrayList<>(List.of("prerouting", "output", "postrouting", "input", "forward"));
        uids.forEach(uid -> inetChains.add("egress_" + uid));
        List<String> bridgeChains = new ArrayList<>(List.of("prerouting", "forward"));
        uids.forEach(uid -> bridgeChains.add("port_" + uid));
        assertThat(chainNames(inet)).containsExactlyInAnyOrderElementsOf(inetChains);
        assertThat(chainNames(br)).containsExactlyInAnyOrderElementsOf(bridgeChains);
        assertThat(ruleExprs(inet, "postrouting")).anyMatch(e -> e.contains("\"masquerade\""));
        assertThat(ruleExprs(inet, "prerouting")).anyMatch(e -> e.contains("\"dnat\"") && e.contains(site.b().ip()));
        assertThat(ruleExprs(inet, "output")).anyMatch(e -> e.contains("\"dnat\"") && e.contains(site.b().ip()));
        assertThat(ruleExprs(br, "port_" + site.a().sandboxUid()))
                .anyMatch(e -> e.contains("\"saddr\"") && e.contains(site.a().ip()))
                .anyMatch(e -> e.contains("\"saddr ip\"") && e.contains(site.a().ip()))
                .anyMatch(e -> e.contains("\"saddr\"") && e.contains(site.a().mac()));
        Set<String> isolated = new HashSet<>();
        for (JsonNode port : CommandJson.read(site.h().run("bridge", "-json", "-details", "link", "show"))) {
            if (port.path("isolated").asBoolean() && CONFIG.bridge().equals(port.path("master").asText())) {
                isolated.add(port.path("ifname").asText());
            }
        }
        assertThat(isolated).containsExactlyInAnyOrderElementsOf(site.taps());
    }

    /** B counts what arrives from A: a failed ping alone would not show that A's requests never got there. */
    private void assertGuestsReachTheGatewayButNotEachOther(Site site) {
        NetCommands ga = lab.in(site.guestA());
        NetCommands gb = lab.in(site.guestB());
        gb.run(List.of("nft", "-f", "-"), "table inet probe {\n chain input {\n"
                + "  type filter hook input priority filter; policy accept;\n"
                + "  ip saddr " + site.a().ip() + " counter\n }\n}\n");
        assertThat(ping(ga, CONFIG.gateway())).as("A -> gateway").isTrue();
        assertThat(ping(ga, site.b().ip())).as("A -> B on the bridge").isFalse();
        ga.run("ip", "route", "add", site.b().ip() + "/32", "via", CONFIG.gateway());
        assertThat(ping(ga, site.b().ip())).as("A -> B routed via the gateway").isFalse();
        assertThat(counter(gb, "inet probe", "input", "ip saddr " + site.a().ip())).as("packets from A at B").isZero();
        assertThat(counter(site.h(), "inet arcbox", "forward", "iifname \"arcbr0\" oifname \"arcbr0\"")).isPositive();
    }

    /** The uplink has no route back to the pool: a reply proves masquerade; its counters show the source it saw. */
    private void assertEgressIsMasqueradedAndFollowsPolicy(Site site) {
        NetCommands up = lab.in(site.uplink());
        up.run(List.of("nft", "-f", "-"), "table inet probe {\n chain input {\n"
                + "  type filter hook input priority filter; policy accept;\n"
                + "  ip saddr " + HOST_ADDRESS + " icmp type echo-request counter\n"
                + "  ip saddr " + CONFIG.cidr() + " counter\n }\n}\n");
        assertThat(ping(lab.in(site.guestA()), UPLINK_ADDRESS)).as("A (internet allowed) -> uplink").isTrue();
        assertThat(counter(up, "inet probe", "input", "ip saddr " + HOST_ADDRESS)).isPositive();
        assertThat(counter(up, "inet probe", "input", "ip saddr " + CONFIG.cidr())).isZero();
        assertThat(ping(lab.in(site.guestB()), UPLINK_ADDRESS)).as("B (internet denied) -> uplink").isFalse();
        assertThat(counter(site.h(), "inet arcbox", "egress_" + site.b().sandboxUid(), "")).isPositive();
    }

    private void assertTheHostOnlyAnswersDnsAndPingOnTheGateway(Site site) {
        lab.spawn(site.hub(), "socat", "TCP-LISTEN:53,bind=" + CONFIG.gateway() + ",reuseaddr,fork", "SYSTEM:echo dns");
        lab.spawn(site.hub(), "socat", "TCP-LISTEN:2222,reuseaddr,fork", "SYSTEM:echo ssh");
        awaitListening(site.h(), 53);
        awaitListening(site.h(), 2222);
        NetCommands ga = lab.in(site.guestA());
        assertThat(connect(ga, CONFIG.gateway(), 53)).as("A -> gateway tcp/53").isEqualTo("dns");
        assertThat(connect(ga, CONFIG.gateway(), 2222)).as("A -> gateway tcp/2222").isEmpty();
        assertThat(connect(lab.in(site.uplink()), HOST_ADDRESS, 2222)).as("uplink -> host tcp/2222").isEqualTo("ssh");
        assertThat(connect(ga, HOST_ADDRESS, 2222)).as("A -> another host address, tcp/2222").isEmpty();
    }

    private void assertSpoofedAddressesMacsAndArpAreDropped(Site site) {
        NetCommands ga = lab.in(site.guestA());
        String port = "port_" + site.a().sandboxUid();
        // a fixed neighbour entry, so the spoofed ping is one IPv4 packet and not an ARP request first
        ga.run("ip", "neigh", "replace", CONFIG.gateway(), "lladdr", "02:ab:0a:d5:00:01", "dev", "eth0", "nud", "permanent");
        ga.run("ip", "addr", "add", "10.213.0.250/24", "dev", "eth0");
        assertThat(ga.attempt("busybox", "ping", "-c", "1", "-W", "1", "-I", "10.213.0.250", CONFIG.gateway()).ok())
                .as("A with a spoofed source address").isFalse();
        assertThat(counter(site.h(), "bridge arcbox", port, "ip saddr != " + site.a().ip())).isPositive();
        assertThat(ga.attempt("busybox", "arping", "-c", "1", "-w", "1", "-I", "eth0", "-s", "10.213.0.250",
                CONFIG.gateway()).ok()).as("A's ARP claiming 10.213.0.250").isFalse();
        assertThat(counter(site.h(), "bridge arcbox", port, "arp saddr ip != " + site.a().ip())).isPositive();
        assertThat(site.h().run("ip", "-json", "neigh", "show", "10.213.0.250").stdout().strip()).isIn("", "[]");
        ga.run("ip", "link", "set", "dev", "eth0", "address", "02:ab:0a:d5:00:fe");
        assertThat(ping(ga, CONFIG.gateway())).as("A with a spoofed MAC").isFalse();
        assertThat(counter(site.h(), "bridge arcbox", port, "ether saddr != " + site.a().mac())).isPositive();
        ga.run("ip", "link", "set", "dev", "eth0", "address", site.a().mac());
        assertThat(ping(ga, CONFIG.gateway())).as("A with its own MAC again").isTrue();
    }

    /** From the host itself (output DNAT) and from outside (prerouting DNAT), to B whose own egress is closed. */
    private void assertPortForwardReachesTheGuest(Site site) {
        lab.spawn(site.guestB(), "socat", "TCP-LISTEN:8000,reuseaddr,fork", "SYSTEM:echo pong");
        awaitListening(lab.in(site.guestB()), 8000);
        assertThat(connect(site.h(), HOST_ADDRESS, 8080)).as("host -> forward").isEqualTo("pong");
        assertThat(connect(lab.in(site.uplink()), HOST_ADDRESS, 8080)).as("uplink -> forward").isEqualTo("pong");
    }

    private static JsonNode listTable(NetCommands ns, String family) {
        return CommandJson.read(ns.run("nft", "-j", "list", "table", family, Firewall.TABLE)).path("nftables");
    }

    private static boolean ping(NetCommands ns, String address) {
        return ns.attempt("busybox", "ping", "-c", "1", "-W", "1", address).ok();
    }

    /** What a TCP server at address:port says, or "" when the connection fails within a second. */
    private static String connect(NetCommands ns, String address, int port) {
        NetCommands.Result r = ns.attempt("socat", "-T", "2", "-t", "2", "-", "TCP:" + address + ":" + port + ",connect-timeout=1");
        return r.ok() ? r.stdout().strip() : "";
    }

    private static void awaitListening(NetCommands ns, int port) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                !ns.run("ss", "-H", "-l", "-t", "-n", "sport = :" + port).stdout().isBlank());
    }

    private static List<String> flags(NetCommands ns, String link) {
        List<String> flags = new ArrayList<>();
        CommandJson.read(ns.run("ip", "-json", "link", "show", "dev", link)).get(0).path("flags")
                .forEach(f -> flags.add(f.asText()));
        return flags;
    }

    /** The index, kind, flags, MAC and addresses of the bridge, and ip_forward: what ensure() controls. */
    private static String bridgeState(String hub) {
        NetCommands h = NetCommands.inNetns(hub);
        JsonNode link = CommandJson.read(h.run("ip", "-json", "-details", "link", "show", "dev", "arcbr0")).get(0);
        JsonNode addrs = CommandJson.read(h.run("ip", "-json", "addr", "show", "dev", "arcbr0")).get(0);
        return "ifindex=" + link.path("ifindex") + " kind=" + link.path("linkinfo").path("info_kind").asText()
                + " flags=" + link.path("flags") + " address=" + link.path("address").asText()
                + " addr_info=" + addrs.path("addr_info")
                + " forward=" + h.run("sysctl", "-n", "net.ipv4.ip_forward").stdout().strip();
    }

    private static List<String> chainNames(JsonNode listing) {
        List<String> names = new ArrayList<>();
        listing.forEach(item -> {
            if (item.has("chain")) {
                names.add(item.path("chain").path("name").asText());
            }
        });
        return names;
    }

    private static List<String> ruleExprs(JsonNode listing, String chain) {
        List<String> exprs = new ArrayList<>();
        listing.forEach(item -> {
            if (item.has("rule") && chain.equals(item.path("rule").path("chain").asText())) {
                exprs.add(item.path("rule").path("expr").toString());
            }
        });
        return exprs;
    }

    /** The packets counted by the first rule of a chain that starts with {@code ruleStart}. */
    private static long counter(NetCommands ns, String table, String chain, String ruleStart) {
        List<String> argv = new ArrayList<>(List.of("nft", "list", "chain"));
        argv.addAll(List.of(table.split(" ")));
        argv.add(chain);
        String text = ns.run(argv.toArray(String[]::new)).stdout();
        Matcher m = Pattern.compile("^\\s*" + Pattern.quote(ruleStart) + ".*?counter packets (\\d+)", Pattern.MULTILINE)
                .matcher(text);
        assertThat(m.find()).as("a counted rule starting with '%s' in %s %s:%n%s", ruleStart, table, chain, text).isTrue();
        return Long.parseLong(m.group(1));
    }
}
