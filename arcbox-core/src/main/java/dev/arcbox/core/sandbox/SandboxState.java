package dev.arcbox.core.sandbox;

import java.util.Locale;

/**
 * The persisted states of a sandbox (DESIGN §4). "Running" is not a state: it is derived from the
 * number of live executions of a READY sandbox.
 */
public enum SandboxState {
    /** Recorded, its VM being booted (or restored); not yet answering. */
    STARTING,
    /** The guest agent answered HELLO. */
    READY,
    /** vCPUs paused. */
    PAUSED,
    /** Being stopped. */
    STOPPING,
    /** No VM; disk and address lease kept; can be started again. */
    STOPPED,
    /** Something went wrong; resources released; only removal is possible. */
    FAILED;

    /** The name clients see ({@code ready}, ...). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a client's state name, or null when it is not one. */
    public static SandboxState parse(String label) {
        for (SandboxState s : values()) {
            if (s.label().equals(label)) {
                return s;
            }
        }
        return null;
    }
}
