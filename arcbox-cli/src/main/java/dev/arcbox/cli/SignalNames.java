package dev.arcbox.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Signal names of Linux x86-64 (as in the guest) and numbers 1..64, for {@code sandbox kill -s}. */
final class SignalNames {

    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("KILL", 9),
            Map.entry("USR1", 10), Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14),
            Map.entry("TERM", 15), Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20),
            Map.entry("WINCH", 28));

    private SignalNames() {}

    /** {@code TERM}, {@code SIGTERM}, {@code term} or {@code 15}. */
    static int parse(String arg) {
        String name = arg.toUpperCase(Locale.ROOT);
        name = name.startsWith("SIG") ? name.substring(3) : name;
        Integer known = NUMBERS.get(name);
        if (known != null) {
            return known;
        }
        return (int) Counts.parse(arg, 1, 64);
    }

    static final class Converter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String arg) {
            try {
                return parse(arg);
            } catch (TypeConversionException e) {
                throw new TypeConversionException("'" + arg + "' is neither a signal name (" 
                        + String.join(", ", new java.util.TreeSet<>(NUMBERS.keySet())) + ") nor a number 1..64");
            }
        }
    }
}
