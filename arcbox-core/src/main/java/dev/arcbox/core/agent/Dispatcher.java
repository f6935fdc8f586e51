package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Routes decoded agent frames to the call or execution waiting on their stream. Runs on the reader thread
 * and never blocks. A malformed frame fails only its stream; a broken credit rule or a foreign HELLO_ACK
 * nonce throws {@link ArcboxException.ProtocolViolation}, which closes the connection. Frames for streams
 * nobody waits on (late replies, unknown types) are dropped.
 */
final class Dispatcher {

    /** Bound on one directory listing, so a hostile guest cannot grow host memory without end. */
    static final int MAX_LIST_ENTRIES = 100_000;

    private final long nonce;
    private final Map<Integer, Route> routes = new ConcurrentHashMap<>();
    private final CompletableFuture<AgentMessage.HelloAck> hello = new CompletableFuture<>();
    private volatile ArcboxException.Unavailable closed;

    Dispatcher(long nonce) {
        this.nonce = nonce;
    }

    CompletableFuture<AgentMessage.HelloAck> hello() {
        return hello;
    }

    /** @throws ArcboxException.Unavailable when the connection has ended */
    void register(int stream, Route route) {
        routes.put(stream, route);
        ArcboxException.Unavailable cause = closed;
        if (cause != null) {
            routes.remove(stream, route);
            throw cause;
        }
    }

    /** Executions and file transfers this connection is streaming now. */
    int streaming() {
        int n = 0;
        for (Route r : routes.values()) {
            if (r instanceof Route.Exec || r instanceof Route.Transfer) {
                n++;
            }
        }
        return n;
    }

    void forget(int stream) {
        routes.remove(stream);
    }

    void remove(int stream, Route route) {
        routes.remove(stream, route);
    }

    /** @throws ArcboxException.ProtocolViolation when the connection must close */
    void dispatch(Frame frame) {
        AgentMessage message;
        try {
            message = MessageCodec.decode(frame);
        } catch (ArcboxException.ProtocolViolation malformed) {
            reject(frame.stream(), malformed);
            return;
        }
        switch (message) {
            case AgentMessage.HelloAck h -> onHelloAck(h);
            case AgentMessage.Error e -> onError(e);
            case AgentMessage.ExecStarted s -> onExecStarted(s);
            case AgentMessage.Output o -> onOutput(o);
            case AgentMessage.Exit x -> onExit(x);
            case AgentMessage.Credit c -> onCredit(c);
            case AgentMessage.Pong p -> reply(p);
            case AgentMessage.ShutdownAck a -> reply(a);
            case AgentMessage.ResyncAck a -> reply(a);
            case AgentMessage.NetConfigAck a -> reply(a);
            case AgentMessage.ExecList l -> reply(l);
            case AgentMessage.SignalAck a -> reply(a);
            case AgentMessage.FileAck a -> reply(a);
            case AgentMessage.FileInfo i -> onFileInfo(i);
            case AgentMessage.FileList l -> onFileList(l);
            case AgentMessage.FileData d -> onFileData(d);
            case AgentMessage.FileEnd e -> onFileEnd(e);
            case AgentMessage.Unknown _ -> { }
        }
    }

    /** The connection ended: every waiting call and execution fails with {@code cause}. Idempotent. */
    void failAll(ArcboxException.Unavailable cause) {
        closed = cause;
        hello.completeExceptionally(cause);
        for (var entry : routes.entrySet()) {
            routes.remove(entry.getKey(), entry.getValue());
            switch (entry.getValue()) {
                case Route.Reply r -> r.future().completeExceptionally(cause);
                case Route.Exec x -> x.execution().onFailure(cause, cause.getMessage());
                case Route.Listing l -> l.future().completeExceptionally(cause);
                case Route.Transfer t -> t.transfer().onFailure(cause);
            }
        }
    }

    private void onHelloAck(AgentMessage.HelloAck ack) {
        if (ack.stream() != 0 || hello.isDone()) {
            return;
        }
        if (ack.nonce() != nonce) {
            throw new ArcboxException.ProtocolViolation("HELLO_ACK carries a foreign nonce");
        }
        if (ack.version() != MessageCodec.VERSION) {
            hello.completeExceptionally(new ArcboxException.FailedPrecondition("guest agent speaks protocol version "
                    + Integer.toUnsignedString(ack.version()) + ", the host speaks " + MessageCodec.VERSION));
            return;
        }
        hello.complete(ack);
    }

    private void onError(AgentMessage.Error e) {
        if (e.stream() == 0) {
            hello.completeExceptionally(GuestError.toException("hello", e.errno(), e.message()));
            return;
        }
        switch (routes.get(e.stream())) {
            case null -> { }
            case Route.Reply r -> r.future().completeExceptionally(GuestError.toException(r.operation(), e.errno(), e.message()));
            case Route.Exec x -> {
                routes.remove(e.stream(), x);
                ArcboxException failure = GuestError.toException(x.execution().label(), e.errno(), e.message());
                x.execution().onFailure(failure, failure.getMessage());
            }
            case Route.Listing l -> {
                routes.remove(e.stream(), l);
                l.future().completeExceptionally(GuestError.toException(l.operation(), e.errno(), e.message()));
            }
            case Route.Transfer t -> {
                routes.remove(e.stream(), t);
                t.transfer().onFailure(GuestError.toException(t.transfer().label(), e.errno(), e.message()));
            }
        }
    }

