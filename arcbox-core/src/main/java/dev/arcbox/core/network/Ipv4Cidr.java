package dev.arcbox.core.network;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * An IPv4 address with a prefix length, parsed strictly (dotted quad, no leading zeros, prefix 0-32).
 * The address may carry host bits; {@link #isNetwork()} says whether it does not.
 */
record Ipv4Cidr(int address, int prefix) {

    private static final Pattern QUAD =
            Pattern.compile("(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");
    private static final Pattern PREFIX = Pattern.compile("0|[1-9][0-9]?");

    /** {@code text} as {@code a.b.c.d/n}, or empty when it is not one. */
    static Optional<Ipv4Cidr> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        int slash = text.indexOf('/');
        if (slash < 0 || !PREFIX.matcher(text.substring(slash + 1)).matches()) {
            return Optional.empty();
        }
        int prefix = Integer.parseInt(text.substring(slash + 1));
        OptionalInt address = parseAddress(text.substring(0, slash));
        if (prefix > 32 || address.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Ipv4Cidr(address.getAsInt(), prefix));
    }

    /** A dotted quad as an int, or empty when {@code text} is not one. */
    static OptionalInt parseAddress(String text) {
        if (text == null) {
            return OptionalInt.empty();
        }
        var m = QUAD.matcher(text);
        if (!m.matches()) {
            return OptionalInt.empty();
        }
        int value = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return OptionalInt.empty();
            }
            value = (value << 8) | octet;
        }
        return OptionalInt.of(value);
    }

    static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                + (address & 0xff);
    }

    int mask() {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    int network() {
        return address & mask();
    }

    int broadcast() {
        return network() | ~mask();
    }

    boolean isNetwork() {
        return address == network();
    }

    boolean contains(int ip) {
        return (ip & mask()) == network();
    }

    /** The network in {@code a.b.c.d/n} form. */
    String networkText() {
        return format(network()) + "/" + prefix;
    }
}
