package dev.arcbox.core.store;

import dev.arcbox.core.driver.VmRecord;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One sandbox as the store holds it. Rows are changed only through {@link Store#updateSandbox},
 * which fences on {@link #generation()}.
 *
 * @param uid short internal id, {@code [a-z0-9]{8}}; every host resource is named from it
 * @param id the user's id
 * @param specJson the sandbox spec as JSON
 * @param state the lifecycle state's name (the state machine owns the set of names)
 * @param generation bumped by every update; starts at 1
 * @param reason why the sandbox is in its state (for {@code failed}), or null
 * @param labels user labels
 * @param createdAt when the row was inserted
 * @param updatedAt when the row was last updated
 * @param ttlDeadline when the sandbox expires, or null
 * @param idleDeadline when the sandbox stops for idleness, or null
 * @param vm the running VM's record, or null when no VMM process exists
 * @param resources host resources the sandbox owns
 */
public record SandboxRow(
        String uid,
        String id,
        String specJson,
        String state,
        long generation,
        String reason,
        Map<String, String> labels,
        Instant createdAt,
        Instant updatedAt,
        Instant ttlDeadline,
        Instant idleDeadline,
        VmRecord vm,
        OwnedResources resources) {

    private static final Pattern UID = Pattern.compile("[a-z0-9]{8}");
    private static final char[] UID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    public SandboxRow {
        checkUid(uid);
        checkText("id", id);
        Objects.requireNonNull(specJson, "specJson");
        checkText("state", state);
        if (generation < 1) {
            throw new IllegalArgumentException("generation: must be ≥ 1, got " + generation);
        }
        labels = Map.copyOf(labels);
        createdAt = millis(Objects.requireNonNull(createdAt, "createdAt"));
        updatedAt = millis(Objects.requireNonNull(updatedAt, "updatedAt"));
        ttlDeadline = millis(ttlDeadline);
        idleDeadline = millis(idleDeadline);
        resources = resources == null ? OwnedResources.NONE : resources;
    }

    /** A fresh random uid, {@code [a-z0-9]{8}}; the store refuses one that is taken. */
    public static String randomUid() {
        char[] uid = new char[8];
        for (int i = 0; i < uid.length; i++) {
            uid[i] = UID_CHARS[RANDOM.nextInt(UID_CHARS.length)];
        }
        return new String(uid);
    }

    public SandboxRow withState(String newState, String newReason) {
        return new SandboxRow(uid, id, specJson, newState, generation, newReason, labels, createdAt, updatedAt,
                ttlDeadline, idleDeadline, vm, resources);
    }

    public SandboxRow withVm(VmRecord newVm) {
        return new SandboxRow(uid, id, specJson, state, generation, reason, labels, createdAt, updatedAt,
                ttlDeadline, idleDeadline, newVm, resources);
    }

    public SandboxRow withResources(OwnedResources newResources) {
        return new SandboxRow(uid, id, specJson, state, generation, reason, labels, createdAt, updatedAt,
                ttlDeadline, idleDeadline, vm, newResources);
    }

    public SandboxRow withDeadlines(Instant newTtlDeadline, Instant newIdleDeadline) {
        return new SandboxRow(uid, id, specJson, state, generation, reason, labels, createdAt, updatedAt,
                newTtlDeadline, newIdleDeadline, vm, resources);
    }

    public SandboxRow withLabels(Map<String, String> newLabels) {
        return new SandboxRow(uid, id, specJson, state, generation, reason, newLabels, createdAt, updatedAt,
                ttlDeadline, idleDeadline, vm, resources);
    }

    public SandboxRow withSpecJson(String newSpecJson) {
        return new SandboxRow(uid, id, newSpecJson, state, generation, reason, labels, createdAt, updatedAt,
                ttlDeadline, idleDeadline, vm, resources);
    }

    /** The store keeps instants to the millisecond; rows hold exactly what a read returns. */
    static Instant millis(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS);
    }

    static void checkUid(String uid) {
        if (uid == null || !UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("uid: must match [a-z0-9]{8}, got " + uid);
        }
    }

    static void checkText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": must not be blank, got " + value);
        }
    }
}
