package dev.arcbox.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A strict, typed view of one TOML table. Every read is checked; a problem is added to the shared
 * violation list under the value's full key path and the read returns a placeholder ({@code null},
 * empty, or the given default), so reading goes on and all problems are found in one pass.
 * {@link #finish} reports every key that no read asked for as unknown.
 */
final class TomlTable {

    private final ObjectNode node;
    private final String path;
    private final List<String> violations;
    private final Set<String> known = new HashSet<>();

    TomlTable(ObjectNode node, String path, List<String> violations) {
        this.node = node;
        this.path = path;
        this.violations = violations;
    }

    /** The full key path of {@code name} in this table. */
    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean has(String name) {
        return node.has(name);
    }

    /** Whether {@code name} is present and not the empty string (which means unset). */
    boolean isSet(String name) {
        JsonNode value = node.get(name);
        return value != null && !(value.isTextual() && value.asText().isEmpty());
    }

    void violation(String name, String message) {
        violations.add(key(name) + ": " + message);
    }

    /** A sub-table; empty when absent (a violation when {@code required}) or not a table. */
    Optional<TomlTable> table(String name, boolean required) {
        JsonNode value = value(name);
        if (value == null) {
            if (required) {
                violation(name, "required");
            }
            return Optional.empty();
        }
        if (!value.isObject()) {
            violation(name, "expected a table, got " + typeOf(value));
            return Optional.empty();
        }
        return Optional.of(new TomlTable((ObjectNode) value, key(name), violations));
    }

    /** A required string, or null. */
    String string(String name) {
        return optionalString(name, true).orElse(null);
    }

    /** An optional string. */
    Optional<String> optionalString(String name) {
        return optionalString(name, false);
    }

    private Optional<String> optionalString(String name, boolean required) {
        JsonNode value = present(name, required);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            violation(name, "expected a string, got " + typeOf(value));
            return Optional.empty();
        }
        if (value.asText().indexOf('\0') >= 0) {
            violation(name, "must not contain a nul character");
            return Optional.empty();
        }
        return Optional.of(value.asText());
    }

    /** A required integer in {@code min..max}, or null. */
    Long integer(String name, long min, long max) {
        OptionalLong value = optionalInteger(name, min, max, true);
        return value.isPresent() ? value.getAsLong() : null;
    }

    /** An optional integer in {@code min..max}. */
    OptionalLong optionalInteger(String name, long min, long max) {
        return optionalInteger(name, min, max, false);
    }

    private OptionalLong optionalInteger(String name, long min, long max, boolean required) {
        JsonNode value = present(name, required);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (!value.isIntegralNumber()) {
            violation(name, "expected an integer, got " + typeOf(value));
            return OptionalLong.empty();
        }
        if (!value.canConvertToLong() || value.asLong() < min || value.asLong() > max) {
            violation(name, "must be " + min + "-" + max + ", got " + value.asText());
            return OptionalLong.empty();
        }
        return OptionalLong.of(value.asLong());
    }

    /** A boolean, {@code fallback} when absent or invalid. */
    boolean bool(String name, boolean fallback) {
        JsonNode value = present(name, false);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            violation(name, "expected a boolean, got " + typeOf(value));
            return fallback;
        }
        return value.asBoolean();
    }

    /**
     * An array of strings (empty when absent and not required); an invalid element is reported and
     * kept as null, so indices stay those of the file.
     */
    List<String> strings(String name, boolean required) {
        List<String> result = new ArrayList<>();
        JsonNode array = array(name, required);
        for (int i = 0; array != null && i < array.size(); i++) {
            result.add(element(name, i, array.get(i)));
        }
        return result;
    }

    /** A required absolute path, or null. */
    Path path(String name) {
        String value = string(name);
        return value == null ? null : absolute(name, value);
    }

    /** An optional absolute path; with {@code emptyIsUnset}, {@code ""} means unset. */
    Optional<Path> optionalPath(String name, boolean emptyIsUnset) {
        Optional<String> value = optionalString(name);
        if (value.isEmpty() || (emptyIsUnset && value.get().isEmpty())) {
            return Optional.empty();
        }
        return Optional.ofNullable(absolute(name, value.get()));
    }

    /** Absolute paths from an array of strings; an invalid element is reported and kept as null. */
    List<Path> paths(String name, boolean required) {
        List<Path> result = new ArrayList<>();
        JsonNode array = array(name, required);
        for (int i = 0; array != null && i < array.size(); i++) {
            String element = element(name, i, array.get(i));
            result.add(element == null ? null : absolute(name + "[" + i + "]", element));
        }
        return result;
    }

    /** A required choice among {@code values} by lower-case name, or null. */
    <E extends Enum<E>> E choice(String name, E[] values) {
        String value = string(name);
        if (value == null) {
            return null;
        }
        List<String> tokens = new ArrayList<>();
        for (E e : values) {
            String token = e.name().toLowerCase(Locale.ROOT);
            if (token.equals(value)) {
                return e;
            }
            tokens.add(token);
        }
        violation(name, "must be one of " + String.join(", ", tokens) + ", got '" + value + "'");
        return null;
    }

    /** Reports every key of this table that was never read. */
    void finish() {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                violation(name, "unknown key");
            }
        }
    }

    private Path absolute(String name, String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            violation(name, "not a valid path: '" + value + "'");
            return null;
        }
        if (!path.isAbsolute()) {
            violation(name, "must be an absolute path, got '" + value + "'");
            return null;
        }
        for (Path part : path) {
            if (part.toString().equals("..")) {
                violation(name, "must not contain '..', got '" + value + "'");
                return null;
            }
        }
        return path;
    }

    private JsonNode array(String name, boolean required) {
        JsonNode value = present(name, required);
        if (value != null && !value.isArray()) {
            violation(name, "expected an array of strings, got " + typeOf(value));
            return null;
        }
        return value;
    }

    private String element(String name, int index, JsonNode element) {
        String key = name + "[" + index + "]";
        if (!element.isTextual()) {
            violation(key, "expected a string, got " + typeOf(element));
            return null;
        }
        if (element.asText().indexOf('\0') >= 0) {
            violation(key, "must not contain a nul character");
            return null;
        }
        return element.asText();
    }

    private JsonNode value(String name) {
        known.add(name);
        return node.get(name);
    }

    private JsonNode present(String name, boolean required) {
        JsonNode value = value(name);
        if (value == null && required) {
            violation(name, "required");
        }
        return value;
    }

    private static String typeOf(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> value.isIntegralNumber() ? "an integer" : "a float";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "a table";
            case NULL, MISSING, BINARY, POJO -> value.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }
}
