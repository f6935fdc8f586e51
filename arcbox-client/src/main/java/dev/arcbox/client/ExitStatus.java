package dev.arcbox.client;

import dev.arcbox.api.v1.ExecExit;
import dev.arcbox.api.v1.RunOutput;

/**
 * How a process ended: its exit code (128 + N when it died of signal N), the signal (0 if none),
 * whether its timeout killed it, and how many bytes it wrote to stdout and stderr (0 when unknown).
 */
public record ExitStatus(int exitCode, int signal, boolean timedOut, long stdoutTotal, long stderrTotal) {

    static ExitStatus of(ExecExit exit) {
        return new ExitStatus(exit.getExitCode(), exit.getSignal(), exit.getTimedOut(),
                exit.getStdoutTotal(), exit.getStderrTotal());
    }

    static ExitStatus of(RunOutput exit, long stdoutTotal, long stderrTotal) {
        int code = exit.getSignal() > 0 && exit.getExitCode() == 0 ? 128 + exit.getSignal() : exit.getExitCode();
        return new ExitStatus(code, exit.getSignal(), exit.getTimedOut(), stdoutTotal, stderrTotal);
    }

    /** Exited with 0. */
    public boolean success() {
        return exitCode == 0 && signal == 0 && !timedOut;
    }
}
