package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
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
        }
    }

    private void onExecStarted(AgentMessage.ExecStarted s) {
        switch (routes.get(s.stream())) {
            case null -> { }
            case Route.Reply r -> unexpected(r, s);
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
            case Route.Reply r -> unexpected(r, exit);
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
        }
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
        }
    }

    private static void unexpected(Route.Reply r, AgentMessage m) {
        r.future().completeExceptionally(new ArcboxException.ProtocolViolation(r.operation() + ": unexpected "
                + m.getClass().getSimpleName() + " on stream " + Integer.toUnsignedString(m.stream())));
    }
}
