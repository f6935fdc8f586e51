package dev.arcbox.client;

import java.nio.charset.StandardCharsets;

/** A finished command's status and its whole output, as raw bytes. */
public record RunResult(ExitStatus status, byte[] stdout, byte[] stderr) {

    public int exitCode() {
        return status.exitCode();
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
