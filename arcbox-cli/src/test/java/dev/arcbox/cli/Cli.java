package dev.arcbox.cli;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** Runs {@code arcbox} in-process with captured stdout and stderr, a fixed clock and fake Ctrl-C. */
final class Cli {

    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static final Duration BOUND = Duration.ofSeconds(30);

    /** What one run printed and returned. */
    record Result(int exit, byte[] outBytes, byte[] errBytes) {
        String out() {
            return new String(outBytes, StandardCharsets.UTF_8);
        }

        String err() {
            return new String(errBytes, StandardCharsets.UTF_8);
        }
    }

    /** Ctrl-C under the test's control: {@link #interrupt()} runs what the command registered. */
    static final class FakeInterrupts implements Interrupts {
        private final AtomicReference<Runnable> action = new AtomicReference<>();

        @Override
        public Registration onInterrupt(Runnable onInterrupt) {
            action.set(onInterrupt);
            return () -> action.compareAndSet(onInterrupt, null);
        }

        void interrupt() {
            Runnable r = action.get();
            if (r == null) {
                throw new IllegalStateException("nothing is listening for Ctrl-C");
            }
            r.run();
        }
    }

    /** Captured bytes that a test can wait on, without sleeping. */
    static final class Captured extends ByteArrayOutputStream {
        @Override
        public synchronized void write(int b) {
            super.write(b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            super.write(b, off, len);
            notifyAll();
        }

        /** Waits (bounded) until the text so far satisfies {@code condition}. */
        synchronized void await(Predicate<String> condition) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (!condition.test(toString(StandardCharsets.UTF_8))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("output never matched; it is: " + toString(StandardCharsets.UTF_8));
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /** A run going on in the background. */
    record Running(Captured out, Captured err, CompletableFuture<Result> result) {
        Result get() throws Exception {
            return result.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
    }

    final FakeInterrupts interrupts = new FakeInterrupts();
    private final Map<String, String> env;
    /** What the command reads as stdin. */
    InputStream stdin = InputStream.nullInputStream();
    /** The user's terminal, for exec. */
    LocalTerminal terminal = LocalTerminal.NONE;

    private Cli(Map<String, String> env) {
        this.env = env;
    }

    /** Talks to {@code socket} through $ARCBOX_SOCKET. */
    static Cli at(Path socket) {
        return new Cli(Map.of(Arcbox.SOCKET_ENV, socket.toString()));
    }

    static Cli withEnv(Map<String, String> env) {
        return new Cli(env);
    }

    Arcbox arcbox(PrintStream out, PrintStream err) {
        return new Arcbox(env, stdin, out, err, Clock.fixed(NOW, ZoneOffset.UTC), interrupts, terminal);
    }

    Result run(String... args) {
        return execute(new Captured(), new Captured(), args);
    }

    Running start(String... args) {
        Captured out = new Captured();
        Captured err = new Captured();
        return new Running(out, err, CompletableFuture.supplyAsync(() -> execute(out, err, args)));
    }

    private Result execute(Captured out, Captured err, String... args) {
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = Arcbox.commandLine(arcbox(o, e)).execute(args);
        }
        return new Result(exit, out.toByteArray(), err.toByteArray());
    }
}
