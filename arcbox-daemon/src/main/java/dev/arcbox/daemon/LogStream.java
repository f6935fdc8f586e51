package dev.arcbox.daemon;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.LogChunk;
import dev.arcbox.api.v1.LogsRequest;
import dev.arcbox.core.console.ConsoleLog;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;

/**
 * One Logs call: the console output still retained (all of it, or the last {@code tail_bytes}),
 * then, with {@code follow}, new output as the guest writes it, until the client cancels or the
 * sandbox is removed (the stream then completes). Flow-controlled through {@link FlowGate}: a slow
 * client holds one chunk in the daemon; output asked for but rotated away (before the first
 * chunk, or while the client read slowly) is reported in {@code lost_bytes} of the next chunk.
 */
final class LogStream {

    static final int CHUNK = 32 * 1024;
    private static final Duration POLL = Duration.ofSeconds(1);

    private final ConsoleLog log;
    private final LogsRequest request;
    private final FlowGate<LogChunk> gate;

    LogStream(ConsoleLog log, LogsRequest request, ServerCallStreamObserver<LogChunk> out) {
        this.log = log;
        this.request = request;
        this.gate = new FlowGate<>(out, () -> { });
    }

    void start() {
        Thread.ofVirtual().name("logs-" + request.getId()).start(this::serve);
    }

    private void serve() {
        try {
            // from what was asked for (all output, or its tail): the first chunk then reports as
            // lost_bytes what of that was rotated away
            long next = request.getTailBytes() == 0 ? 0 : Math.max(0, log.endOffset() - request.getTailBytes());
            while (!gate.cancelled()) {
                ConsoleLog.Chunk chunk = log.read(next, CHUNK);
                if (chunk.data().length > 0) {
                    if (!gate.send(LogChunk.newBuilder().setOffset(chunk.offset()).setLostBytes(chunk.lostBytes())
                            .setData(ByteString.copyFrom(chunk.data())).build())) {
                        return;
                    }
                    next = chunk.offset() + chunk.data().length;
                    continue;
                }
                next = chunk.offset();
                if (!request.getFollow() || log.isClosed()) {
                    break;
                }
                log.awaitBeyond(next, POLL);
            }
            gate.complete();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            gate.error(e);
        }
    }
}
