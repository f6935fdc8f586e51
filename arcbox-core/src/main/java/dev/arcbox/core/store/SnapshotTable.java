package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL of the {@code snapshots} table. */
final class SnapshotTable {

    private static final String COLUMNS =
            "id, name, sandbox_uid, parent, manifest_json, size_bytes, labels_json, created_at, state";

    private SnapshotTable() {}

    static SnapshotRow insert(Connection c, NewSnapshot s, Instant now) throws SQLException {
        StoreJson.requireJson("snapshot " + s.id() + " manifest", s.manifestJson());
        if (find(c, s.id()).isPresent()) {
            throw new ArcboxException.AlreadyExists("snapshot " + s.id() + " already exists");
        }
        if (s.parent() != null && find(c, s.parent()).isEmpty()) {
            throw new ArcboxException.NotFound(
                    "parent snapshot " + s.parent() + " of snapshot " + s.id() + " not found");
        }
        if (s.sandboxUid() != null && SandboxTable.findByUid(c, s.sandboxUid()).isEmpty()) {
            throw new ArcboxException.NotFound(
                    "sandbox uid " + s.sandboxUid() + " of snapshot " + s.id() + " not found");
        }
        SnapshotRow row = new SnapshotRow(s.id(), s.name(), s.sandboxUid(), s.parent(), s.manifestJson(), s.sizeBytes(),
                s.labels(), now, SnapshotState.STAGED);
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO snapshots (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, row.id());
            ps.setString(2, row.name());
            ps.setString(3, row.sandboxUid());
            ps.setString(4, row.parent());
            ps.setString(5, row.manifestJson());
            ps.setLong(6, row.sizeBytes());
            ps.setString(7, StoreJson.labels(row.labels()));
            ps.setLong(8, now.toEpochMilli());
            ps.setString(9, row.state().dbName());
            ps.executeUpdate();
        }
        return row;
    }

    /** Marks a staged snapshot published with its final manifest and size. */
    static SnapshotRow publish(Connection c, String id, String manifestJson, long sizeBytes) throws SQLException {
        StoreJson.requireJson("snapshot " + id + " manifest", manifestJson);
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes: must be ≥ 0, got " + sizeBytes);
        }
        SnapshotRow row = find(c, id).orElseThrow(() -> new ArcboxException.NotFound("snapshot " + id + " not found"));
        if (row.state() != SnapshotState.STAGED) {
            throw new ArcboxException.FailedPrecondition("snapshot " + id + " is " + row.state().dbName()
                    + ", only a staged one can be published");
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE snapshots SET state = 'published', manifest_json = ?, size_bytes = ? WHERE id = ?")) {
            ps.setString(1, manifestJson);
            ps.setLong(2, sizeBytes);
            ps.setString(3, id);
            ps.executeUpdate();
        }
        return new SnapshotRow(id, row.name(), row.sandboxUid(), row.parent(), manifestJson, sizeBytes, row.labels(),
                row.createdAt(), SnapshotState.PUBLISHED);
    }

    /** Deletes the row; false when there was none. Refused while another snapshot names it as parent. */
    static boolean delete(Connection c, String id) throws SQLException {
        String children = "SELECT id FROM snapshots WHERE parent = ? ORDER BY id LIMIT 1";
        try (PreparedStatement ps = c.prepareStatement(children)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw new ArcboxException.FailedPrecondition("snapshot " + id + " is the parent of snapshot "
                            + rs.getString(1) + "; delete its children first");
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM snapshots WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    static Optional<SnapshotRow> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM snapshots WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    static List<SnapshotRow> list(Connection c, SnapshotFilter filter) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM snapshots WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (filter.name() != null) {
            sql.append(" AND name = ?");
            args.add(filter.name());
        }
        if (filter.sandboxUid() != null) {
            sql.append(" AND sandbox_uid = ?");
            args.add(filter.sandboxUid());
        }
        if (filter.state() != null) {
            sql.append(" AND state = ?");
            args.add(filter.state().dbName());
        }
        Columns.labelConditions(sql, args, filter.labels());
        sql.append(" ORDER BY created_at, id");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            Columns.bind(ps, args);
            List<SnapshotRow> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(read(rs));
                }
            }
            return rows;
        }
    }

    private static SnapshotRow read(ResultSet rs) throws SQLException {
        return new SnapshotRow(rs.getString("id"), rs.getString("name"), rs.getString("sandbox_uid"),
                rs.getString("parent"), rs.getString("manifest_json"), rs.getLong("size_bytes"),
                StoreJson.labels(rs.getString("labels_json")), Columns.instant(rs, "created_at"),
                SnapshotState.fromDb(rs.getString("state")));
    }
}
