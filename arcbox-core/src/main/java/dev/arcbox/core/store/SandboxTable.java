package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** SQL of the {@code sandboxes} table. Called inside a transaction; writes only on the writer connection. */
final class SandboxTable {

    private static final String COLUMNS = "uid, id, spec_json, state, generation, reason, labels_json, created_at, "
            + "updated_at, ttl_deadline, idle_deadline, vm_json, resources_json";

    private SandboxTable() {}

    static SandboxRow insert(Connection c, NewSandbox s, Instant now) throws SQLException {
        StoreJson.requireJson("sandbox " + s.id() + " spec", s.specJson());
        if (findById(c, s.id()).isPresent()) {
            throw new ArcboxException.AlreadyExists("sandbox " + s.id() + " already exists");
        }
        if (findByUid(c, s.uid()).isPresent()) {
            throw new ArcboxException.AlreadyExists("sandbox uid " + s.uid() + " is taken; pick another");
        }
        SandboxRow row = new SandboxRow(s.uid(), s.id(), s.specJson(), s.state(), 1, null, s.labels(), now, now,
                s.ttlDeadline(), s.idleDeadline(), null, s.resources());
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sandboxes (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, row.uid());
            ps.setString(2, row.id());
            bindMutable(ps, 3, row);
            ps.executeUpdate();
        }
        return row;
    }

    static SandboxRow update(Connection c, String uid, long expectedGeneration, UnaryOperator<SandboxRow> mutator,
            Instant now) throws SQLException {
        SandboxRow current = findByUid(c, uid)
                .orElseThrow(() -> new ArcboxException.NotFound("sandbox uid " + uid + " not found"));
        if (current.generation() != expectedGeneration) {
            throw new ArcboxException.FailedPrecondition("sandbox " + current.id() + " (uid " + uid
                    + ") changed concurrently: expected generation " + expectedGeneration + ", found "
                    + current.generation());
        }
        SandboxRow changed = Objects.requireNonNull(mutator.apply(current), "mutator returned null");
        if (!changed.uid().equals(current.uid()) || !changed.id().equals(current.id())
                || changed.generation() != current.generation() || !changed.createdAt().equals(current.createdAt())) {
            throw new IllegalArgumentException("mutator of sandbox " + current.id()
                    + " changed uid, id, generation or createdAt; those are the store's");
        }
        StoreJson.requireJson("sandbox " + current.id() + " spec", changed.specJson());
        SandboxRow next = new SandboxRow(uid, current.id(), changed.specJson(), changed.state(),
                current.generation() + 1, changed.reason(), changed.labels(), current.createdAt(), now,
                changed.ttlDeadline(), changed.idleDeadline(), changed.vm(), changed.resources());
        try (PreparedStatement ps = c.prepareStatement("UPDATE sandboxes SET spec_json = ?, state = ?, generation = ?, "
                + "reason = ?, labels_json = ?, created_at = ?, updated_at = ?, ttl_deadline = ?, idle_deadline = ?, "
                + "vm_json = ?, resources_json = ? WHERE uid = ? AND generation = ?")) {
            int i = bindMutable(ps, 1, next);
            ps.setString(i, uid);
            ps.setLong(i + 1, expectedGeneration);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("sandbox uid " + uid + " changed under the writer lock");
            }
        }
        return next;
    }

    /** Deletes the row; false when there was none. Refused while the sandbox holds a lease. */
    static boolean delete(Connection c, String uid) throws SQLException {
        Optional<LeaseRow> lease = LeaseTable.leaseOf(c, uid);
        if (lease.isPresent()) {
            throw new ArcboxException.FailedPrecondition("sandbox uid " + uid + " still holds lease "
                    + lease.get().ip() + "; release it (after its TAP is gone) before removing the sandbox");
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM sandboxes WHERE uid = ?")) {
            ps.setString(1, uid);
            return ps.executeUpdate() == 1;
        }
    }

    static Optional<SandboxRow> findByUid(Connection c, String uid) throws SQLException {
        return findOne(c, "uid", uid);
    }

    static Optional<SandboxRow> findById(Connection c, String id) throws SQLException {
        return findOne(c, "id", id);
    }

    static List<SandboxRow> list(Connection c, SandboxFilter filter) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM sandboxes WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (!filter.states().isEmpty()) {
            sql.append(" AND state IN (").append(String.join(", ", filter.states().stream().map(s -> "?").toList()))
                    .append(')');
            args.addAll(filter.states().stream().sorted().toList());
        }
        Columns.labelConditions(sql, args, filter.labels());
        sql.append(" ORDER BY created_at, uid");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            Columns.bind(ps, args);
            List<SandboxRow> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(read(rs));
                }
            }
            return rows;
        }
    }

    private static Optional<SandboxRow> findOne(Connection c, String column, String value) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM sandboxes WHERE " + column + " = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    /** Binds spec_json .. resources_json (11 columns) from {@code index}; returns the next index. */
    private static int bindMutable(PreparedStatement ps, int index, SandboxRow r) throws SQLException {
        ps.setString(index, r.specJson());
        ps.setString(index + 1, r.state());
        ps.setLong(index + 2, r.generation());
        ps.setString(index + 3, r.reason());
        ps.setString(index + 4, StoreJson.labels(r.labels()));
        Columns.setInstant(ps, index + 5, r.createdAt());
        Columns.setInstant(ps, index + 6, r.updatedAt());
        Columns.setInstant(ps, index + 7, r.ttlDeadline());
        Columns.setInstant(ps, index + 8, r.idleDeadline());
        ps.setString(index + 9, StoreJson.vm(r.vm()));
        ps.setString(index + 10, StoreJson.resources(r.resources()));
        return index + 11;
    }

    private static SandboxRow read(ResultSet rs) throws SQLException {
        return new SandboxRow(rs.getString("uid"), rs.getString("id"), rs.getString("spec_json"),
                rs.getString("state"), rs.getLong("generation"), rs.getString("reason"),
                StoreJson.labels(rs.getString("labels_json")), Columns.instant(rs, "created_at"),
                Columns.instant(rs, "updated_at"), Columns.instant(rs, "ttl_deadline"),
                Columns.instant(rs, "idle_deadline"), StoreJson.vm(rs.getString("vm_json")),
                StoreJson.resources(rs.getString("resources_json")));
    }
}
