package dev.arcbox.core.config;

import java.util.OptionalInt;
import java.util.regex.Pattern;

/** Strict dotted-quad IPv4 parsing (no DNS, no shorthand forms), addresses as 32-bit ints. */
final class Ipv4 {

    private static final Pattern QUAD =
            Pattern.compile("(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");

    private Ipv4() {}

    /** The address {@code text} as an int, or empty when it is not a dotted quad. */
    static OptionalInt parse(String text) {
        var m = QUAD.matcher(text);
        if (!m.matches()) {
            return OptionalInt.empty();
        }
        int address = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return OptionalInt.empty();
            }
            address = (address << 8) | octet;
        }
        return OptionalInt.of(address);
    }

    /** The netmask of a prefix length 0-32. */
    static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }
}
