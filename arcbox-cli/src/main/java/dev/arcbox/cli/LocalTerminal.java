package dev.arcbox.cli;

import java.io.IOException;
import java.io.InputStream;

/**
 * The user's terminal, as {@code sandbox exec} needs it: whether there is one, raw mode with the
 * window size and its changes (the JDK has neither: {@link JLineTerminal} does it), and every
 * Ctrl-C (SIGINT) as an event instead of the JVM's exit. Tests use a fake.
 */
public interface LocalTerminal {

    /** No terminal at all: for callers that never exec. */
    LocalTerminal NONE = new LocalTerminal() {
        @Override
        public boolean isTerminal() {
            return false;
        }

        @Override
        public Session open() throws IOException {
            throw new IOException("no terminal");
        }

        @Override
        public Interrupts.Registration onEachInterrupt(Runnable action) {
            return () -> { };
        }
    };

    /** Whether stdin and stdout are both a terminal. */
    boolean isTerminal();

    /** Puts the terminal in raw mode until the session is closed (or the JVM exits). */
    Session open() throws IOException;

    /**
     * Runs {@code action} on every SIGINT until the registration is closed, instead of letting the
     * JVM exit. (In raw mode Ctrl-C is a byte, not a signal.)
     */
    Interrupts.Registration onEachInterrupt(Runnable action);

    /** The terminal in raw mode: no echo, no line editing, no signals from keys, bytes as typed. */
    interface Session extends AutoCloseable {
        int rows();

        int cols();

        /** What the user types, byte for byte (Ctrl-C is 0x03). */
        InputStream input();

        /** Runs {@code action} after each change of the window's size (SIGWINCH). */
        Interrupts.Registration onResize(Runnable action);

        /** Restores the terminal as it was; idempotent. */
        @Override
        void close();
    }
}
