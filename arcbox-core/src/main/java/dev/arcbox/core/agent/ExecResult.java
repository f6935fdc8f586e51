package dev.arcbox.core.agent;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An execution's status and its output, each stream cut to the {@code maxBytes} given to
 * {@link Execution#collect}; compare the lengths with the totals in {@code status} to see what was cut.
 */
public record ExecResult(ExitStatus status, byte[] stdout, byte[] stderr) {

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExecResult r && r.status.equals(status) && Arrays.equals(r.stdout, stdout)
                && Arrays.equals(r.stderr, stderr);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * status.hashCode() + Arrays.hashCode(stdout)) + Arrays.hashCode(stderr);
    }

    @Override
    public String toString() {
        return "ExecResult[" + status + ", stdout " + stdout.length + " bytes, stderr " + stderr.length + " bytes]";
    }
}
