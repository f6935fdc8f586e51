package dev.arcbox.core.console;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.driver.RunningVm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.Optional;

/**
 * Drains one VM's serial console into its {@link ConsoleLog} on a virtual thread of its own, for as
 * long as the VM runs: connects (retrying while the VMM sets the console up), copies until the
 * stream ends, and connects again if the VM still runs. Started whenever the daemon gets hold of a
 * running VM (boot, restore, re-attach after a restart). Ends when the VM exits or the log closes.
 */
public final class ConsoleDrain {

    private static final System.Logger LOG = System.getLogger(ConsoleDrain.class.getName());
    private static final int BUFFER = 8192;
    private static final int CONNECT_ATTEMPTS = 50;
    private static final Duration RETRY = Duration.ofMillis(200);
    /**
     * After a read that did not fill the buffer, wait this long before the next: QEMU writes the
     * console a byte at a time, and reading each as it comes costs a read and a write per byte
     * (a quarter of a core for a guest flooding its console under TCG). The socket holds what
     * arrives meanwhile; a follower sees output at most this much later.
     */
    static final Duration BATCH = Duration.ofMillis(5);

    private final String name;
    private final RunningVm vm;
    private final ConsoleLog log;

    private ConsoleDrain(String name, RunningVm vm, ConsoleLog log) {
        this.name = name;
        this.vm = vm;
        this.log = log;
    }

    /** Starts draining {@code vm}'s console into {@code log}; {@code name} names the thread. */
    public static Thread start(String name, RunningVm vm, ConsoleLog log) {
        return Thread.ofVirtual().name("console-" + name).start(new ConsoleDrain(name, vm, log)::run);
    }

    private void run() {
        int failures = 0;
        while (!vm.onExit().isDone() && !log.isClosed()) {
            Optional<ReadableByteChannel> console;
            try {
                console = vm.openConsole();
            } catch (ArcboxException e) {
                if (++failures >= CONNECT_ATTEMPTS) {
                    LOG.log(System.Logger.Level.WARNING, "console of " + name + ": giving up: " + e.getMessage());
                    return;
                }
                if (!pause()) {
                    return;
                }
                continue;
            }
            if (console.isEmpty()) {
                return;
            }
            failures = 0;
            copy(console.get());
            if (!pause()) {
                return;
            }
        }
    }

    private void copy(ReadableByteChannel console) {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        try (console) {
            while (!log.isClosed() && console.read(buf.clear()) >= 0) {
                log.append(buf.array(), 0, buf.position());
                if (buf.hasRemaining()) {
                    Thread.sleep(BATCH);
                }
            }
        } catch (IOException | ArcboxException e) {
            LOG.log(System.Logger.Level.DEBUG, "console of " + name + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean pause() {
        try {
            vm.onExit().get(RETRY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return false;
        } catch (java.util.concurrent.TimeoutException e) {
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
