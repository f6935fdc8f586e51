package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command to run in the guest (EXEC_START, docs/agent-protocol.md §3–5).
 *
 * @param argv    the command and its arguments; at least one entry
 * @param env     the whole environment (the agent adds a default PATH when it is empty); iteration order is kept
 * @param cwd     working directory, or null for the agent's default ({@code /})
 * @param timeout after which the agent kills the process group; {@link Duration#ZERO} (or null) for none
 * @param stdin   true when the host sends stdin; otherwise the process reads /dev/null
 * @param window  output bytes the agent may send before the host returns credit; bounds host memory per execution
 * @param tty     a pseudo-terminal carries stdin, stdout and stderr (no separate stderr); {@code TERM=xterm}
 *                unless env sets it
 * @param rows    the terminal's initial rows (tty only), 1..65535
 * @param cols    the terminal's initial columns (tty only), 1..65535
 * @param user    a user name from the guest's /etc/passwd, or "uid" / "uid:gid"; null runs as root in {@code /}
 *                as before, a user (even "root") runs in that user's home unless cwd is set
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String cwd, Duration timeout,
                          boolean stdin, int window, boolean tty, int rows, int cols, String user) {

    public static final int DEFAULT_WINDOW = 262_144;
    /** Host-side bound on the window: it is the memory one execution may hold. */
    public static final int MAX_WINDOW = 16 << 20;
    static final int MAX_ENTRY_BYTES = 64 << 10;
    static final int MAX_ENTRIES = 4096;
    static final int MAX_CWD_BYTES = 4096;
    private static final long MAX_TIMEOUT_MS = 0xFFFF_FFFFL;
    static final int MAX_USER_BYTES = 64;
    static final int DEFAULT_ROWS = 24;
    static final int DEFAULT_COLS = 80;

    /** A request without a terminal and without a user (root in {@code /}). */
    public ExecRequest(List<String> argv, Map<String, String> env, String cwd, Duration timeout, boolean stdin, int window) {
        this(argv, env, cwd, timeout, stdin, window, false, DEFAULT_ROWS, DEFAULT_COLS, null);
    }

    public ExecRequest {
        List<String> problems = new ArrayList<>();
        argv = argv == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(argv));
        env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
        timeout = timeout == null ? Duration.ZERO : timeout;
        long size = 0;
        if (argv.isEmpty()) {
            problems.add("argv: must have at least one entry");
        }
        if (argv.size() > MAX_ENTRIES) {
            problems.add("argv: at most " + MAX_ENTRIES + " entries, got " + argv.size());
        }
        for (int i = 0; i < argv.size(); i++) {
            size += checkEntry(problems, "argv[" + i + "]", argv.get(i));
        }
        if (env.size() > MAX_ENTRIES) {
            problems.add("env: at most " + MAX_ENTRIES + " entries, got " + env.size());
        }
        for (var e : env.entrySet()) {
            String key = e.getKey();
            if (key == null || key.isEmpty() || key.indexOf('=') >= 0) {
                problems.add("env: key must be non-empty without '=', got " + quote(key));
                continue;
            }
            if (e.getValue() == null) {
                problems.add("env[" + quote(key) + "]: value must not be null");
                continue;
            }
            size += checkEntry(problems, "env[" + quote(key) + "]", key + "=" + e.getValue());
        }
        if (cwd != null) {
            int bytes = cwd.getBytes(StandardCharsets.UTF_8).length;
            if (cwd.isEmpty() || bytes > MAX_CWD_BYTES || cwd.indexOf('\0') >= 0) {
                problems.add("cwd: must be 1.." + MAX_CWD_BYTES + " bytes without NUL, got " + quote(cwd));
            }
            size += 6 + bytes;
        }
        if (timeout.isNegative() || timeout.compareTo(Duration.ofMillis(MAX_TIMEOUT_MS)) > 0) {
            problems.add("timeout: must be 0.." + MAX_TIMEOUT_MS + " ms, got " + timeout);
        }
        if (window < 1 || window > MAX_WINDOW) {
            problems.add("window: must be 1.." + MAX_WINDOW + ", got " + window);
        }
        if (rows < 1 || rows > 65_535 || cols < 1 || cols > 65_535) {
            problems.add("window size: rows and cols must be 1..65535, got " + rows + "x" + cols);
        }
        if (user != null) {
            int bytes = user.getBytes(StandardCharsets.UTF_8).length;
            if (user.isEmpty() || bytes > MAX_USER_BYTES || user.indexOf('\0') >= 0 || user.indexOf('/') >= 0) {
                problems.add("user: must be 1.." + MAX_USER_BYTES + " bytes without NUL or '/', got " + quote(user));
            }
            size += 6 + bytes;
        }
        size += 10 + 10 + 7 + 7 + 10 + 10;
        if (size > Frame.MAX_PAYLOAD) {
            problems.add("request: encodes to " + size + " bytes, more than the frame limit of " + Frame.MAX_PAYLOAD);
        }
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid exec request: " + String.join("; ", problems));
        }
    }

    /** The command with an empty environment, the default directory, no timeout, no stdin and the default window. */
    public static ExecRequest of(String... argv) {
        return new ExecRequest(argv == null ? null : Arrays.asList(argv), Map.of(), null, Duration.ZERO, false, DEFAULT_WINDOW);
    }

    public ExecRequest withEnv(Map<String, String> newEnv) {
        return new ExecRequest(argv, newEnv, cwd, timeout, stdin, window, tty, rows, cols, user);
    }

    public ExecRequest withCwd(String newCwd) {
        return new ExecRequest(argv, env, newCwd, timeout, stdin, window, tty, rows, cols, user);
    }

    public ExecRequest withTimeout(Duration newTimeout) {
        return new ExecRequest(argv, env, cwd, newTimeout, stdin, window, tty, rows, cols, user);
    }

    public ExecRequest withStdin(boolean newStdin) {
        return new ExecRequest(argv, env, cwd, timeout, newStdin, window, tty, rows, cols, user);
    }

    public ExecRequest withWindow(int newWindow) {
        return new ExecRequest(argv, env, cwd, timeout, stdin, newWindow, tty, rows, cols, user);
    }

    /** With a pseudo-terminal of the given initial size. */
    public ExecRequest withTty(int newRows, int newCols) {
        return new ExecRequest(argv, env, cwd, timeout, stdin, window, true, newRows, newCols, user);
    }

    public ExecRequest withUser(String newUser) {
        return new ExecRequest(argv, env, cwd, timeout, stdin, window, tty, rows, cols, newUser);
    }

    /** TIMEOUT_MS: whole milliseconds, a positive sub-millisecond timeout rounded up so it never means "none". */
    long timeoutMillis() {
        long ms = timeout.toMillis();
        return ms == 0 && !timeout.isZero() ? 1 : ms;
    }

    private static long checkEntry(List<String> problems, String field, String value) {
        if (value == null) {
            problems.add(field + ": must not be null");
            return 0;
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ENTRY_BYTES) {
            problems.add(field + ": at most " + MAX_ENTRY_BYTES + " bytes, got " + bytes);
        }
        if (value.indexOf('\0') >= 0) {
            problems.add(field + ": must not contain NUL");
        }
        return 6L + bytes;
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        return "\"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\"";
    }
}
