package dev.arcbox.core.store;

import java.time.Instant;

/**
 * One step of a journaled operation.
 *
 * @param name the step's name, unique within its operation
 * @param status {@link Status#STARTED} until the step's action returned and that was recorded
 * @param result the step's result as a small JSON value (reused on roll-forward), or null
 * @param startedAt when the step was recorded as started
 * @param doneAt when it was recorded as done, or null
 */
public record StepRecord(String name, Status status, String result, Instant startedAt, Instant doneAt) {

    /** A started step may or may not have had its effect; steps are idempotent, so it can be re-run. */
    public enum Status { STARTED, DONE }

    public boolean isDone() {
        return status == Status.DONE;
    }
}
