package dev.arcbox.cli;

import dev.arcbox.client.Command;
import dev.arcbox.client.Execution;
import dev.arcbox.client.ExitStatus;
import dev.arcbox.client.OutputListener;
import dev.arcbox.client.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.ExecutionException;

/**
 * One {@code sandbox exec} in the foreground: output to ours as it arrives, stdin forwarded with
 * {@code -i}, and with {@code -t} the local terminal in raw mode (restored on every way out),
 * its window size sent at start and on every change. Without {@code -t}, Ctrl-C sends SIGINT to
 * the process instead of ending arcbox. Returns the process's exit code ({@link ExitCodes#ofRun}).
 */
final class ExecSession {

    static final int SIGINT = 2;

    private final Arcbox arcbox;
    /** The running execution, for Ctrl-C and resizes (which come on other threads); guarded by this. */
    private Execution current;
    /** A Ctrl-C that came before the process started: sent once it has. Guarded by this. */
    private boolean interruptPending;

    ExecSession(Arcbox arcbox) {
        this.arcbox = arcbox;
    }

    int run(Sandbox sandbox, Command command, boolean interactive) throws IOException, InterruptedException {
        LocalTerminal terminal = arcbox.terminal();
        if (!command.tty()) {
            try (Interrupts.Registration _ = terminal.onEachInterrupt(this::interrupt)) {
                return attached(sandbox, command, interactive ? arcbox.in() : null, null);
            }
        }
        try (LocalTerminal.Session session = terminal.open()) {
            Command sized = command.withTty(session.rows(), session.cols());
            return attached(sandbox, sized, interactive ? session.input() : null, session);
        }
    }

    private int attached(Sandbox sandbox, Command command, InputStream stdin, LocalTerminal.Session session)
            throws InterruptedException {
        // registered before the start, so that no resize falls between the start and the handler
        Interrupts.Registration resize = session == null ? () -> { } : session.onResize(() -> {
            Execution e = current();
            if (e != null) {
                e.resize(session.rows(), session.cols());
            }
        });
        try (resize; Execution execution = sandbox.exec(command, listener(arcbox.out(), arcbox.err()))) {
            started(execution);
            if (session != null && (session.rows() != command.rows() || session.cols() != command.cols())) {
                execution.resize(session.rows(), session.cols());
            }
            if (stdin != null) {
                pump(stdin, execution);
            }
            ExitStatus exit = execution.exit().get();
            return ExitCodes.ofRun(exit.exitCode(), exit.signal(), exit.timedOut());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            started(null);
            arcbox.out().flush();
            arcbox.err().flush();
        }
    }

    private synchronized Execution current() {
        return current;
    }

    private synchronized void started(Execution execution) {
        current = execution;
        if (execution != null && interruptPending) {
            interruptPending = false;
            execution.signal(SIGINT);
        }
    }

    /** Ctrl-C without a tty: SIGINT to the process, now or as soon as it has started. */
    private synchronized void interrupt() {
        if (current != null) {
            current.signal(SIGINT);
        } else {
            interruptPending = true;
        }
    }

    /** Copies {@code in} to the process's stdin on a daemon thread; EOF closes its stdin. */
    private static void pump(InputStream in, Execution execution) {
        Thread.ofPlatform().daemon().name("arcbox-stdin").start(() -> {
            OutputStream stdin = execution.stdin();
            byte[] buffer = new byte[8192];
            try (stdin) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (n > 0) {
                        stdin.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process ended or our stdin failed: nothing more to send either way
            }
        });
    }

    static OutputListener listener(PrintStream out, PrintStream err) {
        return new OutputListener() {
            @Override
            public void stdout(byte[] data) {
                out.write(data, 0, data.length);
                out.flush();
            }

            @Override
            public void stderr(byte[] data) {
                err.write(data, 0, data.length);
                err.flush();
            }
        };
    }
}
