package dev.arcbox.core.network;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.NetworkConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Everything the host firewall is made from: the bridge and pool of {@code config} and every
 * sandbox that is networked. The whole ruleset is a function of this value ({@link #render()}), so
 * adding or removing a sandbox is "apply a new state"; nothing is patched in place.
 *
 * <p>Always valid: besides what {@link SandboxNet} checks, each sandbox's address lies in the pool
 * (not its network, broadcast or gateway address), and no uid, TAP, address, MAC or forwarded host
 * {@code address:port} is used twice.
 *
 * @param sandboxes in any order; {@link #render()} sorts them by uid
 */
public record FirewallState(NetworkConfig network, List<SandboxNet> sandboxes) {

    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,14}");

    public FirewallState {
        sandboxes = List.copyOf(sandboxes);
        List<String> problems = new ArrayList<>();
        Optional<Ipv4Cidr> pool = checkNetwork(network, problems);
        checkSandboxes(sandboxes, pool, network == null ? null : network.gateway(), problems);
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid firewall state: " + String.join("; ", problems));
        }
    }

    /** No sandbox: only the fixed rules (masquerade, isolation, the gateway's DNS and ICMP). */
    public static FirewallState empty(NetworkConfig network) {
        return new FirewallState(network, List.of());
    }

    /** This state with {@code sandbox} added, or replacing the one with its uid. */
    public FirewallState with(SandboxNet sandbox) {
        List<SandboxNet> next = new ArrayList<>(without(sandbox.uid()).sandboxes);
        next.add(sandbox);
        return new FirewallState(network, next);
    }

    /** This state without the sandbox {@code uid} (unchanged when it is not there). */
    public FirewallState without(String uid) {
        return new FirewallState(network, sandboxes.stream().filter(s -> !s.uid().equals(uid)).toList());
    }

    /** The sandboxes ordered by uid, as rendered. */
    public List<SandboxNet> sortedSandboxes() {
        return sandboxes.stream().sorted(Comparator.comparing(SandboxNet::uid)).toList();
    }

    /**
     * The complete nftables script for this state: it replaces the tables {@code inet arcbox} and
     * {@code bridge arcbox} (and no other) in one transaction. A pure function; the same state gives
     * the same text.
     */
    public String render() {
        return FirewallRuleset.render(this);
    }

    private static Optional<Ipv4Cidr> checkNetwork(NetworkConfig network, List<String> problems) {
        if (network == null) {
            problems.add("network: is required");
            return Optional.empty();
        }
        if (network.bridge() == null || !IFNAME.matcher(network.bridge()).matches()) {
            problems.add("network.bridge: must be an interface name of at most 15 characters [A-Za-z0-9._-], got "
                    + NetPolicyValidator.quote(network.bridge()));
        } else if (network.bridge().startsWith(Taps.PREFIX)) {
            problems.add("network.bridge: must not start with " + Taps.PREFIX + ", the prefix of sandbox TAPs, got "
                    + NetPolicyValidator.quote(network.bridge()));
        }
        Optional<Ipv4Cidr> pool = Ipv4Cidr.parse(network.cidr()).filter(Ipv4Cidr::isNetwork);
        if (pool.isEmpty()) {
            problems.add("network.cidr: must be an IPv4 network a.b.c.d/n, got " + NetPolicyValidator.quote(network.cidr()));
        }
        OptionalInt gateway = Ipv4Cidr.parseAddress(network.gateway());
        if (gateway.isEmpty() || (pool.isPresent() && !pool.get().contains(gateway.getAsInt()))) {
            problems.add("network.gateway: must be an address inside network.cidr, got "
                    + NetPolicyValidator.quote(network.gateway()));
        }
        return pool;
    }

    private static void checkSandboxes(List<SandboxNet> sandboxes, Optional<Ipv4Cidr> pool, String gateway,
            List<String> problems) {
        Map<String, String> owners = new HashMap<>();
        for (SandboxNet s : sandboxes) {
            String where = "sandbox " + s.uid();
            unique(owners, "uid " + s.uid(), s.uid(), where + ": uid", problems);
            unique(owners, "ip " + s.ip(), s.uid(), where + ": ip " + s.ip(), problems);
            unique(owners, "mac " + s.mac(), s.uid(), where + ": mac " + s.mac(), problems);
            int ip = Ipv4Cidr.parseAddress(s.ip()).orElseThrow();
            if (pool.isPresent()) {
                Ipv4Cidr p = pool.get();
                if (!p.contains(ip)) {
                    problems.add(where + ": ip " + s.ip() + " is outside the pool " + p.networkText());
                } else if (ip == p.network() || ip == p.broadcast() || s.ip().equals(gateway)) {
                    problems.add(where + ": ip " + s.ip() + " is the network, broadcast or gateway address of the pool");
                }
            }
            for (int i = 0; i < s.portForwards().size(); i++) {
                PortForward f = s.portForwards().get(i);
                String key = f.hostAddress() + ":" + f.hostPort();
                unique(owners, "forward " + key, s.uid(), where + ": port_forwards[" + i + "].host_port " + key,
                        problems);
            }
        }
    }

    private static void unique(Map<String, String> owners, String key, String uid, String what,
            List<String> problems) {
        String first = owners.putIfAbsent(key, uid);
        if (first != null) {
            problems.add(what + " is already used by sandbox " + first);
        }
    }
}
