package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;

/**
 * An IPv4 address pool: a CIDR block and the gateway inside it. The network address, the broadcast
 * address and the gateway are never leased. Prefixes from /8 to /30 are accepted.
 *
 * @param cidr the block, e.g. {@code 172.30.0.0/24}; host bits must be zero
 * @param gateway the host's address in the block, e.g. {@code 172.30.0.1}
 */
public record Ipv4Pool(String cidr, String gateway) {

    public Ipv4Pool {
        if (cidr == null || gateway == null) {
            throw new ArcboxException.InvalidArgument("ip pool: cidr and gateway are required, got "
                    + cidr + " and " + gateway);
        }
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new ArcboxException.InvalidArgument("ip pool cidr: must look like a.b.c.d/n, got " + cidr);
        }
        int prefix = parsePrefix(cidr, cidr.substring(slash + 1));
        int base = parse(cidr.substring(0, slash));
        if ((base & ~mask(prefix)) != 0) {
            throw new ArcboxException.InvalidArgument("ip pool cidr: host bits must be zero, got " + cidr
                    + " (network is " + format(base & mask(prefix)) + "/" + prefix + ")");
        }
        int gw = parse(gateway);
        if ((gw & mask(prefix)) != base) {
            throw new ArcboxException.InvalidArgument("ip pool gateway: " + gateway + " is outside " + cidr);
        }
        if (gw == base || gw == (base | ~mask(prefix))) {
            throw new ArcboxException.InvalidArgument("ip pool gateway: " + gateway
                    + " is the network or broadcast address of " + cidr);
        }
    }

    public int prefixLength() {
        return Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
    }

    /** The network address as an unsigned 32-bit value in an int. */
    public int network() {
        return parse(cidr.substring(0, cidr.indexOf('/')));
    }

    public int broadcast() {
        return network() | ~mask(prefixLength());
    }

    public int gatewayAddress() {
        return parse(gateway);
    }

    /** How many addresses can be leased: the block minus network, broadcast and gateway. */
    public int capacity() {
        return (1 << (32 - prefixLength())) - 3;
    }

    /** Whether {@code ip} is an address that this pool could lease. */
    public boolean isLeasable(int ip) {
        return (ip & mask(prefixLength())) == network() && ip != network() && ip != broadcast()
                && ip != gatewayAddress();
    }

    public boolean contains(String ip) {
        return (parse(ip) & mask(prefixLength())) == network();
    }

    /** Parses a dotted quad; throws {@link ArcboxException.InvalidArgument} naming the value. */
    public static int parse(String ip) {
        String[] parts = ip.split("\\.", -1);
        if (parts.length != 4) {
            throw new ArcboxException.InvalidArgument("ipv4 address: must be a dotted quad, got " + ip);
        }
        int value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                throw new ArcboxException.InvalidArgument("ipv4 address: must be a dotted quad, got " + ip);
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new ArcboxException.InvalidArgument("ipv4 address: octet " + octet + " > 255 in " + ip);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(int ip) {
        return ((ip >>> 24) & 0xff) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    private static int parsePrefix(String cidr, String text) {
        int prefix;
        try {
            prefix = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ArcboxException.InvalidArgument("ip pool cidr: bad prefix length in " + cidr);
        }
        if (prefix < 8 || prefix > 30) {
            throw new ArcboxException.InvalidArgument("ip pool cidr: prefix must be between /8 and /30, got " + cidr);
        }
        return prefix;
    }
}
