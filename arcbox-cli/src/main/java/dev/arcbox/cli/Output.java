package dev.arcbox.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Renders results on standard output: aligned tables, {@code key: value} lines, or JSON. */
final class Output {

    /** What {@code -o} selects. */
    enum Format { TABLE, JSON }

    /** A {@code key: value} line. */
    record Field(String key, String value) {}

    static final String NONE = "-";

    private static final String[] BINARY_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    /** Proto field names (snake_case) and every field, set or not, so scripts see a fixed shape. */
    private static final JsonFormat.Printer JSON =
            JsonFormat.printer().preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence();

    private final PrintStream out;
    private final Clock clock;

    Output(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    void json(MessageOrBuilder message) {
        try {
            out.println(JSON.print(message));
        } catch (InvalidProtocolBufferException e) {
            // only thrown for Any fields whose type is unknown; the API has none
            throw new IllegalStateException("printing " + message.getDescriptorForType().getFullName(), e);
        }
    }

    /** A JSON array of messages, each as {@link #json(MessageOrBuilder)} prints it; {@code []} when empty. */
    void jsonArray(List<? extends MessageOrBuilder> messages) {
        List<String> items = new ArrayList<>(messages.size());
        for (MessageOrBuilder m : messages) {
            try {
                items.add(JSON.print(m).indent(2).stripTrailing());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("printing " + m.getDescriptorForType().getFullName(), e);
            }
        }
        out.println(items.isEmpty() ? "[]" : "[\n" + String.join(",\n", items) + "\n]");
    }

    /** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
    void table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>(rows.size() + 1);
        all.add(header);
        all.addAll(rows);
        int[] widths = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                boolean last = i == row.size() - 1;
                line.append(last ? row.get(i) : pad(row.get(i), widths[i] + 2));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** {@code key: value} lines, the values aligned. */
    void fields(List<Field> fields) {
        int width = fields.stream().mapToInt(f -> f.key().length()).max().orElse(0) + 2;
        fields.forEach(f -> out.println(pad(f.key() + ":", width) + f.value()));
    }

    void line(String text) {
        out.println(text);
    }

    void flush() {
        out.flush();
    }

    /** Age of a Unix-seconds time: {@code 42s}, {@code 5m}, {@code 3h}, {@code 12d}; 0 is unset. */
    String age(long epochSeconds) {
        if (epochSeconds == 0) {
            return NONE;
        }
        return span(Duration.between(Instant.ofEpochSecond(epochSeconds), clock.instant()));
    }

    /** {@code 2026-11-27T09:00:00Z (5m ago)} or {@code (in 5m)}; 0 is unset. */
    String when(long epochSeconds) {
        if (epochSeconds == 0) {
            return NONE;
        }
        Instant at = Instant.ofEpochSecond(epochSeconds);
        Duration ago = Duration.between(at, clock.instant());
        return at + (ago.isNegative() ? " (in " + span(ago.negated()) + ")" : " (" + span(ago) + " ago)");
    }

    /** {@link #age(long)} of an RFC 3339 time; empty or unreadable is {@link #NONE}. */
    String age(String rfc3339) {
        Instant at = instant(rfc3339);
        return at == null ? NONE : span(Duration.between(at, clock.instant()));
    }

    /** {@link #when(long)} of an RFC 3339 time, shown as sent; empty is {@link #NONE}, unreadable as sent. */
    String when(String rfc3339) {
        Instant at = instant(rfc3339);
        if (at == null) {
            return orNone(rfc3339);
        }
        Duration ago = Duration.between(at, clock.instant());
        return rfc3339 + (ago.isNegative() ? " (in " + span(ago.negated()) + ")" : " (" + span(ago) + " ago)");
    }

    private static Instant instant(String rfc3339) {
        if (rfc3339 == null || rfc3339.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(rfc3339).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * An unsigned byte count in binary units with one decimal: {@code 512 B}, {@code 1.5 KiB},
     * {@code 12.3 MiB}.
     */
    static String bytes(long unsigned) {
        if (unsigned >= 0 && unsigned < 1024) {
            return unsigned + " B";
        }
        double value = unsigned >= 0 ? unsigned : (unsigned >>> 1) * 2.0;
        int unit = 0;
        // 1023.95 and more would round to "1024.0": the next unit reads better
        while (unit < BINARY_UNITS.length - 1 && value >= 1023.95) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, BINARY_UNITS[unit]);
    }

    static String span(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        return s < 48 * 3600 ? s / 3600 + "h" : s / 86400 + "d";
    }

    /** {@code k=v,k2=v2} sorted by key, or {@link #NONE}. */
    static String pairs(Map<String, ?> map) {
        return map.isEmpty() ? NONE : pairs(map, ",");
    }

    /** {@code k=v} sorted by key, joined by {@code separator}. */
    static String pairs(Map<String, ?> map, String separator) {
        return new TreeMap<>(map).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(separator));
    }

    static String orNone(String s) {
        return s == null || s.isEmpty() ? NONE : s;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
