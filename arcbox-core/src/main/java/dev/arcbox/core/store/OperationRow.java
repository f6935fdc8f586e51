package dev.arcbox.core.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One multi-step operation as the journal holds it.
 *
 * @param opId the operation's id
 * @param kind what it does ({@code create}, {@code stop}, ...); crash points are named after it
 * @param subjectUid the sandbox (or other object) it acts on, or null
 * @param status running, done, failed or rolled back
 * @param steps its steps in the order they were first started
 * @param reason why it failed or was rolled back, or null
 * @param crashPoint the last automatic crash point the operation reached, written together with
 *     the step records: after a crash it names the step boundary the operation stopped at
 * @param createdAt when it began
 * @param updatedAt when it was last written
 */
public record OperationRow(
        String opId,
        String kind,
        String subjectUid,
        OperationStatus status,
        List<StepRecord> steps,
        String reason,
        String crashPoint,
        Instant createdAt,
        Instant updatedAt) {

    public OperationRow {
        steps = List.copyOf(steps);
    }

    public Optional<StepRecord> step(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** Names of the steps recorded as done, in order. */
    public List<String> doneSteps() {
        return steps.stream().filter(StepRecord::isDone).map(StepRecord::name).toList();
    }
}
