package dev.arcbox.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Attributes.OutputFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.Signals;

/**
 * The user's terminal through JLine's terminal module, with its "exec" provider: attributes
 * through {@code stty}, so no native code and no native-access warning; SIGWINCH and SIGINT through
 * {@code sun.misc.Signal} (JLine's {@link Signals}). Raw mode is {@code cfmakeraw}'s: Ctrl-C,
 * Ctrl-Z and Ctrl-\ reach the guest as bytes. The previous attributes come back on close, and from
 * a shutdown hook if the JVM is stopped by a signal first.
 */
final class JLineTerminal implements LocalTerminal {

    @Override
    public boolean isTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    @Override
    public Session open() throws IOException {
        Terminal terminal = TerminalBuilder.builder()
                .system(true)
                .provider("exec")
                .dumb(false)
                .nativeSignals(true)
                .signalHandler(Terminal.SignalHandler.SIG_DFL)
                .build();
        Attributes saved = terminal.getAttributes();
        JLineSession session = new JLineSession(terminal, saved);
        terminal.setAttributes(raw(saved));
        return session;
    }

    @Override
    public Interrupts.Registration onEachInterrupt(Runnable action) {
        Object previous = Signals.register("INT", action);
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                Signals.unregister("INT", previous);
            }
        };
    }

    /** {@code cfmakeraw}: bytes in and out unchanged, no echo, no line discipline, no signals. */
    static Attributes raw(Attributes original) {
        Attributes raw = new Attributes(original);
        raw.setInputFlags(EnumSet.of(InputFlag.IGNBRK, InputFlag.BRKINT, InputFlag.PARMRK, InputFlag.ISTRIP,
                InputFlag.INLCR, InputFlag.IGNCR, InputFlag.ICRNL, InputFlag.IXON), false);
        raw.setOutputFlag(OutputFlag.OPOST, false);
        raw.setLocalFlags(EnumSet.of(LocalFlag.ECHO, LocalFlag.ECHONL, LocalFlag.ICANON, LocalFlag.ISIG,
                LocalFlag.IEXTEN), false);
        raw.setControlChar(ControlChar.VMIN, 1);
        raw.setControlChar(ControlChar.VTIME, 0);
        return raw;
    }

    /** One raw-mode period. */
    private static final class JLineSession implements Session {
        private final Terminal terminal;
        private final Attributes saved;
        private final Thread restoreAtExit;
        private final AtomicBoolean closed = new AtomicBoolean();

        JLineSession(Terminal terminal, Attributes saved) {
            this.terminal = terminal;
            this.saved = saved;
            this.restoreAtExit = Thread.ofPlatform().name("arcbox-terminal-restore").unstarted(() -> {
                if (closed.compareAndSet(false, true)) {
                    restore();
                }
            });
            Runtime.getRuntime().addShutdownHook(restoreAtExit);
        }

        @Override
        public int rows() {
            return size().getRows();
        }

        @Override
        public int cols() {
            return size().getColumns();
        }

        private Size size() {
            return terminal.getSize();
        }

        @Override
        public InputStream input() {
            return terminal.input();
        }

        @Override
        public Interrupts.Registration onResize(Runnable action) {
            Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.WINCH, s -> action.run());
            return () -> terminal.handle(Terminal.Signal.WINCH, previous);
        }

        private void restore() {
            terminal.setAttributes(saved);
            terminal.flush();
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                restore();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(restoreAtExit);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting; the terminal is restored already
                }
                // JLine's close waits for its input pump, which our stdin forwarder may hold in a
                // blocking read until the next key: close it aside, the attributes are back already
                Thread.ofPlatform().daemon().name("arcbox-terminal-close").start(this::closeQuietly);
            }
        }

        private void closeQuietly() {
            try {
                terminal.close();
            } catch (IOException e) {
                // nothing left to undo: the attributes were restored before
            }
        }
    }
}
