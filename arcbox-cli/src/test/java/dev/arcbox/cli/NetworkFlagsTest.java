package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.JsonFormat;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.EgressSpec;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.PortForward;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxNetwork;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code sandbox create --publish/--no-internet/--allow-cidr/--deny-cidr}, {@code sandbox port}, inspect lines. */
class NetworkFlagsTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        daemon.createResponse = CreateSandboxResponse.newBuilder().setId("sb-1").build();
        cli = Cli.at(daemon.socket);
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    private static PortForward forward(String address, int host, int guest) {
        return PortForward.newBuilder().setHostAddress(address).setHostPort(host).setGuestPort(guest).build();
    }

    private CreateSandboxRequest created(String... flags) {
        List<String> args = new ArrayList<>(List.of("sandbox", "create", "--network", "tap"));
        args.addAll(List.of(flags));
        Cli.Result r = cli.run(args.toArray(String[]::new));
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("sb-1\n");
        return daemon.requests(CreateSandboxRequest.class).getLast();
    }

    @Test
    void publish_withAddress_andWithPublishAddress_mapIntoPortForwards_inOrder() {
        CreateSandboxRequest sent = created("--publish", "10.0.0.5:18080:8080", "--publish", "2222:22",
                "--publish", "[fd00::5]:443:8443", "--publish-address", "192.168.1.7");

        assertThat(sent.getPortForwardsList()).containsExactly(
                forward("10.0.0.5", 18080, 8080), forward("192.168.1.7", 2222, 22), forward("fd00::5", 443, 8443));
        assertThat(sent.hasEgress()).isFalse();
        assertThat(sent.getNetwork()).isEqualTo(NetworkSpec.newBuilder().setMode("tap").build());
    }

    @Test
    void publish_portBounds_areInclusive() {
        assertThat(created("--publish", "10.0.0.5:1:65535").getPortForwardsList())
                .containsExactly(forward("10.0.0.5", 1, 65535));
    }

    @Test
    void noInternet_andCidrs_fillTheEgressSpec() {
        CreateSandboxRequest sent = created("--no-internet", "--allow-cidr", "10.1.0.0/16", "--allow-cidr", "fd00::/8",
                "--deny-cidr", "10.1.2.0/24");

        assertThat(sent.getEgress()).isEqualTo(EgressSpec.newBuilder().setDenyInternet(true)
                .addAllowCidrs("10.1.0.0/16").addAllowCidrs("fd00::/8").addDenyCidrs("10.1.2.0/24").build());
        assertThat(sent.getPortForwardsCount()).isZero();
    }

    @Test
    void eachEgressFlag_aloneSetsTheEgressSpec() {
        assertThat(created("--no-internet").getEgress()).isEqualTo(EgressSpec.newBuilder().setDenyInternet(true).build());
        assertThat(created("--deny-cidr", "0.0.0.0/0").getEgress())
                .isEqualTo(EgressSpec.newBuilder().addDenyCidrs("0.0.0.0/0").build());
        assertThat(created("--allow-cidr", "1.2.3.4/32").getEgress())
                .isEqualTo(EgressSpec.newBuilder().addAllowCidrs("1.2.3.4/32").build());
        assertThat(created().hasEgress()).isFalse();
    }

    private void assertUsageError(String option, String expected, String... args) {
        Cli.Result r = cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).as(String.join(" ", args)).startsWith("arcbox: ").contains(option).contains(expected);
        assertThat(r.err().lines()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8080", "0:80", "80:0", "65536:80", "80:65536", "-1:80", "+80:80", "080:80", "80:8O",
            ":80", "80:", "a:b", "10.0.0.5::80", ":80:8080", "10.0.0.5:80:", "10.0.0.5:99999:80", "[]:80:80",
            "10.0.0.5:80:80:80", " :80:80", "fd00::5:80:80", "[10.0.0.5:80:80"})
    void publish_malformed_isAUsageError_andSendsNothing(String bad) {
        assertUsageError("--publish", "'" + bad + "'",
                "sandbox", "create", "--network", "tap", "--publish-address", "10.0.0.5", "--publish", bad);
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void publish_withoutAnyHostAddress_isAUsageError_namingPublish() {
        assertUsageError("--publish", "--publish-address", "sandbox", "create", "--network", "tap",
                "--publish", "10.0.0.5:18080:8080", "--publish", "18081:8081");
        assertThat(daemon.requests).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/129", "10.0.0.0/08", "10.0.0.0/-1", "any",
            "10.0.0.0/8/8", "host.example/8"})
    void cidr_badShape_isAUsageError_andSendsNothing(String bad) {
        assertUsageError("--allow-cidr", "'" + bad + "'", "sandbox", "create", "--network", "tap", "--allow-cidr", bad);
        assertUsageError("--deny-cidr", "'" + bad + "'", "sandbox", "create", "--network", "tap", "--deny-cidr", bad);
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void networkFlags_withoutNetworkTap_areAUsageError_andSendNothing() {
        List<List<String>> flagSets = List.of(List.of("--publish", "10.0.0.5:80:80"), List.of("--no-internet"),
                List.of("--allow-cidr", "10.0.0.0/8"), List.of("--deny-cidr", "10.0.0.0/8"),
                List.of("--publish-address", "10.0.0.5", "--publish", "80:80"));
        for (List<String> flags : flagSets) {
            for (List<String> network : List.of(List.of("--network", "none"), List.<String>of())) {
                List<String> args = new ArrayList<>(List.of("sandbox", "create"));
                args.addAll(network);
                args.addAll(flags);
                assertUsageError(flags.getFirst(), "need --network tap", args.toArray(String[]::new));
            }
        }
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void publishAddress_withoutPublish_isAUsageError() {
        assertUsageError("--publish-address", "only used with --publish",
                "sandbox", "create", "--network", "tap", "--publish-address", "10.0.0.5");
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void publish_parse_bracketsAndDefaults() {
        assertThat(Publish.parse("80:8080")).isEqualTo(new Publish(null, 80, 8080));
        assertThat(Publish.parse("[fd00::1]:80:8080")).isEqualTo(new Publish("fd00::1", 80, 8080));
        assertThatThrownBy(() -> Publish.parse("80")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Publish.parse("fd00::1:80:8080")).hasMessageContaining("bad host address");
        assertThat(Publish.hostPort(forward("fd00::1", 80, 8080))).isEqualTo("[fd00::1]:80");
    }

    private static SandboxInfo forwarded() {
        return SandboxInfo.newBuilder().setId("sb-1").setState("running")
                .setNetwork(SandboxNetwork.newBuilder().setMode("tap").setIpAddress("172.30.0.2")
                        .setGateway("172.30.0.1").setTapName("abx1f3a").setMac("02:00:ac:1e:00:02"))
                .addPortForwards(forward("10.0.0.5", 18080, 8080))
                .addPortForwards(forward("fd00::5", 2222, 22))
                .setEgress(EgressSpec.newBuilder().setDenyInternet(true).addAllowCidrs("10.1.0.0/16")
                        .addAllowCidrs("10.2.0.0/16").addDenyCidrs("10.1.2.0/24"))
                .build();
    }

    @Test
    void port_printsOneDockerStyleLinePerForward() {
        daemon.info = forwarded();

        Cli.Result r = cli.run("sandbox", "port", "sb-1");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("8080/tcp -> 10.0.0.5:18080\n22/tcp -> [fd00::5]:2222\n");
        assertThat(daemon.requests).containsExactly(InspectSandboxRequest.newBuilder().setId("sb-1").build());
    }

    @Test
    void port_withoutForwards_printsNothing() {
        daemon.info = SandboxInfo.newBuilder().setId("sb-1").build();

        Cli.Result r = cli.run("sandbox", "port", "sb-1");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(cli.run("sandbox", "port", "sb-1", "-o", "json").out()).isEqualTo("[]\n");
    }

    @Test
    void port_json_isAnArrayOfTheForwards() throws Exception {
        daemon.info = forwarded();

        Cli.Result r = cli.run("sandbox", "port", "sb-1", "-o", "json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("[\n").endsWith("\n]\n").contains("\"host_address\": \"10.0.0.5\"")
                .contains("\"guest_port\": 8080");
        // the array, wrapped as the repeated field of SandboxInfo, parses back to the same forwards
        SandboxInfo.Builder parsed = SandboxInfo.newBuilder();
        JsonFormat.parser().merge("{\"port_forwards\": " + r.out() + "}", parsed);
        assertThat(parsed.getPortForwardsList()).isEqualTo(forwarded().getPortForwardsList());
    }

    @Test
    void port_needsAnId() {
        assertThat(cli.run("sandbox", "port").exit()).isEqualTo(2);
        assertThat(daemon.requests).isEmpty();
    }

    @Test
    void inspect_showsNetworkForwardsAndEgressLines() {
        daemon.info = forwarded();

        Cli.Result r = cli.run("sandbox", "inspect", "sb-1");

        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).contains(
                "network:            tap",
                "ip:                 172.30.0.2",
                "gateway:            172.30.0.1",
                "mac:                02:00:ac:1e:00:02",
                "tap:                abx1f3a",
                "forwards:           10.0.0.5:18080->8080,[fd00::5]:2222->22",
                "egress:             internet: no, allow: 10.1.0.0/16,10.2.0.0/16, deny: 10.1.2.0/24");
    }

    @Test
    void inspect_withoutForwardsOrEgress_showsTheDefaults() {
        daemon.info = SandboxInfo.newBuilder().setId("sb-1").build();

        Cli.Result r = cli.run("sandbox", "inspect", "sb-1");

        assertThat(r.out().lines()).contains(
                "forwards:           -",
                "egress:             internet: yes, allow: -, deny: -");
    }
}
