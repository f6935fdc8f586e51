package dev.arcbox.core.store;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One journaled operation in progress (see {@link OperationJournal}). Used by one thread at a time.
 *
 * <p>Each step hits two crash points: {@code <kind>.<step>.before} once the step is durably
 * recorded as started and before its action runs, and {@code <kind>.<step>.after} once it is
 * durably recorded as done. ({@link #record} steps write no started record: their {@code before}
 * point is hit just before their one transaction.) An action that throws leaves its step recorded
 * as started and the operation running — exactly what a crash there would leave — and the
 * exception propagates; the caller then undoes and calls {@link #rolledBack}, or {@link #fail}s it.
 */
public final class Operation {

    private static final int MAX_RESULT_CHARS = 16 * 1024;

    private final Store store;
    private final Clock clock;
    private OperationRow row;

    Operation(Store store, Clock clock, OperationRow row) {
        this.store = store;
        this.clock = clock;
        this.row = row;
    }

    public String id() {
        return row.opId();
    }

    public String kind() {
        return row.kind();
    }

    /** The operation as last written to the journal. */
    public OperationRow row() {
        return row;
    }

    /**
     * Runs an idempotent step with host effects: records it as started (one transaction), runs
     * {@code action}, records it as done with the action's result (one transaction). A step already
     * done (on a {@linkplain OperationJournal#resume resumed} operation) is not run again: its
     * recorded result is returned.
     *
     * @param action does the step and returns a small JSON value for later steps and roll-forward,
     *     or null
     * @return the step's result
     */
    public String step(String name, Supplier<String> action) {
        OperationJournal.checkName("step", name);
        Objects.requireNonNull(action, "action");
        checkRunning(name);
        StepRecord done = doneStep(name);
        if (done != null) {
            return done.result();
        }
        String before = point(name, "before");
        Instant now = now();
        StepRecord started = new StepRecord(name, StepRecord.Status.STARTED, null, now, null);
        OperationRow next = withStep(started, before, now);
        store.write(tx -> {
            tx.updateOperation(next);
            return null;
        });
        row = next;
        CrashPoints.hit(before);
        String result = checkResult(name, action.get());
        finish(started, result, null);
        return result;
    }

    /**
     * Runs a step that only writes to the store: {@code write}'s writes and the step's done record
     * commit in one transaction, so the step happens exactly once and costs one fsync.
     *
     * @return the step's result (what {@code write} returned)
     */
    public String record(String name, Function<? super Transaction, String> write) {
        OperationJournal.checkName("step", name);
        Objects.requireNonNull(write, "write");
        checkRunning(name);
        StepRecord done = doneStep(name);
        if (done != null) {
            return done.result();
        }
        CrashPoints.hit(point(name, "before"));
        Instant now = now();
        return finish(new StepRecord(name, StepRecord.Status.STARTED, null, now, null), null, write);
    }

    /** Marks the operation done (one transaction). */
    public void complete() {
        complete(tx -> { });
    }

    /** Marks the operation done together with {@code alsoWrite}'s writes (e.g. the state change and its event). */
    public void complete(Consumer<? super Transaction> alsoWrite) {
        end(OperationStatus.DONE, null, alsoWrite);
    }

    /** Marks the operation failed with {@code reason} (one transaction). */
    public void fail(String reason) {
        fail(reason, tx -> { });
    }

    /** Marks the operation failed together with {@code alsoWrite}'s writes. */
    public void fail(String reason, Consumer<? super Transaction> alsoWrite) {
        end(OperationStatus.FAILED, Objects.requireNonNull(reason, "reason"), alsoWrite);
    }

    /** Marks the operation rolled back: its done steps were undone (one transaction). */
    public void rolledBack(String reason) {
        end(OperationStatus.ROLLED_BACK, Objects.requireNonNull(reason, "reason"), tx -> { });
    }

    private String finish(StepRecord started, String result, Function<? super Transaction, String> write) {
        String after = point(started.name(), "after");
        OperationRow[] next = new OperationRow[1];
        String stored = store.write(tx -> {
            String value = write == null ? result : checkResult(started.name(), write.apply(tx));
            Instant now = now();
            StepRecord done = new StepRecord(started.name(), StepRecord.Status.DONE, value, started.startedAt(), now);
            next[0] = withStep(done, after, now);
            tx.updateOperation(next[0]);
            return value;
        });
        row = next[0];
        CrashPoints.hit(after);
        return stored;
    }

    private void end(OperationStatus status, String reason, Consumer<? super Transaction> alsoWrite) {
        Objects.requireNonNull(alsoWrite, "alsoWrite");
        checkRunning(status.dbName());
        Instant now = now();
        OperationRow next = new OperationRow(row.opId(), row.kind(), row.subjectUid(), status, row.steps(), reason,
                row.crashPoint(), row.createdAt(), now);
        store.write(tx -> {
            alsoWrite.accept(tx);
            tx.updateOperation(next);
            return null;
        });
        row = next;
    }

    private OperationRow withStep(StepRecord step, String crashPoint, Instant now) {
        List<StepRecord> steps = new ArrayList<>(row.steps());
        int existing = steps.stream().map(StepRecord::name).toList().indexOf(step.name());
        if (existing >= 0) {
            steps.set(existing, step);
        } else {
            steps.add(step);
        }
        return new OperationRow(row.opId(), row.kind(), row.subjectUid(), row.status(), steps, row.reason(), crashPoint,
                row.createdAt(), now);
    }

    private StepRecord doneStep(String name) {
        return row.step(name).filter(StepRecord::isDone).orElse(null);
    }

    private void checkRunning(String action) {
        if (row.status() != OperationStatus.RUNNING) {
            throw new IllegalStateException("operation " + row.opId() + " (" + row.kind() + ") is "
                    + row.status().dbName() + "; cannot " + action);
        }
    }

    private String point(String step, String when) {
        return row.kind() + "." + step + "." + when;
    }

    private static String checkResult(String step, String result) {
        if (result == null) {
            return null;
        }
        if (result.length() > MAX_RESULT_CHARS) {
            throw new IllegalArgumentException("result of step " + step + ": at most " + MAX_RESULT_CHARS
                    + " characters, got " + result.length());
        }
        StoreJson.requireJson("result of step " + step, result);
        return result;
    }

    private Instant now() {
        return SandboxRow.millis(clock.instant());
    }
}
