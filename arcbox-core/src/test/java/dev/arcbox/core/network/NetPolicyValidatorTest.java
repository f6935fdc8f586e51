package dev.arcbox.core.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetPolicyValidatorTest {

    @Test
    void validPolicyAndForwards_haveNoViolations() {
        assertThat(NetPolicyValidator.violations(
                new EgressPolicy(false, List.of("0.0.0.0/0", "10.1.0.0/16", "192.0.2.7/32"), List.of("10.1.2.0/24")),
                List.of(new PortForward("192.0.2.1", 1, 65535), new PortForward("192.0.2.2", 1, 22))))
                .isEmpty();
    }

    @Test
    void malformedCidrs_areNamedByFieldAndIndex() {
        List<String> problems = NetPolicyValidator.violations(
                new EgressPolicy(true, List.of("10.0.0.0/8", "10.0.0.0/33", "10.0.0/8"), List.of("300.1.1.1/32", "10.0.0.0")),
                List.of());

        assertThat(problems).containsExactly(
                "egress.allow_cidrs[1]: must be an IPv4 network a.b.c.d/n with n 0-32, got '10.0.0.0/33'",
                "egress.allow_cidrs[2]: must be an IPv4 network a.b.c.d/n with n 0-32, got '10.0.0/8'",
                "egress.deny_cidrs[0]: must be an IPv4 network a.b.c.d/n with n 0-32, got '300.1.1.1/32'",
                "egress.deny_cidrs[1]: must be an IPv4 network a.b.c.d/n with n 0-32, got '10.0.0.0'");
    }

    @Test
    void cidrWithHostBits_namesTheNetworkMeant() {
        assertThat(NetPolicyValidator.violations(new EgressPolicy(true, List.of(), List.of("10.1.2.3/8")), List.of()))
                .containsExactly("egress.deny_cidrs[0]: host bits must be zero, got '10.1.2.3/8' (the network is 10.0.0.0/8)");
    }

    @Test
    void portsOutsideRange_areNamed() {
        List<String> problems = NetPolicyValidator.violations(EgressPolicy.OPEN, List.of(
                new PortForward("192.0.2.1", 0, 80),
                new PortForward("192.0.2.1", 8080, 65536)));

        assertThat(problems).containsExactly(
                "port_forwards[0].host_port: must be 1-65535, got 0",
                "port_forwards[1].guest_port: must be 1-65535, got 65536");
    }

    @Test
    void duplicateHostPort_onTheSameAddress_namesTheFirstUse() {
        List<String> problems = NetPolicyValidator.violations(EgressPolicy.OPEN, List.of(
                new PortForward("192.0.2.1", 8080, 80),
                new PortForward("192.0.2.2", 8080, 81),
                new PortForward("192.0.2.1", 8080, 82)));

        assertThat(problems).containsExactly(
                "port_forwards[2].host_port: 192.0.2.1:8080 is already forwarded by port_forwards[0]");
    }

    @Test
    void hostAddresses_mustBeOneUnicastNonLoopbackAddress() {
        List<String> problems = NetPolicyValidator.violations(EgressPolicy.OPEN, List.of(
                new PortForward("localhost", 1000, 80),
                new PortForward("0.0.0.0", 1001, 80),
                new PortForward("127.0.0.1", 1002, 80),
                new PortForward("224.0.0.1", 1003, 80),
                new PortForward("255.255.255.255", 1004, 80)));

        assertThat(problems).containsExactly(
                "port_forwards[0].host_address: must be an IPv4 address a.b.c.d, got 'localhost'",
                "port_forwards[1].host_address: must be one address of the host, not 0.0.0.0",
                "port_forwards[2].host_address: loopback addresses cannot be forwarded to a sandbox, got '127.0.0.1'",
                "port_forwards[3].host_address: must be a unicast address, got '224.0.0.1'",
                "port_forwards[4].host_address: must be a unicast address, got '255.255.255.255'");
    }

    @Test
    void tooManyEntries_areRefused() {
        List<String> many = Collections.nCopies(NetPolicyValidator.MAX_CIDRS + 1, "10.0.0.0/8");

        assertThat(NetPolicyValidator.violations(new EgressPolicy(true, many, List.of()), List.of()))
                .containsExactly("egress.allow_cidrs: at most 256 entries, got 257");
    }

    @Test
    void validate_throwsInvalidArgumentListingEveryViolation() {
        assertThatThrownBy(() -> NetPolicyValidator.validate("sandbox aaaa0001",
                new EgressPolicy(true, List.of("x"), List.of()), List.of(new PortForward("192.0.2.1", 0, 0))))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("invalid network policy of sandbox aaaa0001: egress.allow_cidrs[0]: must be an IPv4 network "
                        + "a.b.c.d/n with n 0-32, got 'x'; port_forwards[0].host_port: must be 1-65535, got 0; "
                        + "port_forwards[0].guest_port: must be 1-65535, got 0");
    }

    @Test
    void hostileValues_areQuotedWithControlCharactersEscaped() {
        assertThat(NetPolicyValidator.violations(new EgressPolicy(true, List.of("1.2.3.4/8\" accept\n"), List.of()), List.of()))
                .containsExactly("egress.allow_cidrs[0]: must be an IPv4 network a.b.c.d/n with n 0-32, got "
                        + "'1.2.3.4/8\" accept\\x0a'");
    }
}
