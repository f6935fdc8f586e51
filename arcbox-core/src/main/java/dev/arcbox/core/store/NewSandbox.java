package dev.arcbox.core.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A sandbox about to be recorded; {@link Store#insertSandbox} turns it into a {@link SandboxRow}
 * at generation 1 with the store clock's timestamps.
 *
 * @param uid short internal id, {@code [a-z0-9]{8}} (see {@link SandboxRow#randomUid()})
 * @param id the user's id, unique among recorded sandboxes
 * @param specJson the sandbox spec as JSON
 * @param state the initial state's name
 * @param labels user labels
 * @param ttlDeadline when the sandbox expires, or null
 * @param idleDeadline when the sandbox stops for idleness, or null
 * @param resources host resources it owns already (usually {@link OwnedResources#NONE})
 */
public record NewSandbox(
        String uid,
        String id,
        String specJson,
        String state,
        Map<String, String> labels,
        Instant ttlDeadline,
        Instant idleDeadline,
        OwnedResources resources) {

    public NewSandbox {
        SandboxRow.checkUid(uid);
        SandboxRow.checkText("id", id);
        Objects.requireNonNull(specJson, "specJson");
        SandboxRow.checkText("state", state);
        labels = Map.copyOf(labels);
        resources = resources == null ? OwnedResources.NONE : resources;
    }

    /** A sandbox with no deadlines and no resources yet. */
    public static NewSandbox of(String uid, String id, String specJson, String state, Map<String, String> labels) {
        return new NewSandbox(uid, id, specJson, state, labels, null, null, OwnedResources.NONE);
    }
}
