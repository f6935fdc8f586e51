package dev.arcbox.cli;

import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The values of {@code --network}: for completion, and checked before anything is sent. */
final class Networks implements Iterable<String>, ITypeConverter<String> {

    static final List<String> MODES = List.of("tap", "none");

    @Override
    public Iterator<String> iterator() {
        return MODES.iterator();
    }

    @Override
    public String convert(String arg) {
        if (!MODES.contains(arg)) {
            throw new TypeConversionException("'" + arg + "' is not one of " + String.join(", ", MODES));
        }
        return arg;
    }
}
