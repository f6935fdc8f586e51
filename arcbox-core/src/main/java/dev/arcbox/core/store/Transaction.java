package dev.arcbox.core.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Writes (and reads) inside one SQLite write transaction: everything done through one instance
 * commits together, with one WAL fsync, or not at all — so the writes of one state transition
 * (the row, its event, the journal step) belong in one {@link Store#write} callback. Valid only
 * inside that callback and on its thread.
 */
public final class Transaction extends ReadTransaction {

    Transaction(Connection conn, Clock clock, Path db, Duration busyTimeout) {
        super(conn, clock, db, busyTimeout);
    }

    /**
     * Records a new sandbox at generation 1.
     *
     * @throws dev.arcbox.core.ArcboxException.AlreadyExists if its id or uid is taken
     */
    public SandboxRow insertSandbox(NewSandbox sandbox) {
        Objects.requireNonNull(sandbox, "sandbox");
        return sql("inserting sandbox " + sandbox.id(), () -> SandboxTable.insert(conn, sandbox, now()));
    }

    /**
     * Applies {@code mutator} to the sandbox's row if it is still at {@code expectedGeneration},
     * and stores the result at the next generation. The mutator must leave uid, id, generation and
     * createdAt alone.
     *
     * @return the stored row
     * @throws dev.arcbox.core.ArcboxException.NotFound if there is no such sandbox
     * @throws dev.arcbox.core.ArcboxException.FailedPrecondition if the generation differs (the
     *     message names both generations); nothing is written
     */
    public SandboxRow updateSandbox(String uid, long expectedGeneration, UnaryOperator<SandboxRow> mutator) {
        Objects.requireNonNull(mutator, "mutator");
        return sql("updating sandbox uid " + uid,
                () -> SandboxTable.update(conn, uid, expectedGeneration, mutator, now()));
    }

    /**
     * Removes the sandbox's row; false when there was none.
     *
     * @throws dev.arcbox.core.ArcboxException.FailedPrecondition while it still holds a lease
     */
    public boolean deleteSandbox(String uid) {
        return sql("deleting sandbox uid " + uid, () -> SandboxTable.delete(conn, uid));
    }

    /**
     * The sandbox's lease in {@code pool}: the one it holds already (so a retried step gets the same
     * address), or else the lowest free address that is not the network, gateway or broadcast address.
     *
     * @throws dev.arcbox.core.ArcboxException.ResourceExhausted if every address is leased
     * @throws dev.arcbox.core.ArcboxException.NotFound if the sandbox is not recorded
     */
    public LeaseRow lease(String sandboxUid, Ipv4Pool pool) {
        Objects.requireNonNull(pool, "pool");
        return sql("leasing an address in " + pool.cidr() + " for sandbox uid " + sandboxUid,
                () -> LeaseTable.lease(conn, sandboxUid, pool, now()));
    }

    /** Releases the sandbox's lease (idempotent); returns what was released. */
    public Optional<LeaseRow> release(String sandboxUid) {
        return sql("releasing the lease of sandbox uid " + sandboxUid, () -> LeaseTable.release(conn, sandboxUid));
    }

    /**
     * Appends an event and returns its seq.
     *
     * @param dataJson a JSON value, or null for {@code {}}
     */
    public long appendEvent(String sandboxId, String sandboxUid, String action, String dataJson) {
        SandboxRow.checkText("action", action);
        String data = dataJson == null ? "{}" : dataJson;
        StoreJson.requireJson("event " + action + " data", data);
        return sql("appending event " + action,
                () -> EventTable.append(conn, now(), sandboxId, sandboxUid, action, data));
    }

    /** Deletes all but the newest {@code keepLast} events; returns how many were deleted. */
    public int trimEvents(int keepLast) {
        if (keepLast < 0) {
            throw new IllegalArgumentException("keepLast: must be ≥ 0, got " + keepLast);
        }
        return sql("trimming events", () -> EventTable.trim(conn, keepLast));
    }

    /** Records a staged snapshot. */
    public SnapshotRow insertSnapshot(NewSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        return sql("inserting snapshot " + snapshot.id(), () -> SnapshotTable.insert(conn, snapshot, now()));
    }

    /** Marks a staged snapshot published, with its final manifest and size. */
    public SnapshotRow publishSnapshot(String id, String manifestJson, long sizeBytes) {
        return sql("publishing snapshot " + id, () -> SnapshotTable.publish(conn, id, manifestJson, sizeBytes));
    }

    /** Removes a snapshot's row; false when there was none. Refused while it is another's parent. */
    public boolean deleteSnapshot(String id) {
        return sql("deleting snapshot " + id, () -> SnapshotTable.delete(conn, id));
    }

    void insertOperation(OperationRow op) {
        sql("recording operation " + op.opId(), () -> {
            OperationTable.insert(conn, op);
            return null;
        });
    }

    void updateOperation(OperationRow op) {
        boolean found = sql("recording operation " + op.opId(), () -> OperationTable.update(conn, op));
        if (!found) {
            throw new IllegalStateException("operation " + op.opId() + " vanished from the journal");
        }
    }

    int purgeFinishedOperations(Instant before) {
        return sql("purging finished operations", () -> OperationTable.purgeFinished(conn, before));
    }

    Instant now() {
        return SandboxRow.millis(clock.instant());
    }
}
