package dev.arcbox.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** One {@code K=V} argument of {@code --label} or {@code --env}. */
record KeyValue(String key, String value) {

    /**
     * Parses {@code K=V} strictly: the key is everything before the first {@code '='}, must not be
     * empty and must not contain white space; the value may be empty and may contain {@code '='}.
     */
    static KeyValue parse(String arg) {
        int eq = arg.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("'" + arg + "' is not K=V: no '='");
        }
        String key = arg.substring(0, eq);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("'" + arg + "' is not K=V: empty key");
        }
        if (key.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("'" + arg + "' is not K=V: white space in the key");
        }
        return new KeyValue(key, arg.substring(eq + 1));
    }

    /** In order; a later value for the same key replaces an earlier one. Null reads as none. */
    static Map<String, String> toMap(List<KeyValue> pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        if (pairs != null) {
            pairs.forEach(p -> map.put(p.key, p.value));
        }
        return map;
    }

    /** picocli's hook: a malformed argument becomes a usage error naming the option and the argument. */
    static final class Converter implements ITypeConverter<KeyValue> {
        @Override
        public KeyValue convert(String arg) {
            try {
                return parse(arg);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
