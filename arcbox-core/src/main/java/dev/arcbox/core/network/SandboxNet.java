package dev.arcbox.core.network;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.store.LeaseRow;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One sandbox as the firewall sees it: its TAP, its leased address and MAC (the only source
 * addresses allowed out of the TAP), its egress policy and its port forwards. Always valid: the
 * constructor checks every field (and the policy with {@link NetPolicyValidator}), so everything
 * rendered into the ruleset is a known-safe token.
 *
 * @param uid the sandbox's short id, {@code [a-z0-9]{8}}
 * @param tap its TAP device, {@code abx} + uid
 * @param ip its leased IPv4 address
 * @param mac its guest MAC, lowercase {@code aa:bb:cc:dd:ee:ff}, unicast
 */
public record SandboxNet(String uid, String tap, String ip, String mac, EgressPolicy egress,
        List<PortForward> portForwards) {

    private static final Pattern UID = Pattern.compile("[a-z0-9]{8}");
    private static final Pattern MAC = Pattern.compile("[0-9a-f][02468ace](:[0-9a-f]{2}){5}");

    public SandboxNet {
        portForwards = portForwards == null ? null : List.copyOf(portForwards);
        List<String> problems = new ArrayList<>();
        if (uid == null || !UID.matcher(uid).matches()) {
            problems.add("uid: must be 8 characters [a-z0-9], got " + NetPolicyValidator.quote(uid));
        } else if (!Taps.nameFor(uid).equals(tap)) {
            problems.add("tap: must be " + Taps.nameFor(uid) + ", got " + NetPolicyValidator.quote(tap));
        }
        if (Ipv4Cidr.parseAddress(ip).isEmpty()) {
            problems.add("ip: must be an IPv4 address a.b.c.d, got " + NetPolicyValidator.quote(ip));
        }
        if (mac == null || !MAC.matcher(mac).matches()) {
            problems.add("mac: must be a lowercase unicast MAC aa:bb:cc:dd:ee:ff, got " + NetPolicyValidator.quote(mac));
        }
        problems.addAll(NetPolicyValidator.violations(egress, portForwards));
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid network of sandbox " + (uid == null ? "?" : uid) + ": "
                    + String.join("; ", problems));
        }
    }

    /** The sandbox holding {@code lease}, with its TAP named by {@link Taps#nameFor}. */
    public static SandboxNet of(LeaseRow lease, EgressPolicy egress, List<PortForward> portForwards) {
        return new SandboxNet(lease.sandboxUid(), Taps.nameFor(lease.sandboxUid()), lease.ip(), lease.mac(), egress,
                portForwards);
    }
}
