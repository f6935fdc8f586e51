package dev.arcbox.cli;

import dev.arcbox.api.v1.PortForward;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * One {@code --publish} argument: {@code HOSTADDR:HOSTPORT:GUESTPORT}, or {@code HOSTPORT:GUESTPORT}
 * whose host address comes from {@code --publish-address}. An IPv6 host address is bracketed, as with docker.
 *
 * @param hostAddress the host address as given, or null when the argument named none
 */
record Publish(String hostAddress, int hostPort, int guestPort) {

    private static final Pattern PORT = Pattern.compile("[1-9][0-9]{0,4}");
    private static final int MAX_PORT = 65_535;

    /** Parses strictly: ports are 1 to 65535 in plain decimal; a given host address is not empty. */
    static Publish parse(String arg) {
        int last = arg.lastIndexOf(':');
        if (last < 0) {
            throw new IllegalArgumentException("'" + arg + "' is not [HOSTADDR:]HOSTPORT:GUESTPORT");
        }
        int guest = port(arg, arg.substring(last + 1), "guest");
        String rest = arg.substring(0, last);
        int previous = rest.lastIndexOf(':');
        if (previous < 0) {
            return new Publish(null, port(arg, rest, "host"), guest);
        }
        int host = port(arg, rest.substring(previous + 1), "host");
        String address = rest.substring(0, previous);
        boolean bracketed = address.length() > 2 && address.startsWith("[") && address.endsWith("]");
        if (bracketed) {
            address = address.substring(1, address.length() - 1);
        }
        if (address.isEmpty() || (!bracketed && address.contains(":")) || address.codePoints().anyMatch(c ->
                Character.isWhitespace(c) || Character.isISOControl(c) || c == '[' || c == ']')) {
            throw new IllegalArgumentException("'" + arg + "' has a bad host address");
        }
        return new Publish(address, host, guest);
    }

    private static int port(String arg, String s, String which) {
        if (!PORT.matcher(s).matches() || Integer.parseInt(s) > MAX_PORT) {
            throw new IllegalArgumentException("'" + arg + "' has a bad " + which + " port '" + s
                    + "': must be 1 to " + MAX_PORT);
        }
        return Integer.parseInt(s);
    }

    /** The forward, with {@code defaultAddress} where the argument named no host address. */
    PortForward toProto(String defaultAddress) {
        return PortForward.newBuilder()
                .setHostAddress(hostAddress == null ? defaultAddress : hostAddress)
                .setHostPort(hostPort)
                .setGuestPort(guestPort)
                .build();
    }

    /** {@code HOST:PORT}, an IPv6 host bracketed. */
    static String hostPort(PortForward f) {
        String host = f.getHostAddress().contains(":") ? "[" + f.getHostAddress() + "]" : f.getHostAddress();
        return host + ":" + f.getHostPort();
    }

    /** picocli's hook: a malformed argument becomes a usage error naming the option and the argument. */
    static final class Converter implements ITypeConverter<Publish> {
        @Override
        public Publish convert(String arg) {
            try {
                return parse(arg);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * {@code --allow-cidr}, {@code --deny-cidr}: only the shape {@code ADDRESS/BITS} is checked here,
     * BITS 0 to 128; the daemon checks the rest.
     */
    static final class Cidr implements ITypeConverter<String> {
        private static final Pattern SHAPE = Pattern.compile("[0-9A-Fa-f:.]+/(0|[1-9][0-9]{0,2})");

        @Override
        public String convert(String arg) {
            var m = SHAPE.matcher(arg);
            if (!m.matches() || Integer.parseInt(m.group(1)) > 128) {
                throw new TypeConversionException("'" + arg + "' is not a CIDR (ADDRESS/BITS)");
            }
            return arg;
        }
    }
}
