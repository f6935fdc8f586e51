package dev.arcbox.core.driver;

import java.time.Duration;

/**
 * How a stop went.
 *
 * @param how which step ended the VM
 * @param took time from the stop call to the process being gone
 * @param exit the exit as observed
 */
public record StopResult(How how, Duration took, ExitInfo exit) {

    /** The step that ended the VM. */
    public enum How {
        /** The VMM had already exited. */
        ALREADY_EXITED,
        /** The guest powered off on request. */
        GRACEFUL,
        /** The VMM exited on SIGTERM. */
        TERMINATED,
        /** The VMM had to be killed. */
        KILLED
    }
}