    private void onExecStarted(AgentMessage.ExecStarted s) {
        switch (routes.get(s.stream())) {
            case null -> { }
            case Route.Reply r -> unexpected(r, s);
            case Route.Listing l -> unexpected(l, s);
            case Route.Transfer t -> unexpected(t, s);
            case Route.Exec x -> {
                if (!x.execution().onStarted(s.execId(), s.pid())) {
                    routes.remove(s.stream(), x);
                    if (!x.execution().attached()) {
                        x.execution().killAfterLateStart();
                    }
                }
            }
        }
    }

    private void onOutput(AgentMessage.Output o) {
        switch (routes.get(o.stream())) {
            case null -> { }
            case Route.Reply r -> unexpected(r, o);
            case Route.Listing l -> unexpected(l, o);
            case Route.Transfer t -> unexpected(t, o);
            case Route.Exec x -> {
                if (!x.execution().onOutput(o)) {
                    routes.remove(o.stream(), x);
                }
            }
        }
    }

    private void onExit(AgentMessage.Exit exit) {
        switch (routes.get(exit.stream())) {
            case null -> { }
            case Route.Reply r -> reply(exit);
            case Route.Listing l -> unexpected(l, exit);
            case Route.Transfer t -> unexpected(t, exit);
            case Route.Exec x -> {
                routes.remove(exit.stream(), x);
                x.execution().onExit(exit);
            }
        }
    }

    private void onCredit(AgentMessage.Credit c) {
        switch (routes.get(c.stream())) {
            case null -> { }
            case Route.Reply r -> unexpected(r, c);
            case Route.Exec x -> x.execution().onCredit(c);
            case Route.Listing l -> unexpected(l, c);
            case Route.Transfer t -> {
                if (t.transfer() instanceof FileUpload u) {
                    u.onCredit(c.bytes());
                } else {
                    unexpected(t, c);
                }
            }
        }
    }

    private void onFileInfo(AgentMessage.FileInfo i) {
        switch (routes.get(i.stream())) {
            case null -> { }
            case Route.Reply r -> reply(i);
            case Route.Exec x -> unexpectedOnExec(x, i);
            case Route.Listing l -> unexpected(l, i);
            case Route.Transfer t -> {
                switch (t.transfer()) {
                    case FileUpload u -> {
                        routes.remove(i.stream(), t);
                        u.onInfo(i.file());
                    }
                    case FileDownload d -> d.onInfo(i.file());
                }
            }
        }
    }

    private void onFileList(AgentMessage.FileList batch) {
        switch (routes.get(batch.stream())) {
            case null -> { }
            case Route.Reply r -> unexpected(r, batch);
            case Route.Exec x -> unexpectedOnExec(x, batch);
            case Route.Transfer t -> unexpected(t, batch);
            case Route.Listing l -> {
                if (l.entries().size() + batch.entries().size() > MAX_LIST_ENTRIES) {
                    routes.remove(batch.stream(), l);
                    l.future().completeExceptionally(new ArcboxException.ResourceExhausted(l.operation()
                            + ": more than " + MAX_LIST_ENTRIES + " entries"));
                    return;
                }
                l.entries().addAll(batch.entries());
                if (!batch.more()) {
                    routes.remove(batch.stream(), l);
                    l.future().complete(List.copyOf(l.entries()));
                }
            }
        }
    }

    private void onFileData(AgentMessage.FileData data) {
        if (routes.get(data.stream()) instanceof Route.Transfer t && t.transfer() instanceof FileDownload d) {
            d.onData(data.data());
        }
    }

    private void onFileEnd(AgentMessage.FileEnd end) {
        if (routes.get(end.stream()) instanceof Route.Transfer t && t.transfer() instanceof FileDownload d) {
            routes.remove(end.stream(), t);
            d.onEnd(end.size());
        }
    }

    private void unexpected(Route.Listing l, AgentMessage m) {
        routes.remove(m.stream(), l);
        l.future().completeExceptionally(violation(l.operation(), m));
    }

    private void unexpected(Route.Transfer t, AgentMessage m) {
        routes.remove(m.stream(), t);
        t.transfer().onFailure(violation(t.transfer().label(), m));
    }

    private void unexpectedOnExec(Route.Exec x, AgentMessage m) {
        routes.remove(m.stream(), x);
        ArcboxException.ProtocolViolation v = violation(x.execution().label(), m);
        x.execution().onFailure(v, v.getMessage());
    }

    private static ArcboxException.ProtocolViolation violation(String operation, AgentMessage m) {
        return new ArcboxException.ProtocolViolation(operation + ": unexpected " + m.getClass().getSimpleName()
                + " on stream " + Integer.toUnsignedString(m.stream()));
    }

    private void reply(AgentMessage m) {
        if (routes.get(m.stream()) instanceof Route.Reply r) {
            if (r.expected().isInstance(m)) {
                r.future().complete(m);
            } else {
                unexpected(r, m);
            }
        }
    }

    private void reject(int stream, ArcboxException.ProtocolViolation malformed) {
        if (stream == 0) {
            hello.completeExceptionally(malformed);
            return;
        }
        switch (routes.get(stream)) {
            case null -> { }
            case Route.Reply r -> r.future().completeExceptionally(malformed);
            case Route.Exec x -> {
                routes.remove(stream, x);
                x.execution().onFailure(malformed, x.execution().label() + ": " + malformed.getMessage());
            }
            case Route.Listing l -> {
                routes.remove(stream, l);
                l.future().completeExceptionally(malformed);
            }
            case Route.Transfer t -> {
                routes.remove(stream, t);
                t.transfer().onFailure(malformed);
            }
        }
    }

    private static void unexpected(Route.Reply r, AgentMessage m) {
        r.future().completeExceptionally(new ArcboxException.ProtocolViolation(r.operation() + ": unexpected "
                + m.getClass().getSimpleName() + " on stream " + Integer.toUnsignedString(m.stream())));
    }
}
