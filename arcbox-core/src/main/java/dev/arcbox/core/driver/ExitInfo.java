package dev.arcbox.core.driver;

import java.time.Instant;
import java.util.OptionalInt;

/**
 * How a VMM process ended.
 *
 * @param at when the exit was observed
 * @param exitCode the process exit code, when known (only for the daemon's own children)
 * @param reason a short lowercase description ("exited with code 0", "killed by signal 9", ...)
 */
public record ExitInfo(Instant at, OptionalInt exitCode, String reason) {}
