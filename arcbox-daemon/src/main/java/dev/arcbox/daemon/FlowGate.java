package dev.arcbox.daemon;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * gRPC flow control for a server stream written from our own threads: {@link #send} blocks while
 * the transport is not ready (the client reads slowly), so a slow client never grows daemon
 * memory. One gate per call; thread safe.
 */
final class FlowGate<T> {

    private final ServerCallStreamObserver<T> out;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private volatile boolean cancelled;
    private boolean closed;

    FlowGate(ServerCallStreamObserver<T> out, Runnable onCancel) {
        this.out = out;
        out.setOnReadyHandler(this::signal);
        out.setOnCancelHandler(() -> {
            cancelled = true;
            signal();
            onCancel.run();
        });
    }

    boolean cancelled() {
        return cancelled;
    }

    /** Completed, failed or cancelled: nothing more is sent. */
    boolean ended() {
        lock.lock();
        try {
            return cancelled || closed;
        } finally {
            lock.unlock();
        }
    }

    /** Sends {@code message} once the transport can take it; false when the call was cancelled. */
    boolean send(T message) throws InterruptedException {
        lock.lock();
        try {
            while (!cancelled && !out.isReady()) {
                ready.await(1, TimeUnit.SECONDS);
            }
            if (cancelled || closed) {
                return false;
            }
            out.onNext(message);
            return true;
        } finally {
            lock.unlock();
        }
    }

    void complete() {
        lock.lock();
        try {
            if (!cancelled && !closed) {
                out.onCompleted();
            }
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    void error(Throwable error) {
        lock.lock();
        try {
            if (!cancelled && !closed) {
                out.onError(Statuses.toStatus(error));
            }
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    private void signal() {
        lock.lock();
        try {
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
