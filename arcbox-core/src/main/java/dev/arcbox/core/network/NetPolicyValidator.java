package dev.arcbox.core.network;

import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Checks the network part of what a user asks for: an {@link EgressPolicy} and a list of
 * {@link PortForward}s. A pure function: it collects every violation, each naming its field
 * ({@code egress.deny_cidrs[1]: …}, {@code port_forwards[0].host_port: …}), and changes nothing.
 */
public final class NetPolicyValidator {

    /** Most entries in each of {@code allow_cidrs} and {@code deny_cidrs}. */
    public static final int MAX_CIDRS = 256;
    /** Most port forwards of one sandbox. */
    public static final int MAX_PORT_FORWARDS = 64;

    private static final int SHOWN = 64;

    private NetPolicyValidator() {}

    /** Every violation in {@code egress} and {@code forwards}, in field order; empty when both are valid. */
    public static List<String> violations(EgressPolicy egress, List<PortForward> forwards) {
        List<String> problems = new ArrayList<>();
        if (egress == null) {
            problems.add("egress: is required");
        } else {
            cidrs(problems, "egress.allow_cidrs", egress.allowCidrs());
            cidrs(problems, "egress.deny_cidrs", egress.denyCidrs());
        }
        if (forwards == null) {
            problems.add("port_forwards: is required (may be empty)");
            return problems;
        }
        if (forwards.size() > MAX_PORT_FORWARDS) {
            problems.add("port_forwards: at most " + MAX_PORT_FORWARDS + " entries, got " + forwards.size());
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < forwards.size(); i++) {
            String field = "port_forwards[" + i + "]";
            PortForward forward = forwards.get(i);
            if (forward == null) {
                problems.add(field + ": is required");
                continue;
            }
            boolean addressOk = hostAddress(problems, field + ".host_address", forward.hostAddress());
            boolean portOk = port(problems, field + ".host_port", forward.hostPort());
            port(problems, field + ".guest_port", forward.guestPort());
            if (addressOk && portOk) {
                String key = forward.hostAddress() + ":" + forward.hostPort();
                Integer first = seen.putIfAbsent(key, i);
                if (first != null) {
                    problems.add(field + ".host_port: " + key + " is already forwarded by port_forwards[" + first + "]");
                }
            }
        }
        return problems;
    }

    /**
     * Throws {@link ArcboxException.InvalidArgument} listing every violation unless both are valid.
     *
     * @param subject what is checked, for the message ({@code sandbox 1f3a9c0e})
     */
    public static void validate(String subject, EgressPolicy egress, List<PortForward> forwards) {
        List<String> problems = violations(egress, forwards);
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid network policy of " + subject + ": "
                    + String.join("; ", problems));
        }
    }

    /** A user-supplied value for a message: quoted, control characters escaped, long ones cut. */
    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("'");
        value.codePoints().limit(SHOWN).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        if (value.codePointCount(0, value.length()) > SHOWN) {
            sb.append("...");
        }
        return sb.append('\'').toString();
    }

    private static void cidrs(List<String> problems, String field, List<String> values) {
        if (values.size() > MAX_CIDRS) {
            problems.add(field + ": at most " + MAX_CIDRS + " entries, got " + values.size());
        }
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            Optional<Ipv4Cidr> cidr = Ipv4Cidr.parse(value);
            if (cidr.isEmpty()) {
                problems.add(field + "[" + i + "]: must be an IPv4 network a.b.c.d/n with n 0-32, got " + quote(value));
            } else if (!cidr.get().isNetwork()) {
                problems.add(field + "[" + i + "]: host bits must be zero, got " + quote(value) + " (the network is "
                        + cidr.get().networkText() + ")");
            }
        }
    }

    private static boolean hostAddress(List<String> problems, String field, String value) {
        OptionalInt parsed = Ipv4Cidr.parseAddress(value);
        if (parsed.isEmpty()) {
            problems.add(field + ": must be an IPv4 address a.b.c.d, got " + quote(value));
            return false;
        }
        int address = parsed.getAsInt();
        if (address == 0) {
            problems.add(field + ": must be one address of the host, not 0.0.0.0");
        } else if ((address >>> 24) == 127) {
            problems.add(field + ": loopback addresses cannot be forwarded to a sandbox, got " + quote(value));
        } else if ((address >>> 28) >= 0xe) {
            problems.add(field + ": must be a unicast address, got " + quote(value));
        } else {
            return true;
        }
        return false;
    }

    private static boolean port(List<String> problems, String field, int port) {
        if (port < 1 || port > 65535) {
            problems.add(field + ": must be 1-65535, got " + port);
            return false;
        }
        return true;
    }
}
