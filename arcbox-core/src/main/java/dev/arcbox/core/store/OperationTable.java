package dev.arcbox.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL of the {@code operations} table (the journal's). */
final class OperationTable {

    private static final String COLUMNS =
            "op_id, kind, subject_uid, status, steps_json, reason, created_at, updated_at, crash_point";

    private OperationTable() {}

    static void insert(Connection c, OperationRow op) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO operations (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, op.opId());
            ps.setString(2, op.kind());
            ps.setString(3, op.subjectUid());
            ps.setString(4, op.status().dbName());
            ps.setString(5, StoreJson.steps(op.steps()));
            ps.setString(6, op.reason());
            ps.setLong(7, op.createdAt().toEpochMilli());
            ps.setLong(8, op.updatedAt().toEpochMilli());
            ps.setString(9, op.crashPoint());
            ps.executeUpdate();
        }
    }

    /** Writes status, steps, reason, crash point and updated_at; false when the row is gone. */
    static boolean update(Connection c, OperationRow op) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE operations SET status = ?, steps_json = ?, reason = ?, "
                + "updated_at = ?, crash_point = ? WHERE op_id = ?")) {
            ps.setString(1, op.status().dbName());
            ps.setString(2, StoreJson.steps(op.steps()));
            ps.setString(3, op.reason());
            ps.setLong(4, op.updatedAt().toEpochMilli());
            ps.setString(5, op.crashPoint());
            ps.setString(6, op.opId());
            return ps.executeUpdate() == 1;
        }
    }

    static Optional<OperationRow> find(Connection c, String opId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM operations WHERE op_id = ?")) {
            ps.setString(1, opId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    static List<OperationRow> withStatus(Connection c, OperationStatus status) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT " + COLUMNS + " FROM operations WHERE status = ? ORDER BY created_at, op_id")) {
            ps.setString(1, status.dbName());
            List<OperationRow> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(read(rs));
                }
            }
            return rows;
        }
    }

    /** Deletes finished operations last written before {@code before}; returns how many. */
    static int purgeFinished(Connection c, Instant before) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM operations WHERE status <> 'running' AND updated_at < ?")) {
            ps.setLong(1, before.toEpochMilli());
            return ps.executeUpdate();
        }
    }

    private static OperationRow read(ResultSet rs) throws SQLException {
        return new OperationRow(rs.getString("op_id"), rs.getString("kind"), rs.getString("subject_uid"),
                OperationStatus.fromDb(rs.getString("status")), StoreJson.steps(rs.getString("steps_json")),
                rs.getString("reason"), rs.getString("crash_point"), Columns.instant(rs, "created_at"),
                Columns.instant(rs, "updated_at"));
    }
}
