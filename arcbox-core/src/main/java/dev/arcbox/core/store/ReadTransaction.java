package dev.arcbox.core.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads inside one transaction: everything read through one instance comes from the same
 * consistent snapshot of the database. Valid only inside the {@link Store#read} (or
 * {@link Store#write}) callback that received it, and only on that callback's thread.
 */
public sealed class ReadTransaction permits Transaction {

    final Connection conn;
    final Clock clock;
    private final Path db;
    private final Duration busyTimeout;
    private boolean open = true;

    ReadTransaction(Connection conn, Clock clock, Path db, Duration busyTimeout) {
        this.conn = conn;
        this.clock = clock;
        this.db = db;
        this.busyTimeout = busyTimeout;
    }

    public Optional<SandboxRow> findSandboxByUid(String uid) {
        return sql("reading sandbox uid " + uid, () -> SandboxTable.findByUid(conn, uid));
    }

    public Optional<SandboxRow> findSandboxById(String id) {
        return sql("reading sandbox " + id, () -> SandboxTable.findById(conn, id));
    }

    /** Matching sandboxes, oldest first. */
    public List<SandboxRow> listSandboxes(SandboxFilter filter) {
        return sql("listing sandboxes", () -> SandboxTable.list(conn, filter));
    }

    public Optional<LeaseRow> leaseOf(String sandboxUid) {
        return sql("reading the lease of sandbox uid " + sandboxUid, () -> LeaseTable.leaseOf(conn, sandboxUid));
    }

    /** Every lease, by address. */
    public List<LeaseRow> listLeases() {
        return sql("listing leases", () -> LeaseTable.list(conn));
    }

    /**
     * Up to {@code limit} matching events with {@code seq ≥ fromSeq}, with the page's continuation
     * and the oldest stored seq, all from one snapshot.
     */
    public EventPage readEventsFrom(long fromSeq, int limit, EventFilter filter) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: must be ≥ 1, got " + limit);
        }
        return sql("reading events from " + fromSeq, () -> EventTable.readFrom(conn, fromSeq, limit, filter));
    }

    /** The oldest stored event's seq; when none is stored, the seq the next event will get. */
    public long oldestEventSeq() {
        return sql("reading the oldest event", () -> EventTable.oldestSeq(conn));
    }

    /** The newest seq handed out so far (also if trimmed since), or 0. */
    public long lastEventSeq() {
        return sql("reading the newest event", () -> EventTable.lastSeq(conn));
    }

    public Optional<SnapshotRow> findSnapshot(String id) {
        return sql("reading snapshot " + id, () -> SnapshotTable.find(conn, id));
    }

    /** Matching snapshots, oldest first. */
    public List<SnapshotRow> listSnapshots(SnapshotFilter filter) {
        return sql("listing snapshots", () -> SnapshotTable.list(conn, filter));
    }

    Optional<OperationRow> findOperation(String opId) {
        return sql("reading operation " + opId, () -> OperationTable.find(conn, opId));
    }

    List<OperationRow> operationsWithStatus(OperationStatus status) {
        return sql("listing " + status.dbName() + " operations", () -> OperationTable.withStatus(conn, status));
    }

    interface SqlWork<T> {
        T run() throws SQLException;
    }

    final <T> T sql(String action, SqlWork<T> work) {
        if (!open) {
            throw new IllegalStateException("store transaction used after its callback returned");
        }
        try {
            return work.run();
        } catch (SQLException e) {
            throw SqlErrors.map(e, action, db, busyTimeout);
        }
    }

    final void end() {
        open = false;
    }
}
