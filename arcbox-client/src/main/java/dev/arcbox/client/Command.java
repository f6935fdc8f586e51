package dev.arcbox.client;

import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.WindowSize;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run or execute in a sandbox: argv, environment (merged over the sandbox's),
 * working directory, user (a guest user name, or "uid" / "uid:gid"), a pseudo-terminal and its
 * size, whether the caller sends stdin, a timeout that kills it, and whether a disconnect kills it.
 * Immutable: each {@code with…} returns a copy.
 */
public record Command(List<String> argv, Map<String, String> env, String workingDir, String user,
        boolean tty, int rows, int cols, boolean stdin, Duration timeout, boolean killOnDisconnect) {

    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv: at least one entry is required");
        }
        env = Map.copyOf(env);
        Objects.requireNonNull(timeout, "timeout");
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("window: rows and cols must be ≥ 0, got " + rows + "x" + cols);
        }
    }

    /** {@code argv} with no stdin, no tty, no timeout, as root in the user's home. */
    public static Command of(String... argv) {
        return of(List.of(argv));
    }

    public static Command of(List<String> argv) {
        return new Command(argv, Map.of(), "", "", false, 0, 0, false, Duration.ZERO, false);
    }

    public Command withEnv(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(env);
        more.put(key, value);
        return new Command(argv, more, workingDir, user, tty, rows, cols, stdin, timeout, killOnDisconnect);
    }

    public Command withEnv(Map<String, String> vars) {
        Map<String, String> more = new LinkedHashMap<>(env);
        more.putAll(vars);
        return new Command(argv, more, workingDir, user, tty, rows, cols, stdin, timeout, killOnDisconnect);
    }

    public Command withWorkingDir(String dir) {
        return new Command(argv, env, dir, user, tty, rows, cols, stdin, timeout, killOnDisconnect);
    }

    public Command withUser(String name) {
        return new Command(argv, env, workingDir, name, tty, rows, cols, stdin, timeout, killOnDisconnect);
    }

    /** A pseudo-terminal of this size: output is all stdout, and {@link Execution#resize} follows. */
    public Command withTty(int rows, int cols) {
        return new Command(argv, env, workingDir, user, true, rows, cols, stdin, timeout, killOnDisconnect);
    }

    /** The caller writes the process's stdin through {@link Execution#stdin()}. */
    public Command withStdin() {
        return new Command(argv, env, workingDir, user, tty, rows, cols, true, timeout, killOnDisconnect);
    }

    /** Killed (its process group) after this long; zero means never. */
    public Command withTimeout(Duration limit) {
        return new Command(argv, env, workingDir, user, tty, rows, cols, stdin, limit, killOnDisconnect);
    }

    /** Killed if the client goes away before it exits; otherwise it keeps running, detached. */
    public Command withKillOnDisconnect() {
        return new Command(argv, env, workingDir, user, tty, rows, cols, stdin, timeout, true);
    }

    ExecStart toStart(String sandboxId) {
        ExecStart.Builder start = ExecStart.newBuilder()
                .setSandboxId(sandboxId)
                .addAllCmd(argv)
                .putAllEnv(env)
                .setWorkingDir(workingDir)
                .setUser(user)
                .setTty(tty)
                .setStdin(stdin)
                .setTimeoutSeconds(Math.toIntExact(timeout.toSeconds()))
                .setKillOnDisconnect(killOnDisconnect);
        if (tty && rows > 0 && cols > 0) {
            start.setWindow(WindowSize.newBuilder().setRows(rows).setCols(cols));
        }
        return start.build();
    }

    RunRequest toRun(String sandboxId) {
        if (tty || stdin) {
            throw new IllegalArgumentException("run: no tty and no stdin; use exec for those");
        }
        return RunRequest.newBuilder()
                .setId(sandboxId)
                .addAllCmd(argv)
                .putAllEnv(env)
                .setWorkingDir(workingDir)
                .setUser(user)
                .setTimeoutSeconds(Math.toIntExact(timeout.toSeconds()))
                .setKillOnDisconnect(true)
                .build();
    }
}
