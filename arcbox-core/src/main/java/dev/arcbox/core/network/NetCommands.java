package dev.arcbox.core.network;

import dev.arcbox.core.ArcboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the host's network tools ({@code ip}, {@code bridge}, {@code nft}, {@code sysctl}) — the one
 * place networking code starts processes. A command is an argv (never a shell string); its output is
 * bounded, it has a deadline after which it is killed, and every error names the command and the
 * namespace. When a network namespace is given, every command runs inside it through
 * {@code ip netns exec NS …}, so tests (and a daemon confined to a namespace) never touch the host's own.
 *
 * <p>Immutable and thread-safe; each call starts one process and waits for it.
 */
public final class NetCommands {

    /** How long one command may run unless {@link #withTimeout} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** Bytes of stdout kept; the rest is read and dropped (an {@code nft -j list} of a big host fits). */
    static final int MAX_STDOUT = 8 << 20;
    /** Bytes of stderr kept. */
    static final int MAX_STDERR = 64 << 10;

    private static final Pattern NETNS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final List<Path> SEARCH = List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"),
            Path.of("/bin"), Path.of("/usr/local/sbin"), Path.of("/usr/local/bin"));
    private static final Duration DRAIN = Duration.ofSeconds(2);

    private final String netns;
    private final Duration timeout;

    private NetCommands(String netns, Duration timeout) {
        this.netns = netns;
        this.timeout = timeout;
    }

    /** Commands in the namespace this process runs in. */
    public static NetCommands host() {
        return new NetCommands(null, DEFAULT_TIMEOUT);
    }

    /** Commands inside the named network namespace (one listed by {@code ip netns list}). */
    public static NetCommands inNetns(String name) {
        if (name == null || !NETNS.matcher(name).matches()) {
            throw new ArcboxException.InvalidArgument("network namespace: must match " + NETNS.pattern()
                    + ", got " + name);
        }
        return new NetCommands(name, DEFAULT_TIMEOUT);
    }

    /** The same commands with another per-command deadline. */
    public NetCommands withTimeout(Duration perCommand) {
        if (perCommand == null || perCommand.isNegative() || perCommand.isZero()) {
            throw new ArcboxException.InvalidArgument("command timeout: must be positive, got " + perCommand);
        }
        return new NetCommands(netns, perCommand);
    }

    /** The namespace commands run in, or empty for this process's own. */
    public Optional<String> netns() {
        return Optional.ofNullable(netns);
    }

    /** Runs {@code argv}; throws {@link ArcboxException.HostFailure} naming it unless it exits 0. */
    public Result run(String... argv) {
        return run(List.of(argv), null);
    }

    /** Runs {@code argv} with {@code stdin} (may be null) as its input; throws unless it exits 0. */
    public Result run(List<String> argv, String stdin) {
        Result result = attempt(argv, stdin);
        if (result.exitCode() != 0) {
            throw new ArcboxException.HostFailure(describe(argv) + ": exit " + result.exitCode() + ": "
                    + result.errorText(), null);
        }
        return result;
    }

    /** Runs {@code argv} and returns its result whatever it exits with. */
    public Result attempt(String... argv) {
        return attempt(List.of(argv), null);
    }

    /**
     * Runs {@code argv} with {@code stdin} (may be null) and returns its result whatever it exits with.
     *
     * @throws ArcboxException.Unsupported when the tool is not installed
     * @throws ArcboxException.HostFailure when it cannot be started
     * @throws ArcboxException.DeadlineExceeded when it did not exit in time (it is killed)
     */
    public Result attempt(List<String> argv, String stdin) {
        if (argv.isEmpty()) {
            throw new ArcboxException.InvalidArgument("host command: empty argv");
        }
        List<String> command = new ArrayList<>();
        if (netns != null) {
            command.addAll(List.of(require("ip").toString(), "netns", "exec", netns));
        }
        command.add(require(argv.getFirst()).toString());
        command.addAll(argv.subList(1, argv.size()));
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                            : ProcessBuilder.Redirect.PIPE);
            builder.environment().put("LC_ALL", "C");
            process = builder.start();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure(describe(argv) + ": cannot start: " + e.getMessage(), e);
        }
        return collect(argv, process, stdin);
    }

    private Result collect(List<String> argv, Process process, String stdin) {
        Capture out = Capture.start(process.getInputStream(), MAX_STDOUT, "netcmd-stdout");
        Capture err = Capture.start(process.getErrorStream(), MAX_STDERR, "netcmd-stderr");
        Thread feeder = stdin == null ? null : Thread.ofVirtual().name("netcmd-stdin").start(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the tool exited without reading everything; its exit status tells what happened
            }
        });
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                process.waitFor(DRAIN.toMillis(), TimeUnit.MILLISECONDS);
                throw new ArcboxException.DeadlineExceeded(describe(argv) + ": no exit after "
                        + timeout.toMillis() + " ms, killed");
            }
            String stdout = out.await(DRAIN);
            String stderr = err.await(DRAIN);
            if (feeder != null) {
                feeder.join(DRAIN);
            }
            return new Result(List.copyOf(argv), netns, process.exitValue(), stdout, stderr,
                    out.truncated() || err.truncated());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new ArcboxException.Unavailable(describe(argv) + ": interrupted", e);
        }
    }

    /** {@code `ip link add …` in netns X}, for messages. */
    String describe(List<String> argv) {
        return "running `" + String.join(" ", argv) + "`" + (netns == null ? "" : " in netns " + netns);
    }

    /** The executable for {@code tool}: as given when absolute, else found on PATH or in the sbin directories. */
    public static Optional<Path> locate(String tool) {
        if (tool.contains("/")) {
            Path path = Path.of(tool);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String pathEnv = System.getenv("PATH");
        Stream<Path> dirs = Stream.concat(
                pathEnv == null ? Stream.empty() : Stream.of(pathEnv.split(":")).filter(s -> !s.isEmpty()).map(Path::of),
                SEARCH.stream());
        return dirs.map(dir -> dir.resolve(tool)).filter(Files::isExecutable).findFirst();
    }

    private static Path require(String tool) {
        return locate(tool).orElseThrow(() -> new ArcboxException.Unsupported("host networking needs `" + tool
                + "`, which is not on PATH nor in " + SEARCH));
    }

    /**
     * What a command did.
     *
     * @param argv the command as asked for (before {@code ip netns exec} and path resolution)
     * @param netns the namespace it ran in, or null
     * @param truncated whether output beyond the bounds was dropped
     */
    public record Result(List<String> argv, String netns, int exitCode, String stdout, String stderr,
            boolean truncated) {

        public boolean ok() {
            return exitCode == 0;
        }

        /** The first lines of stderr (or stdout when stderr is empty), for an error message. */
        public String errorText() {
            String text = (stderr.isBlank() ? stdout : stderr).strip();
            if (text.isEmpty()) {
                return "no output";
            }
            List<String> lines = text.lines().limit(6).toList();
            String joined = String.join(" | ", lines);
            return joined.length() > 600 ? joined.substring(0, 600) + "…" : joined;
        }
    }

    /** Reads a stream to the end on a virtual thread, keeping at most {@code limit} bytes. */
    private static final class Capture {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final int limit;
        private final Thread thread;
        private volatile boolean truncated;

        private Capture(InputStream in, int limit, String name) {
            this.limit = limit;
            this.thread = Thread.ofVirtual().name(name).unstarted(() -> drain(in));
        }

        static Capture start(InputStream in, int limit, String name) {
            Capture capture = new Capture(in, limit, name);
            capture.thread.start();
            return capture;
        }

        private void drain(InputStream in) {
            byte[] buffer = new byte[16 << 10];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    int keep = Math.min(n, limit - kept.size());
                    if (keep > 0) {
                        kept.write(buffer, 0, keep);
                    }
                    if (keep < n) {
                        truncated = true;
                    }
                }
            } catch (IOException e) {
                // the process was killed or closed its end; what was read is kept
            }
        }

        String await(Duration bound) throws InterruptedException {
            thread.join(bound);
            return kept.toString(StandardCharsets.UTF_8);
        }

        boolean truncated() {
            return truncated;
        }
    }
}
