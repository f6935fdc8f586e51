package dev.arcbox.daemon;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Times every API call by method and gRPC code ({@code arcbox_api_requests_seconds}) and counts
 * those that end in an error ({@code arcbox_api_errors_total}). A streaming call is timed from its
 * start to its end (a followed Logs or Events call lasts as long as the client stays); a call the
 * client cancels counts as CANCELLED. Methods are named {@code Service/Method} without the package.
 */
final class ApiMetrics implements ServerInterceptor {

    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofSeconds(30), Duration.ofMinutes(2)};

    private final MeterRegistry registry;

    ApiMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        long started = System.nanoTime();
        String method = name(call.getMethodDescriptor().getFullMethodName());
        AtomicBoolean recorded = new AtomicBoolean();
        ServerCall<Q, R> timed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                record(method, status.getCode(), started, recorded);
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(timed, headers)) {
            @Override
            public void onCancel() {
                record(method, Status.Code.CANCELLED, started, recorded);
                super.onCancel();
            }
        };
    }

    private void record(String method, Status.Code code, long started, AtomicBoolean recorded) {
        if (!recorded.compareAndSet(false, true)) {
            return;
        }
        Timer.builder("arcbox.api.requests").description("API calls by method and gRPC code, start to end")
                .tag("method", method).tag("code", code.name())
                .serviceLevelObjectives(BUCKETS)
                .register(registry).record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (code != Status.Code.OK) {
            Counter.builder("arcbox.api.errors").description("API calls that ended in an error, by method and gRPC code")
                    .tag("method", method).tag("code", code.name()).register(registry).increment();
        }
    }

    /** {@code arcbox.sandbox.v1.SandboxService/Run} → {@code SandboxService/Run}. */
    static String name(String fullMethodName) {
        int slash = fullMethodName.indexOf('/');
        int dot = fullMethodName.lastIndexOf('.', slash < 0 ? fullMethodName.length() : slash);
        return fullMethodName.substring(dot + 1);
    }
}
