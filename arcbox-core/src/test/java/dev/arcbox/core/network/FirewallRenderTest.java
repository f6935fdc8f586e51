package dev.arcbox.core.network;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.config.NetworkConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden files pin the ruleset text ({@code *.nft} next to this class); on a mismatch the actual
 * text is written to {@code target/golden-actual/}. That the text is accepted by nft and does what
 * it says is proven by {@link HostNetworkTest}.
 */
class FirewallRenderTest {

    static final NetworkConfig CONFIG = new NetworkConfig("arcbr0", "10.213.0.0/24", "10.213.0.1", List.of("10.213.0.1"));

    static SandboxNet sandbox(String uid, int host, EgressPolicy egress, List<PortForward> forwards) {
        return new SandboxNet(uid, Taps.nameFor(uid), "10.213.0." + host, String.format("02:ab:0a:d5:00:%02x", host),
                egress, forwards);
    }

    static List<SandboxNet> three() {
        return List.of(
                sandbox("aaaa0001", 2, EgressPolicy.OPEN, List.of(
                        new PortForward("192.0.2.10", 8080, 80),
                        new PortForward("192.0.2.10", 2222, 22))),
                sandbox("bbbb0002", 3, new EgressPolicy(false, List.of("198.51.100.0/24", "203.0.113.7/32"),
                        List.of("198.51.100.128/25")), List.of()),
                sandbox("cccc0003", 4, new EgressPolicy(true, List.of("10.0.0.0/8"),
                        List.of("10.0.0.0/8", "169.254.169.254/32")), List.of(new PortForward("192.0.2.11", 8080, 8080))));
    }

    @Test
    void noSandboxes_rendersOnlyTheFixedRules() throws IOException {
        String actual = FirewallState.empty(CONFIG).render();

        assertThat(actual).isEqualTo(golden("empty.nft", actual));
    }

    @Test
    void oneOpenSandbox_rendersItsAntiSpoofingAndEgressChains() throws IOException {
        String actual = new FirewallState(CONFIG, List.of(sandbox("aaaa0001", 2, EgressPolicy.OPEN, List.of()))).render();

        assertThat(actual).isEqualTo(golden("one-sandbox.nft", actual));
    }

    @Test
    void threeSandboxes_withEgressVariantsAndPortForwards() throws IOException {
        String actual = new FirewallState(CONFIG, three()).render();

        assertThat(actual).isEqualTo(golden("three-sandboxes.nft", actual));
    }

    @Test
    void render_doesNotDependOnTheOrderSandboxesAreGiven() {
        List<SandboxNet> shuffled = new ArrayList<>(three());
        Collections.reverse(shuffled);

        assertThat(new FirewallState(CONFIG, shuffled).render()).isEqualTo(new FirewallState(CONFIG, three()).render());
    }

    @Test
    void denyRulesComeBeforeAllowRules_soDenyWins() {
        String text = new FirewallState(CONFIG, three()).render();
        String chain = text.substring(text.indexOf("chain egress_cccc0003"));
        chain = chain.substring(0, chain.indexOf('}'));

        assertThat(chain.indexOf("ip daddr 10.0.0.0/8 counter drop"))
                .isGreaterThan(0)
                .isLessThan(chain.indexOf("ip daddr 10.0.0.0/8 accept"));
    }

    @Test
    void removingASandbox_rendersTheStateWithoutIt() {
        FirewallState state = new FirewallState(CONFIG, three());

        String without = state.without("bbbb0002").render();

        assertThat(without).doesNotContain("bbbb0002", "10.213.0.3 ");
        assertThat(without).isEqualTo(new FirewallState(CONFIG, List.of(three().get(0), three().get(2))).render());
        assertThat(state.without("bbbb0002").with(three().get(1)).render()).isEqualTo(state.render());
    }

    private static String golden(String name, String actual) throws IOException {
        try (InputStream in = FirewallRenderTest.class.getResourceAsStream(name)) {
            String expected = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!expected.equals(actual)) {
                Path out = Path.of("target", "golden-actual", name);
                Files.createDirectories(out.getParent());
                Files.writeString(out, actual);
            }
            return expected;
        }
    }
}
