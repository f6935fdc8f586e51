package dev.arcbox.core.network;

import static dev.arcbox.core.network.FirewallRenderTest.CONFIG;
import static dev.arcbox.core.network.FirewallRenderTest.sandbox;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.NetworkConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirewallStateTest {

    @Test
    void sandboxFields_areCheckedAndNamed() {
        assertThatThrownBy(() -> new SandboxNet("aaaa0001", "abxother01", "10.213.0.300", "02:AB:00:00:00:01",
                EgressPolicy.OPEN, List.of()))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("invalid network of sandbox aaaa0001: tap: must be abxaaaa0001, got 'abxother01'; "
                        + "ip: must be an IPv4 address a.b.c.d, got '10.213.0.300'; "
                        + "mac: must be a lowercase unicast MAC aa:bb:cc:dd:ee:ff, got '02:AB:00:00:00:01'");
    }

    @Test
    void sandboxPolicy_isValidatedWithItsFieldNames() {
        assertThatThrownBy(() -> sandbox("aaaa0001", 2, EgressPolicy.OPEN, List.of(
                new PortForward("192.0.2.1", 80, 80), new PortForward("192.0.2.1", 80, 81))))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("invalid network of sandbox aaaa0001: "
                        + "port_forwards[1].host_port: 192.0.2.1:80 is already forwarded by port_forwards[0]");
    }

    @Test
    void duplicateHostPortAcrossSandboxes_isRefusedNamingBoth() {
        List<SandboxNet> both = List.of(
                sandbox("aaaa0001", 2, EgressPolicy.OPEN, List.of(new PortForward("192.0.2.1", 80, 80))),
                sandbox("bbbb0002", 3, EgressPolicy.OPEN, List.of(new PortForward("192.0.2.1", 80, 8080))));

        assertThatThrownBy(() -> new FirewallState(CONFIG, both))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("invalid firewall state: sandbox bbbb0002: port_forwards[0].host_port 192.0.2.1:80 "
                        + "is already used by sandbox aaaa0001");
    }

    @Test
    void addressesOutsideThePool_orReservedOrTaken_areRefused() {
        List<SandboxNet> bad = List.of(
                sandbox("aaaa0001", 2, EgressPolicy.OPEN, List.of()),
                new SandboxNet("bbbb0002", "abxbbbb0002", "10.9.0.3", "02:ab:0a:09:00:03", EgressPolicy.OPEN, List.of()),
                new SandboxNet("cccc0003", "abxcccc0003", "10.213.0.1", "02:ab:0a:d5:00:01", EgressPolicy.OPEN, List.of()),
                new SandboxNet("dddd0004", "abxdddd0004", "10.213.0.2", "02:ab:0a:d5:00:09", EgressPolicy.OPEN, List.of()));

        assertThatThrownBy(() -> new FirewallState(CONFIG, bad))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("invalid firewall state: "
                        + "sandbox bbbb0002: ip 10.9.0.3 is outside the pool 10.213.0.0/24; "
                        + "sandbox cccc0003: ip 10.213.0.1 is the network, broadcast or gateway address of the pool; "
                        + "sandbox dddd0004: ip 10.213.0.2 is already used by sandbox aaaa0001");
    }

    @Test
    void bridgeNamedLikeATap_isRefused() {
        NetworkConfig config = new NetworkConfig("abxbr0", "10.213.0.0/24", "10.213.0.1", List.of());

        assertThatThrownBy(() -> FirewallState.empty(config))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("network.bridge: must not start with abx");
    }
}
