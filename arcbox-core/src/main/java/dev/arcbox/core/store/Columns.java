package dev.arcbox.core.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Map;

/** Column conversions shared by the tables: instants are epoch milliseconds, nullable where the schema says so. */
final class Columns {

    private Columns() {}

    static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setLong(index, value.toEpochMilli());
        }
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    /** Appends one {@code AND EXISTS (...)} per label to {@code where}, and the label to {@code args}. */
    static void labelConditions(StringBuilder where, java.util.List<Object> args, Map<String, String> labels) {
        labels.forEach((key, value) -> {
            where.append(" AND EXISTS (SELECT 1 FROM json_each(labels_json) WHERE key = ? AND value = ?)");
            args.add(key);
            args.add(value);
        });
    }

    static void bind(PreparedStatement ps, java.util.List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }
}
