package dev.arcbox.core.spec;

import java.util.ArrayList;
import java.util.List;

/** Violations collected by field path, in the order found. */
final class Violations {

    private static final int SHOWN = 64;
    private final List<String> list = new ArrayList<>();

    void add(String field, String message) {
        list.add(field + ": " + message);
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    int size() {
        return list.size();
    }

    List<String> list() {
        return List.copyOf(list);
    }

    /** A user-supplied value for a message: quoted, control characters escaped, long ones cut. */
    static String quote(String value) {
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
}
