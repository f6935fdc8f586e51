package dev.arcbox.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * SQL of the {@code events} table. {@code seq} is an AUTOINCREMENT key, so SQLite never hands out
 * a number twice, also after the newest events were trimmed.
 */
final class EventTable {

    private EventTable() {}

    static long append(Connection c, Instant at, String sandboxId, String sandboxUid, String action, String dataJson)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO events (at, sandbox_id, sandbox_uid, action, data_json) VALUES (?, ?, ?, ?, ?)")) {
            ps.setLong(1, at.toEpochMilli());
            ps.setString(2, sandboxId);
            ps.setString(3, sandboxUid);
            ps.setString(4, action);
            ps.setString(5, dataJson);
            ps.executeUpdate();
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT last_insert_rowid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static EventPage readFrom(Connection c, long fromSeq, int limit, EventFilter filter) throws SQLException {
        StringBuilder sql = new StringBuilder(
                "SELECT seq, at, sandbox_id, sandbox_uid, action, data_json FROM events WHERE seq >= ?");
        List<Object> args = new ArrayList<>();
        args.add(fromSeq);
        if (filter.sandboxId() != null) {
            sql.append(" AND sandbox_id = ?");
            args.add(filter.sandboxId());
        }
        if (filter.sandboxUid() != null) {
            sql.append(" AND sandbox_uid = ?");
            args.add(filter.sandboxUid());
        }
        if (!filter.actions().isEmpty()) {
            sql.append(" AND action IN (")
                    .append(String.join(", ", filter.actions().stream().map(a -> "?").toList())).append(')');
            args.addAll(filter.actions().stream().sorted().toList());
        }
        sql.append(" ORDER BY seq LIMIT ?");
        args.add(limit);
        List<EventRow> events = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            Columns.bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new EventRow(rs.getLong("seq"), Columns.instant(rs, "at"), rs.getString("sandbox_id"),
                            rs.getString("sandbox_uid"), rs.getString("action"), rs.getString("data_json")));
                }
            }
        }
        long next = events.size() == limit ? events.getLast().seq() + 1 : Math.max(fromSeq, lastSeq(c) + 1);
        return new EventPage(events, next, oldestSeq(c));
    }

    /** Keeps the newest {@code keepLast} events; returns how many were deleted. */
    static int trim(Connection c, int keepLast) throws SQLException {
        String sql = keepLast == 0 ? "DELETE FROM events"
                : "DELETE FROM events WHERE seq < (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (keepLast > 0) {
                ps.setInt(1, keepLast - 1);
            }
            return ps.executeUpdate();
        }
    }

    /** The oldest stored seq; when none is stored, the seq the next event will get. */
    static long oldestSeq(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT min(seq) FROM events")) {
            rs.next();
            long oldest = rs.getLong(1);
            return rs.wasNull() ? lastSeq(c) + 1 : oldest;
        }
    }

    /** The newest seq ever handed out (also if trimmed since), or 0. */
    static long lastSeq(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
