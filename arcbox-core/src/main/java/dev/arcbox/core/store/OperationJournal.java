package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The journal of multi-step operations (create, stop, restore, ...), kept in the store so that a
 * restarted daemon can finish or undo what a crash interrupted. An operation is a list of named,
 * idempotent steps; each is recorded as started before it acts and as done (with a small JSON
 * result) after, so recovery knows which steps completed and which may be half done.
 *
 * <p><b>Transactions</b> (each one WAL fsync): {@link #begin} 1; {@link Operation#step} 2 (started,
 * done); {@link Operation#record} 1 (a store-only step commits with its own writes);
 * {@link Operation#complete}/{@link Operation#fail} 1. So begin/step/step/complete costs 6. A typical
 * create — begin together with the sandbox row, record the owned resources and the lease, step
 * "create-tap", step "boot", complete together with the state change and its event — costs 7. The
 * state writes of a transition ride along in the journal's transactions through the
 * {@code Consumer<Transaction>} overloads instead of costing their own.
 *
 * <p><b>Recovery.</b> At startup {@link #unfinished()} lists running operations with their steps.
 * {@link #resume} returns an {@link Operation} that skips the steps recorded as done (returning
 * their recorded results) and re-runs the rest — roll forward by running the same code again; or
 * undo the done steps and mark it {@link Operation#rolledBack rolled back}.
 */
public final class OperationJournal {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Store store;
    private final Clock clock;

    OperationJournal(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Records a new running operation (one transaction). */
    public Operation begin(String kind, String subjectUid) {
        return begin(kind, subjectUid, tx -> { });
    }

    /**
     * Records a new running operation together with {@code alsoWrite}'s writes, in one transaction
     * (e.g. the new sandbox's row).
     */
    public Operation begin(String kind, String subjectUid, Consumer<? super Transaction> alsoWrite) {
        checkName("kind", kind);
        Objects.requireNonNull(alsoWrite, "alsoWrite");
        Instant now = SandboxRow.millis(clock.instant());
        OperationRow row = new OperationRow(newId(), kind, subjectUid, OperationStatus.RUNNING, List.of(), null, null,
                now, now);
        store.write(tx -> {
            alsoWrite.accept(tx);
            tx.insertOperation(row);
            return null;
        });
        return new Operation(store, clock, row);
    }

    /** Running operations, oldest first, with their steps: what a crash left unfinished. */
    public List<OperationRow> unfinished() {
        return store.read(tx -> tx.operationsWithStatus(OperationStatus.RUNNING));
    }

    public Optional<OperationRow> find(String opId) {
        return store.read(tx -> tx.findOperation(opId));
    }

    /**
     * Continues a running operation after a restart: its done steps are skipped (returning their
     * recorded results), started ones run again.
     *
     * @throws ArcboxException.NotFound if there is no such operation
     * @throws ArcboxException.FailedPrecondition if it is not running
     */
    public Operation resume(String opId) {
        OperationRow row = find(opId)
                .orElseThrow(() -> new ArcboxException.NotFound("operation " + opId + " not found"));
        if (row.status() != OperationStatus.RUNNING) {
            throw new ArcboxException.FailedPrecondition("operation " + opId + " (" + row.kind() + ") is "
                    + row.status().dbName() + ", only a running one can be resumed");
        }
        return new Operation(store, clock, row);
    }

    /** Deletes finished operations last written before {@code before}; returns how many. */
    public int purgeFinished(Instant before) {
        return store.write(tx -> tx.purgeFinishedOperations(before));
    }

    static void checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + ": must match [a-z][a-z0-9-]{0,62}, got " + name);
        }
    }

    private static String newId() {
        char[] id = new char[12];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
        }
        return "op-" + new String(id);
    }
}
