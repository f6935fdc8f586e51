package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * SQL of the {@code leases} table. The lowest free address is chosen under the writer lock; the
 * primary key on {@code ip} and the unique {@code sandbox_uid} would reject a duplicate regardless.
 */
final class LeaseTable {

    private LeaseTable() {}

    /** The sandbox's lease in {@code pool}: the one it holds already, or the lowest free address. */
    static LeaseRow lease(Connection c, String uid, Ipv4Pool pool, Instant now) throws SQLException {
        Optional<LeaseRow> held = leaseOf(c, uid);
        if (held.isPresent()) {
            if (!pool.contains(held.get().ip())) {
                throw new ArcboxException.FailedPrecondition("sandbox uid " + uid + " holds lease " + held.get().ip()
                        + " outside pool " + pool.cidr());
            }
            return held.get();
        }
        if (SandboxTable.findByUid(c, uid).isEmpty()) {
            throw new ArcboxException.NotFound("sandbox uid " + uid + " not found; cannot lease an address for it");
        }
        Set<Integer> taken = new HashSet<>();
        for (LeaseRow lease : list(c)) {
            taken.add(Ipv4Pool.parse(lease.ip()));
        }
        int network = pool.network();
        int broadcast = pool.broadcast();
        for (int ip = network + 1; Integer.compareUnsigned(ip, broadcast) < 0; ip++) {
            if (pool.isLeasable(ip) && !taken.contains(ip)) {
                LeaseRow lease = new LeaseRow(Ipv4Pool.format(ip), uid, LeaseRow.macFor(ip), now);
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO leases (ip, sandbox_uid, mac, created_at) VALUES (?, ?, ?, ?)")) {
                    ps.setString(1, lease.ip());
                    ps.setString(2, uid);
                    ps.setString(3, lease.mac());
                    ps.setLong(4, now.toEpochMilli());
                    ps.executeUpdate();
                }
                return lease;
            }
        }
        throw new ArcboxException.ResourceExhausted("ip pool " + pool.cidr() + " is exhausted: all "
                + pool.capacity() + " addresses are leased");
    }

    /** Removes the sandbox's lease; returns it, or empty when it held none. */
    static Optional<LeaseRow> release(Connection c, String uid) throws SQLException {
        Optional<LeaseRow> held = leaseOf(c, uid);
        if (held.isPresent()) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM leases WHERE sandbox_uid = ?")) {
                ps.setString(1, uid);
                ps.executeUpdate();
            }
        }
        return held;
    }

    static Optional<LeaseRow> leaseOf(Connection c, String uid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT ip, sandbox_uid, mac, created_at FROM leases WHERE sandbox_uid = ?")) {
            ps.setString(1, uid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    static List<LeaseRow> list(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ip, sandbox_uid, mac, created_at FROM leases");
                ResultSet rs = ps.executeQuery()) {
            List<LeaseRow> leases = new ArrayList<>();
            while (rs.next()) {
                leases.add(read(rs));
            }
            leases.sort((a, b) -> Integer.compareUnsigned(Ipv4Pool.parse(a.ip()), Ipv4Pool.parse(b.ip())));
            return leases;
        }
    }

    private static LeaseRow read(ResultSet rs) throws SQLException {
        return new LeaseRow(rs.getString("ip"), rs.getString("sandbox_uid"), rs.getString("mac"),
                Columns.instant(rs, "created_at"));
    }
}
