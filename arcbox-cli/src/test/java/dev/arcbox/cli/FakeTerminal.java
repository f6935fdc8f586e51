package dev.arcbox.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A terminal under the test's control: records raw mode entered and restored, has a size the
 * test changes ({@link #resize}), keys the test types ({@link #type}), and Ctrl-C as a signal
 * ({@link #interrupt}).
 */
final class FakeTerminal implements LocalTerminal {

    private final boolean terminal;
    private final List<Runnable> resizeHandlers = new CopyOnWriteArrayList<>();
    private final List<Runnable> interruptHandlers = new CopyOnWriteArrayList<>();
    private final PipedOutputStream keys = new PipedOutputStream();
    private final PipedInputStream input;
    volatile int rows = 24;
    volatile int cols = 80;
    volatile int opened;
    volatile int restored;

    FakeTerminal(boolean terminal) {
        this.terminal = terminal;
        try {
            this.input = new PipedInputStream(keys, 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean raw() {
        return opened > restored;
    }

    void resize(int newRows, int newCols) {
        rows = newRows;
        cols = newCols;
        resizeHandlers.forEach(Runnable::run);
    }

    void type(byte... bytes) throws IOException {
        keys.write(bytes);
        keys.flush();
    }

    void endOfInput() throws IOException {
        keys.close();
    }

    /** SIGINT; false if nothing listened. */
    boolean interrupt() {
        interruptHandlers.forEach(Runnable::run);
        return !interruptHandlers.isEmpty();
    }

    @Override
    public boolean isTerminal() {
        return terminal;
    }

    @Override
    public Session open() {
        opened++;
        return new Session() {
            private boolean closed;

            @Override
            public int rows() {
                return rows;
            }

            @Override
            public int cols() {
                return cols;
            }

            @Override
            public InputStream input() {
                return input;
            }

            @Override
            public Interrupts.Registration onResize(Runnable action) {
                resizeHandlers.add(action);
                return () -> resizeHandlers.remove(action);
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    restored++;
                }
            }
        };
    }

    @Override
    public Interrupts.Registration onEachInterrupt(Runnable action) {
        interruptHandlers.add(action);
        return () -> interruptHandlers.remove(action);
    }
}
