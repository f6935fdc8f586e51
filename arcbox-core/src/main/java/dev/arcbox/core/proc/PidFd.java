package dev.arcbox.core.proc;

import dev.arcbox.core.ArcboxException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux pidfd: a handle on one process that cannot be confused with a later process of the same
 * pid. Signals go through {@code pidfd_send_signal}, and {@link #onExit()} completes when the
 * process exits, whether or not it is the daemon's child (pidfds become readable on exit).
 *
 * <p>One platform thread per watched process waits in {@code poll(2)}; closing the pidfd ends it.
 */
public final class PidFd implements AutoCloseable {

    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final short POLLIN = 0x1;
    private static final int EINTR = 4;
    private static final int ESRCH = 3;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL3 = downcall(
            "syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    private static final MethodHandle SYSCALL4 = downcall(
            "syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    private static final MethodHandle POLL = downcall(
            "poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = downcall(
            "close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final ProcessIdentity process;
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object lock = new Object();
    private boolean fdClosed;
    private final CompletableFuture<Void> exit = new CompletableFuture<>();

    private PidFd(ProcessIdentity process, int fd) {
        this.process = process;
        this.fd = fd;
        Thread.ofPlatform().daemon().name("pidfd-" + process.pid()).start(this::awaitExit);
    }

    /**
     * Opens a pidfd on {@code process}. Returns null when that process (pid and start time) no
     * longer exists.
     */
    public static PidFd open(ProcessIdentity process) {
        long fd;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            fd = (long) SYSCALL3.invokeExact(state, SYS_PIDFD_OPEN, process.pid(), 0L, 0L);
            errno = (int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            throw new ArcboxException.HostFailure("pidfd_open " + process.pid() + ": " + t, t);
        }
        if (fd < 0) {
            if (errno == ESRCH) {
                return null;
            }
            throw new ArcboxException.HostFailure("pidfd_open " + process.pid() + ": errno " + errno, null);
        }
        // the pidfd now pins the pid: if the start time still matches, it is the recorded process
        if (!process.isAlive()) {
            closeFd((int) fd);
            return null;
        }
        return new PidFd(process, (int) fd);
    }

    public ProcessIdentity process() {
        return process;
    }

    /** Sends {@code signal}; false when the process is already gone. */
    public boolean signal(int signal) {
        synchronized (lock) {
            if (fdClosed) {
                return false;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(CALL_STATE);
                long rc = (long) SYSCALL4.invokeExact(state, SYS_PIDFD_SEND_SIGNAL, (long) fd, (long) signal, 0L, 0L);
                if (rc == 0) {
                    return true;
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == ESRCH) {
                    return false;
                }
                throw new ArcboxException.HostFailure(
                        "signal " + signal + " to pid " + process.pid() + ": errno " + errno, null);
            } catch (ArcboxException e) {
                throw e;
            } catch (Throwable t) {
                throw new ArcboxException.HostFailure("pidfd_send_signal " + process.pid() + ": " + t, t);
            }
        }
    }

    /** Completes when the process has exited; completes exceptionally if closed before that. */
    public CompletableFuture<Void> onExit() {
        return exit;
    }

    private void awaitExit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(8, 4);
            MemorySegment state = arena.allocate(CALL_STATE);
            while (!closed.get()) {
                pfd.set(ValueLayout.JAVA_INT, 0, fd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                // a bounded timeout lets close() end this thread; only this thread closes the fd
                int rc = (int) POLL.invokeExact(state, pfd, 1L, 250);
                if (rc > 0) {
                    exit.complete(null);
                    return;
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (rc < 0 && errno != EINTR) {
                    exit.completeExceptionally(new ArcboxException.HostFailure(
                            "poll on pidfd of " + process.pid() + ": errno " + errno, null));
                    return;
                }
            }
        } catch (Throwable t) {
            exit.completeExceptionally(t);
        } finally {
            synchronized (lock) {
                fdClosed = true;
                closeFd(fd);
            }
            exit.completeExceptionally(new IllegalStateException("pidfd of " + process.pid() + " closed"));
        }
    }

    /** Stops watching; the process itself is not touched. Idempotent. */
    @Override
    public void close() {
        closed.set(true);
    }

    private static void closeFd(int fd) {
        try {
            int rc = (int) CLOSE.invokeExact(fd);
            assert rc == 0 || rc == -1;
        } catch (Throwable t) {
            throw new ArcboxException.HostFailure("close pidfd: " + t, t);
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc symbol " + name + " not found"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }
}
