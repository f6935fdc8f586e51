package dev.arcbox.daemon;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Inbound flow control for a client-streaming call whose messages are handled by blocking work (writes into the
 * guest that wait for the agent's credit): automatic requests are off, one message is requested at a time, and
 * the next only once the previous one was handled. Events run one after another on the call's own virtual thread,
 * so a slow guest stalls only this call and the daemon holds at most one message of it.
 */
final class SerialCall {

    private final ServerCallStreamObserver<?> out;
    private final ExecutorService worker;

    SerialCall(ServerCallStreamObserver<?> out, String name) {
        this.out = out;
        this.worker = Executors.newSingleThreadExecutor(Thread.ofVirtual().name(name).factory());
        out.disableAutoRequest();
    }

    /** Asks the transport for the first message. */
    void start() {
        out.request(1);
    }

    /** Runs the handling of one message, then requests the next unless the handler threw {@link Ended}. */
    void message(Runnable handle) {
        submit(() -> {
            if (handle(handle)) {
                out.request(1);
            }
        });
    }

    /** Runs a terminal event (half-close, cancel) after everything queued before it, then ends the worker. */
    void last(Runnable handle) {
        submit(() -> {
            handle(handle);
            worker.shutdown();
        });
    }

    /** The call is over: events still queued run, later ones are dropped, the worker thread ends. */
    void close() {
        worker.shutdown();
    }

    private boolean handle(Runnable handle) {
        try {
            handle.run();
            return true;
        } catch (Ended e) {
            close();
            return false;
        }
    }

    private void submit(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException e) {
            // the call already ended: late events are dropped
        }
    }

    /** Thrown by a handler that ended the call: no further message is requested. */
    static final class Ended extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Ended() {
            super(null, null, false, false);
        }
    }
}
