package dev.arcbox.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Converters for numeric options, so that a bad number is a usage error before anything is sent. */
final class Counts {

    private Counts() {}

    static long parse(String arg, long min, long max) {
        long value;
        try {
            value = Long.parseLong(arg);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + arg + "' is not a whole number");
        }
        if (value < min) {
            throw new TypeConversionException("must be at least " + min + ", got " + value);
        }
        if (value > max) {
            throw new TypeConversionException("must be at most " + max + ", got " + value);
        }
        return value;
    }

    /** An age: seconds, or a number with a unit s, m, h or d ({@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}). */
    static final class Age implements ITypeConverter<Long> {
        @Override
        public Long convert(String arg) {
            String a = arg.strip().toLowerCase(java.util.Locale.ROOT);
            long unit = switch (a.isEmpty() ? ' ' : a.charAt(a.length() - 1)) {
                case 's' -> 1;
                case 'm' -> 60;
                case 'h' -> 3600;
                case 'd' -> 86_400;
                default -> 0;
            };
            String number = unit == 0 ? a : a.substring(0, a.length() - 1);
            if (!number.matches("[0-9]{1,9}")) {
                throw new TypeConversionException("'" + arg + "' is not an age (like 90s, 30m, 24h, 7d or seconds)");
            }
            return Long.parseLong(number) * (unit == 0 ? 1 : unit);
        }
    }

    /** 1 or more: vCPUs, MiB. */
    static final class Positive implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String arg) {
            return (int) parse(arg, 1, Integer.MAX_VALUE);
        }
    }

    /** 0 or more: seconds, where 0 means the daemon's default or none. */
    static final class NonNegative implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String arg) {
            return (int) parse(arg, 0, Integer.MAX_VALUE);
        }
    }

    /** The most sandboxes one {@code snapshot restore --count} may fork. */
    static final int MAX_FORK = 64;

    /** How many sandboxes one restore makes: 1 to {@link #MAX_FORK}. */
    static final class Fork implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String arg) {
            return (int) parse(arg, 1, MAX_FORK);
        }
    }

    /** An event sequence number, 0 or more. */
    static final class Sequence implements ITypeConverter<Long> {
        @Override
        public Long convert(String arg) {
            return parse(arg, 0, Long.MAX_VALUE);
        }
    }
}
